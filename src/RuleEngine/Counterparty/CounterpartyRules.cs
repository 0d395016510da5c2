using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>The counterparty rules of one rule set, compiled once: flags, milliseconds, thresholds.</summary>
internal sealed class CounterpartyRules
{
    public CounterpartyRules(RulePackOptions options)
    {
        Options = options;
        var enabled = options.EnabledRules & RuleIds.CounterpartyMask;
        R03 = (enabled & RuleIds.Bit(RuleId.R03)) != 0;
        R04 = (enabled & RuleIds.Bit(RuleId.R04)) != 0;
        R15 = (enabled & RuleIds.Bit(RuleId.R15)) != 0;
        R16 = (enabled & RuleIds.Bit(RuleId.R16)) != 0;
        R03WindowMs = Ms(options.R03Window);
        R04WindowMs = Ms(options.R04Window);
        R15WindowMs = Ms(options.R15Window);
        R15MaxAgeMs = Ms(options.R15MaxAccountAge);
        R15DormantMs = Ms(options.R15Dormant);
        R16WindowMs = Ms(options.R16Window);
        CallerExpiryMs = Math.Max(R03WindowMs, R04WindowMs);
        AccountExpiryMs = Math.Max(R15WindowMs, R16WindowMs);
    }

    public RulePackOptions Options { get; }

    public bool R03 { get; }

    public bool R04 { get; }

    public bool R15 { get; }

    public bool R16 { get; }

    public long R03WindowMs { get; }

    public long R04WindowMs { get; }

    public long R15WindowMs { get; }

    public long R15MaxAgeMs { get; }

    public long R15DormantMs { get; }

    public long R16WindowMs { get; }

    /// <summary>A caller or handset idle this long has nothing left in any window: its ring is cleared.</summary>
    public long CallerExpiryMs { get; }

    /// <summary>An account idle this long has nothing left in R15's or R16's window: its ring and sums are cleared.</summary>
    public long AccountExpiryMs { get; }

    public int Severity(RuleId rule) =>
        Math.Clamp((int)rule < Options.Severities.Count ? Options.Severities[(int)rule] : 4, 1, 4);

    public string Typology(RuleId rule) =>
        ((int)rule < Options.Typologies.Count ? Options.Typologies[(int)rule] : null) ?? Options.DefaultTypology;

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
}
