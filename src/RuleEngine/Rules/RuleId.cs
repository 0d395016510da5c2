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

    /// <summary>BALANCE_DRAIN.</summary>
    R09 = 8,

    /// <summary>NEW_CARD_CONSOLIDATION.</summary>
    R10 = 9,

    /// <summary>ESCALATING_TOPUPS.</summary>
    R11 = 10,

    /// <summary>REBATE_THEN_BIGGER_OUT.</summary>
    R12 = 11,

    /// <summary>FEE_CHAIN.</summary>
    R13 = 12,

    /// <summary>BOSS_URGENT_PAYMENT.</summary>
    R14 = 13,

    /// <summary>MULE_PASS_THROUGH.</summary>
    R15 = 14,

    /// <summary>FAN_IN_FAN_OUT.</summary>
    R16 = 15,

    /// <summary>ELDERLY_FAMILY_ALERT.</summary>
    R17 = 16,

    /// <summary>UNREACHABLE_AFTER_WARNING.</summary>
    R18 = 17,
}

/// <summary>Names and bit helpers of <see cref="RuleId"/>.</summary>
public static class RuleIds
{
    private static readonly string[] Ids =
        ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10", "R11", "R12", "R13", "R14", "R15", "R16", "R17", "R18"];

    private static readonly string[] Names =
    [
        "OVERSEAS_LONG_CALL", "WATCHLIST_CONTACT", "CALLER_FANOUT", "SIM_BANK",
        "CALL_THEN_OFFICIAL_DIAL", "SCREENSHARE_AFTER_CALL", "CALL_THEN_LARGE_TRANSFER", "PAY_TO_WATCHLISTED_ACCOUNT",
        "BALANCE_DRAIN", "NEW_CARD_CONSOLIDATION", "ESCALATING_TOPUPS", "REBATE_THEN_BIGGER_OUT",
        "FEE_CHAIN", "BOSS_URGENT_PAYMENT", "MULE_PASS_THROUGH", "FAN_IN_FAN_OUT",
        "ELDERLY_FAMILY_ALERT", "UNREACHABLE_AFTER_WARNING",
    ];

    /// <summary>"R01".."R18".</summary>
    public static string Id(RuleId rule) => Ids[(int)rule];

    /// <summary>The rule's name in DOMAIN.md.</summary>
    public static string Name(RuleId rule) => Names[(int)rule];

    /// <summary>The mask bit of <paramref name="rule"/>.</summary>
    public static uint Bit(RuleId rule) => 1u << (int)rule;

    /// <summary>Number of rules known to this build.</summary>
    public static int Count => Ids.Length;

    /// <summary>The rule whose id is <paramref name="id"/> ("R07"), or false.</summary>
    public static bool TryParse(string id, out RuleId rule)
    {
        var index = Array.IndexOf(Ids, id);
        rule = (RuleId)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>Rules with an evaluator in this build; the others can appear in a rule file only as planned and disabled.</summary>
    public static bool IsImplemented(RuleId rule) => (ImplementedMask & Bit(rule)) != 0;

    /// <summary>Mask of the rules with an evaluator in this build.</summary>
    public const uint ImplementedMask =
        (1u << (int)RuleId.R01) | (1u << (int)RuleId.R02) | (1u << (int)RuleId.R05) | (1u << (int)RuleId.R06)
        | (1u << (int)RuleId.R07) | (1u << (int)RuleId.R08) | (1u << (int)RuleId.R09) | (1u << (int)RuleId.R10)
        | (1u << (int)RuleId.R11) | (1u << (int)RuleId.R12) | (1u << (int)RuleId.R13) | (1u << (int)RuleId.R14)
        | (1u << (int)RuleId.R17) | (1u << (int)RuleId.R18)
        | CounterpartyMask;

    /// <summary>
    /// Mask of the counterparty rules (R03, R04, R15, R16): evaluated by the counterparty aggregator on fs.counterparty,
    /// not by the per-party engine.
    /// </summary>
    public const uint CounterpartyMask =
        (1u << (int)RuleId.R03) | (1u << (int)RuleId.R04) | (1u << (int)RuleId.R15) | (1u << (int)RuleId.R16);
}
