using FraudShield.Ingest.Events;

namespace FraudShield.RuleEngine.Rules;

/// <summary>
/// Thresholds of the rules, with DOMAIN.md's starting values. Amounts are minor units (fen): 50,000 RMB = 5,000,000.
/// A rule file (<see cref="RuleFile"/>) compiles into one of these; <c>new RulePackOptions()</c> is the built-in pack
/// of the first release (R01, R02, R07, R08 enabled), the shipped <c>rules/default.yaml</c> enables every implemented rule.
/// </summary>
public sealed partial record RulePackOptions
{
    /// <summary>Mask of the enabled rules (bit i = rule R(i+1), see <see cref="RuleIds.Bit"/>).</summary>
    public uint EnabledRules { get; init; } =
        RuleIds.Bit(RuleId.R01) | RuleIds.Bit(RuleId.R02) | RuleIds.Bit(RuleId.R07) | RuleIds.Bit(RuleId.R08);

    /// <summary>Base severity of each rule, 1 (L1) to 4 (L4), indexed by <see cref="RuleId"/>.</summary>
    public IReadOnlyList<int> Severities { get; init; } = [3, 3, 4, 4, 2, 2, 1, 2, 1, 2, 2, 3, 2, 2, 4, 4, 2, 1];

    /// <summary>
    /// Typology of each rule when neither a watchlist entry nor a preceding contact names one, indexed by
    /// <see cref="RuleId"/>; null falls back to <see cref="DefaultTypology"/>. R01 uses <see cref="R01Typology"/>.
    /// </summary>
    public IReadOnlyList<string?> Typologies { get; init; } = new string?[18];

    /// <summary>Co-occurrence escalation: when every rule of an entry is in an incident, its severity is at least the entry's.</summary>
    public IReadOnlyList<CompositionRule> Composition { get; init; } =
    [
        new([RuleId.R01, RuleId.R06], 2),
        new([RuleId.R01, RuleId.R07], 1),
    ];

    /// <summary>R01: one answered inbound international/virtual call at least this long fires.</summary>
    public int R01MinCallSeconds { get; init; } = 600;

    /// <summary>R01: or this many seconds summed within <see cref="R01SumWindow"/>.</summary>
    public int R01MinSummedSeconds { get; init; } = 1200;

    /// <summary>R01: the summing window.</summary>
    public TimeSpan R01SumWindow { get; init; } = TimeSpan.FromHours(2);

    /// <summary>R01: the callee must have had no international call this long before the window.</summary>
    public TimeSpan R01QuietHistory { get; init; } = TimeSpan.FromDays(30);

    /// <summary>R01: callees of at least this age get <see cref="R01ElderSeverity"/> instead of the base severity.</summary>
    public int R01ElderAge { get; init; } = 60;

    /// <summary>R01: severity for callees of at least <see cref="R01ElderAge"/>.</summary>
    public int R01ElderSeverity { get; init; } = 2;

    /// <summary>R02: contact with a listed number at least this long fires at the base severity.</summary>
    public int R02MinSeconds { get; init; } = 60;

    /// <summary>R02: at least this long (or a call-back) fires at <see cref="R02StrongSeverity"/>.</summary>
    public int R02StrongSeconds { get; init; } = 300;

    /// <summary>R02: severity of a long contact or a call-back.</summary>
    public int R02StrongSeverity { get; init; } = 2;

    /// <summary>R05: the suspicious call must have lasted at least this long.</summary>
    public int R05MinCallSeconds { get; init; } = 600;

    /// <summary>R05: the dial must follow the end of the suspicious call within this long.</summary>
    public TimeSpan R05Window { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>R05: bank hotlines (as written; normalized like any number).</summary>
    public IReadOnlyList<string> R05Hotlines { get; init; } = ["95588", "95533", "95599", "95566"];

    /// <summary>R05: or this many call attempts back to the suspicious caller.</summary>
    public int R05MinCallBacks { get; init; } = 3;

    /// <summary>R06: the device signal must come within this long after the end of a suspicious call (or during it).</summary>
    public TimeSpan R06Window { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>R06: app categories whose INSTALL counts.</summary>
    public IReadOnlyList<AppCategory> R06AppCategories { get; init; } = [AppCategory.ScreenShare, AppCategory.RemoteControl, AppCategory.Meeting];

    /// <summary>R06: device event types that count whatever the app.</summary>
    public IReadOnlyList<DeviceEventType> R06Signals { get; init; } = [DeviceEventType.ScreenShareStart, DeviceEventType.RemoteControl];

    /// <summary>R07: the transfer must be at least this much...</summary>
    public long R07MinAmountMinor { get; init; } = 5_000_000;

    /// <summary>R07: ...and at least this multiple of the payer's 90-day max.</summary>
    public int R07MaxMultiple { get; init; } = 3;

    /// <summary>R07: within this long after a suspicious call (or after R06).</summary>
    public TimeSpan R07Window { get; init; } = TimeSpan.FromHours(2);

    /// <summary>R08: payments to a listed account of at least this much get <see cref="R08LargeSeverity"/>.</summary>
    public long R08L1AmountMinor { get; init; } = 1_000_000;

    /// <summary>R08: severity of a payment of at least <see cref="R08L1AmountMinor"/>.</summary>
    public int R08LargeSeverity { get; init; } = 1;

    /// <summary>R09: percentage of the balance moved out within the window that fires.</summary>
    public int R09MinPercent { get; init; } = 80;

    /// <summary>R09: the window, from the first outflow.</summary>
    public TimeSpan R09Window { get; init; } = TimeSpan.FromHours(24);

    /// <summary>R09: the outflows must total at least this much.</summary>
    public long R09MinMovedMinor { get; init; } = 1_000_000;

    /// <summary>R09: fire only when the party showed a risk signal (any alert, risky app, stranger rebate) within <see cref="R09ContextWindow"/>.</summary>
    public bool R09RequireContext { get; init; } = true;

    /// <summary>R09: how far back the risk signal may be.</summary>
    public TimeSpan R09ContextWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>R11: this many transfers to new payees in a row...</summary>
    public int R11MinCount { get; init; } = 3;

    /// <summary>R11: ...each at least this multiple (per mille: 1500 = 1.5 x) of the previous one...</summary>
    public int R11StepPermille { get; init; } = 1500;

    /// <summary>R11: ...totalling at least this much...</summary>
    public long R11MinTotalMinor { get; init; } = 500_000;

    /// <summary>R11: ...within this long from the first.</summary>
    public TimeSpan R11Window { get; init; } = TimeSpan.FromHours(72);

    /// <summary>R11: fire only when the party showed a risk signal within <see cref="R11ContextWindow"/>.</summary>
    public bool R11RequireContext { get; init; } = true;

    /// <summary>R11: how far back the risk signal may be.</summary>
    public TimeSpan R11ContextWindow { get; init; } = TimeSpan.FromHours(72);

    /// <summary>R12: an inbound transfer from a stranger below this amount is a "rebate".</summary>
    public long R12MaxInboundMinor { get; init; } = 50_000;

    /// <summary>R12: the outbound transfer must be at least this multiple of the rebate.</summary>
    public int R12Multiple { get; init; } = 10;

    /// <summary>R12: within this long after the rebate.</summary>
    public TimeSpan R12Window { get; init; } = TimeSpan.FromHours(24);

    /// <summary>R10: a payee account opened at most this long before the transfer is "new".</summary>
    public TimeSpan R10NewAccountAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>R10: money from at least this many distinct own accounts must be swept into the new account...</summary>
    public int R10MinSourceAccounts { get; init; } = 2;

    /// <summary>R10: ...at least this much in total...</summary>
    public long R10MinSweptMinor { get; init; } = 1_000_000;

    /// <summary>R10: ...and the transfer out of it must move at least this percentage of what was swept in.</summary>
    public int R10MinOutPercent { get; init; } = 50;

    /// <summary>R10: the transfer out must come within this long after the first sweep.</summary>
    public TimeSpan R10Window { get; init; } = TimeSpan.FromHours(48);

    /// <summary>R13: a transfer of at least this much...</summary>
    public long R13MinFeeMinor { get; init; } = 20_000;

    /// <summary>R13: ...and at most this much is "fee-sized".</summary>
    public long R13MaxFeeMinor { get; init; } = 2_000_000;

    /// <summary>R13: this many fee-sized transfers to new payees...</summary>
    public int R13MinFees { get; init; } = 3;

    /// <summary>R13: ...to at least this many distinct new payees...</summary>
    public int R13MinNewPayees { get; init; } = 2;

    /// <summary>R13: ...within this long after the loan contact that opened the episode.</summary>
    public TimeSpan R13Window { get; init; } = TimeSpan.FromHours(48);

    /// <summary>R13: installing an app of one of these categories is a loan contact.</summary>
    public IReadOnlyList<AppCategory> R13LoanAppCategories { get; init; } = [AppCategory.FakeLoan];

    /// <summary>R13: a call or SMS with a listed number (or an SMS with a listed URL) of one of these typologies is a loan contact.</summary>
    public IReadOnlyList<string> R13LoanTypologies { get; init; } = ["FAKE_LOAN"];

    /// <summary>R13: an SMS carrying one of these keyword flags (ASCII case-insensitive) is a loan contact...</summary>
    public IReadOnlyList<string> R13LoanKeywords { get; init; } = ["loan", "credit_repair"];

    /// <summary>R13: ...when its sender is of one of these classes (lenders' own offers come from short codes and official senders).</summary>
    public IReadOnlyList<SenderClass> R13KeywordSenders { get; init; } = [SenderClass.Personal, SenderClass.International];

    /// <summary>R14: transfers from a corporate account to new payees within the window summing to at least this much fire...</summary>
    public long R14MinAmountMinor { get; init; } = 10_000_000;

    /// <summary>R14: ...or to at least this multiple of the payer's typical transfer...</summary>
    public int R14TypicalMultiple { get; init; } = 5;

    /// <summary>R14: ...once the typical transfer has been learnt from at least this many earlier transfers.</summary>
    public int R14MinHistory { get; init; } = 5;

    /// <summary>R14: the window over which transfers to new payees are summed, from the first.</summary>
    public TimeSpan R14Window { get; init; } = TimeSpan.FromHours(1);

    /// <summary>R17: victims of at least this age.</summary>
    public int R17MinAge { get; init; } = 65;

    /// <summary>R17: the rules that trigger it.</summary>
    public IReadOnlyList<RuleId> R17Triggers { get; init; } = [RuleId.R01, RuleId.R02, RuleId.R06];

    /// <summary>R18: the handset signal must come within this long after the incident was last raised or updated at L2 or above.</summary>
    public TimeSpan R18Window { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>R18: the incident must be at least this severe (2 = L2 or L1).</summary>
    public int R18MinIncidentSeverity { get; init; } = 2;

    /// <summary>R18: the device event types that mean "unreachable".</summary>
    public IReadOnlyList<DeviceEventType> R18Signals { get; init; } = [DeviceEventType.PowerOff, DeviceEventType.Detach];

    /// <summary>One open alert per party within this window; later evidence updates it.</summary>
    public TimeSpan IncidentWindow { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How far behind the engine thread's watermark (the latest event time it has seen) an event may still be applied;
    /// an event that ended earlier than that is not applied and goes to fs.dlq with reason <c>Late</c>. Rule file
    /// top-level <c>lateness</c>; at most <see cref="MaxLateness"/>.
    /// </summary>
    public TimeSpan Lateness { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The largest <see cref="Lateness"/> a rule file may set.</summary>
    public static TimeSpan MaxLateness { get; } = TimeSpan.FromHours(1);

    /// <summary>Typology of R01 when no listed source says otherwise (the overseas "police" call).</summary>
    public string R01Typology { get; init; } = "IMPERSONATE_AUTHORITY";

    /// <summary>Typology when neither a watchlist entry nor a preceding contact names one.</summary>
    public string DefaultTypology { get; init; } = "UNKNOWN";

    /// <summary>Ack deadlines per level (DOMAIN.md): L1, L2, L3, L4.</summary>
    public IReadOnlyList<TimeSpan> AckDeadlines { get; init; } =
        [TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(72)];

    /// <summary>Station id of the city centre queue, the fallback jurisdiction for unregistered parties.</summary>
    public string CityCentreStation { get; init; } = "CITY-CENTRE";

    /// <summary>Whether <paramref name="rule"/> is enabled.</summary>
    public bool IsEnabled(RuleId rule) => (EnabledRules & RuleIds.Bit(rule)) != 0;
}

/// <summary>One composition entry: an incident holding every rule of <see cref="When"/> is at least <see cref="Then"/> (1 = L1).</summary>
/// <param name="When">The rules that must all have fired within the incident.</param>
/// <param name="Then">The severity they raise it to, 1 (L1) to 4 (L4).</param>
public sealed record CompositionRule(IReadOnlyList<RuleId> When, int Then);
