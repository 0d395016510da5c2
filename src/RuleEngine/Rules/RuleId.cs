namespace FraudShield.RuleEngine.Rules;

/// <summary>The rules of the default pack (DOMAIN.md). The value is the bit index in an incident's rule mask.</summary>
public enum RuleId : byte
{
    /// <summary>OVERSEAS_LONG_CALL.</summary>
    R01 = 0,

    /// <summary>WATCHLIST_CONTACT.</summary>
    R02 = 1,

    /// <summary>CALLER_FANOUT.</summary>
    R03 = 2,

    /// <summary>SIM_BANK.</summary>
    R04 = 3,

    /// <summary>CALL_THEN_OFFICIAL_DIAL.</summary>
    R05 = 4,

    /// <summary>SCREENSHARE_AFTER_CALL.</summary>
    R06 = 5,

    /// <summary>CALL_THEN_LARGE_TRANSFER.</summary>
    R07 = 6,

    /// <summary>PAY_TO_WATCHLISTED_ACCOUNT.</summary>
    R08 = 7,
}

/// <summary>Names and bit helpers of <see cref="RuleId"/>.</summary>
public static class RuleIds
{
    private static readonly string[] Ids = ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08"];

    private static readonly string[] Names =
    [
        "OVERSEAS_LONG_CALL", "WATCHLIST_CONTACT", "CALLER_FANOUT", "SIM_BANK",
        "CALL_THEN_OFFICIAL_DIAL", "SCREENSHARE_AFTER_CALL", "CALL_THEN_LARGE_TRANSFER", "PAY_TO_WATCHLISTED_ACCOUNT",
    ];

    /// <summary>"R01".."R08".</summary>
    public static string Id(RuleId rule) => Ids[(int)rule];

    /// <summary>The rule's name in DOMAIN.md.</summary>
    public static string Name(RuleId rule) => Names[(int)rule];

    /// <summary>The mask bit of <paramref name="rule"/>.</summary>
    public static uint Bit(RuleId rule) => 1u << (int)rule;

    /// <summary>Number of rules known to this build.</summary>
    public static int Count => Ids.Length;
}
