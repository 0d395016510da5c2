namespace FraudShield.RuleEngine.Rules;

/// <summary>
/// Thresholds of the rules, with DOMAIN.md's starting values. Amounts are minor units (fen): 50,000 RMB = 5,000,000.
/// </summary>
public sealed record RulePackOptions
{
    /// <summary>R01: one answered inbound international/virtual call at least this long fires.</summary>
    public int R01MinCallSeconds { get; init; } = 600;

    /// <summary>R01: or this many seconds summed within <see cref="R01SumWindow"/>.</summary>
    public int R01MinSummedSeconds { get; init; } = 1200;

    /// <summary>R01: the summing window.</summary>
    public TimeSpan R01SumWindow { get; init; } = TimeSpan.FromHours(2);

    /// <summary>R01: the callee must have had no international call this long before the window.</summary>
    public TimeSpan R01QuietHistory { get; init; } = TimeSpan.FromDays(30);

    /// <summary>R01: callees of at least this age get L2 instead of L3.</summary>
    public int R01ElderAge { get; init; } = 60;

    /// <summary>R02: contact with a listed number at least this long is L3.</summary>
    public int R02MinSeconds { get; init; } = 60;

    /// <summary>R02: at least this long (or a call-back) is L2.</summary>
    public int R02StrongSeconds { get; init; } = 300;

    /// <summary>R07: the transfer must be at least this much...</summary>
    public long R07MinAmountMinor { get; init; } = 5_000_000;

    /// <summary>R07: ...and at least this multiple of the payer's 90-day max.</summary>
    public int R07MaxMultiple { get; init; } = 3;

    /// <summary>R07: within this long after a suspicious call.</summary>
    public TimeSpan R07Window { get; init; } = TimeSpan.FromHours(2);

    /// <summary>R08: payments to a listed account of at least this much are L1, below it L2.</summary>
    public long R08L1AmountMinor { get; init; } = 1_000_000;

    /// <summary>One open alert per party within this window; later evidence updates it.</summary>
    public TimeSpan IncidentWindow { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Typology of R01 when no listed source says otherwise (the overseas "police" call).</summary>
    public string R01Typology { get; init; } = "IMPERSONATE_AUTHORITY";

    /// <summary>Typology when neither a watchlist entry nor a preceding contact names one.</summary>
    public string DefaultTypology { get; init; } = "UNKNOWN";

    /// <summary>Ack deadlines per level (DOMAIN.md): L1, L2, L3, L4.</summary>
    public IReadOnlyList<TimeSpan> AckDeadlines { get; init; } =
        [TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(72)];

    /// <summary>Station id of the city centre queue, the fallback jurisdiction for unregistered parties.</summary>
    public string CityCentreStation { get; init; } = "CITY-CENTRE";
}
