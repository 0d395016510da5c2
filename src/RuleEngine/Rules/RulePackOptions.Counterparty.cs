using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace FraudShield.RuleEngine.Rules;

/// <summary>Thresholds of the counterparty rules (R03, R04, R15, R16), evaluated by the counterparty aggregator.</summary>
public sealed partial record RulePackOptions
{
    /// <summary>R03: the caller (number or IMEI) must reach at least this many distinct callees within <see cref="R03Window"/>.</summary>
    public int R03MinCallees { get; init; } = 30;

    /// <summary>R03: ...with an answer rate below this percentage...</summary>
    public int R03MaxAnswerPercent { get; init; } = 30;

    /// <summary>R03: ...and a median call duration below this many seconds.</summary>
    public int R03MaxMedianSeconds { get; init; } = 30;

    /// <summary>R03: the sliding window.</summary>
    public TimeSpan R03Window { get; init; } = TimeSpan.FromHours(1);

    /// <summary>R03: also aggregate by the handset (IMEI) of the call, not only by the calling number.</summary>
    public bool R03ByImei { get; init; } = true;

    /// <summary>R04: at least this many distinct calling numbers on one IMEI within <see cref="R04Window"/>.</summary>
    public int R04MinNumbers { get; init; } = 5;

    /// <summary>R04: the window.</summary>
    public TimeSpan R04Window { get; init; } = TimeSpan.FromHours(24);

    /// <summary>R15: at least this many distinct payers paying into the account within <see cref="R15Window"/>...</summary>
    public int R15MinPayers { get; init; } = 3;

    /// <summary>R15: ...of whose money at least this percentage left the account within the window...</summary>
    public int R15MinForwardPercent { get; init; } = 80;

    /// <summary>R15: the window.</summary>
    public TimeSpan R15Window { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>R15: ...and the account is young (opened at most this long before, from <c>payee.opened_ms</c>)...</summary>
    public TimeSpan R15MaxAccountAge { get; init; } = TimeSpan.FromDays(90);

    /// <summary>R15: ...or newly active: no activity for at least this long before the current burst.</summary>
    public TimeSpan R15Dormant { get; init; } = TimeSpan.FromDays(30);

    /// <summary>R16: at least this many distinct counterparties (payers and payees) within <see cref="R16Window"/>...</summary>
    public int R16MinCounterparties { get; init; } = 10;

    /// <summary>R16: ...inflow / outflow at least this ratio (per mille: 800 = 0.8)...</summary>
    public int R16MinInOutPermille { get; init; } = 800;

    /// <summary>R16: ...and at most this ratio (per mille: 1200 = 1.2)...</summary>
    public int R16MaxInOutPermille { get; init; } = 1200;

    /// <summary>R16: ...and what stays in the account is below this percentage of the inflow.</summary>
    public int R16MaxResidualPercent { get; init; } = 5;

    /// <summary>R16: the window, from the first transaction of the window.</summary>
    public TimeSpan R16Window { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// R16: fire only for a young or newly active account, as R15 defines them (<see cref="R15MaxAccountAge"/>,
    /// <see cref="R15Dormant"/>). Without it an established account with a high turnover and a small balance fires.
    /// </summary>
    public bool R16RequireNewAccount { get; init; } = true;
}

/// <summary>The rule-file parameters of R03, R04, R15 and R16 (names, types, ranges), used by <see cref="RuleParams"/>.</summary>
internal static class CounterpartyParams
{
    /// <summary>Ring capacity of a caller's recent calls: the most R03's <c>min_callees</c> can ask for.</summary>
    public const int MaxCallees = 48;

    /// <summary>Distinct numbers kept per IMEI: the most R04's <c>min_numbers</c> can ask for.</summary>
    public const int MaxNumbers = 8;

    /// <summary>Ring capacity of an account's recent transactions: the most R15's <c>min_payers</c> can ask for.</summary>
    public const int MaxPayers = 32;

    /// <summary>Distinct counterparties kept per account window: the most R16's <c>min_counterparties</c> can ask for.</summary>
    public const int MaxCounterparties = 16;

    public static readonly ParamSpec[] R03 =
    [
        Whole("min_callees", 2, MaxCallees, (o, v) => o with { R03MinCallees = (int)v }),
        Percent("max_answer_rate", (o, v) => o with { R03MaxAnswerPercent = v }),
        new("max_median_duration", (ctx, n, r, f) => WholeSeconds(ctx, n, r, f), (o, v) => o with { R03MaxMedianSeconds = (int)(long)v }),
        Duration("window", (o, v) => o with { R03Window = v }),
        new("by_imei", (ctx, n, r, f) => RuleFile.ParseBool(ctx, n, r, f), (o, v) => o with { R03ByImei = (bool)v }),
    ];

    public static readonly ParamSpec[] R04 =
    [
        Whole("min_numbers", 2, MaxNumbers, (o, v) => o with { R04MinNumbers = (int)v }),
        Duration("window", (o, v) => o with { R04Window = v }),
    ];

    public static readonly ParamSpec[] R15 =
    [
        Whole("min_payers", 2, MaxPayers, (o, v) => o with { R15MinPayers = (int)v }),
        Percent("min_forwarded", (o, v) => o with { R15MinForwardPercent = v }),
        Duration("window", (o, v) => o with { R15Window = v }),
        Duration("max_account_age", (o, v) => o with { R15MaxAccountAge = v }),
        Duration("dormant", (o, v) => o with { R15Dormant = v }),
    ];

    public static readonly ParamSpec[] R16 =
    [
        Whole("min_counterparties", 2, MaxCounterparties, (o, v) => o with { R16MinCounterparties = (int)v }),
        new("min_in_out", Ratio, (o, v) => o with { R16MinInOutPermille = (int)(long)v }),
        new("max_in_out", Ratio, (o, v) => o with { R16MaxInOutPermille = (int)(long)v }),
        Percent("max_residual", (o, v) => o with { R16MaxResidualPercent = v }),
        Duration("window", (o, v) => o with { R16Window = v }),
        new("require_new_account", (ctx, n, r, f) => RuleFile.ParseBool(ctx, n, r, f), (o, v) => o with { R16RequireNewAccount = (bool)v }),
    ];

    private static ParamSpec Whole(string name, long min, long max, Func<RulePackOptions, long, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) => RuleFile.ParseWhole(ctx, n, r, f, min, max), (o, v) => apply(o, (long)v));

    private static ParamSpec Duration(string name, Func<RulePackOptions, TimeSpan, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) => RuleFile.ParseDuration(ctx, n, r, f), (o, v) => apply(o, (TimeSpan)v));

    private static ParamSpec Percent(string name, Func<RulePackOptions, int, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) =>
        {
            var text = ctx.Scalar(n, r, f);
            if (text is null)
            {
                return null;
            }

            var digits = text.EndsWith('%') ? text[..^1].TrimEnd() : text;
            if (!int.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p))
            {
                ctx.Error(n.Start, r, f, $"expected a whole percentage like 30%, got \"{text}\"");
                return null;
            }

            if (p is < 1 or > 100)
            {
                ctx.Error(n.Start, r, f, $"out of range: expected 1% to 100%, got {p}%");
                return null;
            }

            return p;
        }, (o, v) => apply(o, (int)v));

    private static long? WholeSeconds(RuleFile.Context ctx, YamlNode node, string? rule, string field)
    {
        var d = RuleFile.ParseDuration(ctx, node, rule, field);
        if (d is { } span && (span.Ticks % TimeSpan.TicksPerSecond != 0 || span.TotalSeconds > 86_400))
        {
            ctx.Error(node.Start, rule, field, "expected whole seconds up to a day (30s, 1m)");
            return null;
        }

        return d is null ? null : (long)d.Value.TotalSeconds;
    }

    // An in/out ratio: a decimal from 0.1 to 10 with at most 3 decimals, kept in per mille.
    private static object? Ratio(RuleFile.Context ctx, YamlNode node, string? rule, string field)
    {
        var text = ctx.Scalar(node, rule, field);
        if (text is null)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ratio))
        {
            ctx.Error(node.Start, rule, field, $"expected a ratio like 0.8, got \"{text}\"");
            return null;
        }

        if (ratio < 0.1m || ratio > 10 || decimal.Round(ratio, 3) != ratio)
        {
            ctx.Error(node.Start, rule, field, $"out of range: expected 0.1 to 10 with at most 3 decimals, got {text}");
            return null;
        }

        return (long)(ratio * 1000);
    }
}
