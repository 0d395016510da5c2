using System.Globalization;
using FraudShield.Ingest.Events;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FraudShield.RuleEngine.Rules;

/// <summary>
/// Loads a YAML rule file (docs/rules.md), validates all of it and compiles it into a <see cref="RuleSet"/>.
/// A file with any error is refused as a whole; every error names the file, line, rule and field. Runs once at
/// load: the engine then sees plain fields and arrays, with no lookups by name per event.
/// </summary>
public static class RuleFile
{
    private static readonly string[] TopLevelKeys = ["version", "incident_window", "lateness", "default_typology", "composition", "rules"];
    private static readonly string[] RuleKeys = ["id", "name", "typology", "severity", "enabled", "status", "note", "params"];
    private static readonly string[] CompositionKeys = ["when", "then"];

    /// <summary>Loads <paramref name="path"/>; throws <see cref="RuleFileException"/> with every error when refused.</summary>
    public static RuleSet Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuleFileException([new RuleFileError(path, 0, null, null, "cannot read the file: " + e.Message)]);
        }

        return TryParse(path, text, out var set, out var errors) ? set! : throw new RuleFileException(errors);
    }

    /// <summary>Validates and compiles <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    public static bool TryParse(string source, string text, out RuleSet? ruleSet, out IReadOnlyList<RuleFileError> errors)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(text);
        var ctx = new Context(source);
        ruleSet = null;
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            ctx.Error(e.Start, null, null, "malformed YAML: " + Inner(e).Message);
            errors = ctx.Errors;
            return false;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up without a position on some unterminated constructs (an open "[" at the
            // end): the error is reported where the last complete YAML event ended.
            ctx.Error(parser.Current?.End ?? Mark.Empty, null, null, "malformed YAML: unterminated construct (an unclosed [, { or quote?) after this line");
            errors = ctx.Errors;
            return false;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            ctx.Error(stream.Documents.Count > 0 ? stream.Documents[0].RootNode.Start : Mark.Empty, null, null, "expected one YAML document holding a mapping (version, incident_window, composition, rules)");
            errors = ctx.Errors;
            return false;
        }

        var options = new RulePackOptions { EnabledRules = 0 };
        var severities = options.Severities.ToArray();
        var typologies = options.Typologies.ToArray();
        var entries = new List<RuleEntry>();
        var composition = new List<CompositionRule>();
        var seen = new HashSet<RuleId>();
        YamlNode? rulesNode = null;

        foreach (var (key, value) in Pairs(ctx, root, TopLevelKeys, null, null))
        {
            switch (key)
            {
                case "version":
                    if (ctx.Scalar(value, null, "version") is { } v && v != "1")
                    {
                        ctx.Error(value.Start, null, "version", $"this build reads version 1, got \"{v}\"");
                    }

                    break;
                case "incident_window":
                    if (ParseDuration(ctx, value, null, "incident_window") is { } window)
                    {
                        options = options with { IncidentWindow = window };
                    }

                    break;
                case "lateness":
                    if (ParseDuration(ctx, value, null, "lateness") is { } lateness)
                    {
                        if (lateness > RulePackOptions.MaxLateness)
                        {
                            ctx.Error(value.Start, null, "lateness", $"out of range: at most {RulePackOptions.MaxLateness.TotalMinutes:0}m (events are judged at once; a longer lateness only keeps more late events), got \"{ctx.Scalar(value, null, "lateness")}\"");
                        }
                        else
                        {
                            options = options with { Lateness = lateness };
                        }
                    }

                    break;
                case "default_typology":
                    if (ParseTypology(ctx, value, null, "default_typology") is { } typology)
                    {
                        options = options with { DefaultTypology = typology };
                    }

                    break;
                case "composition":
                    ParseComposition(ctx, value, composition);
                    break;
                case "rules":
                    rulesNode = value;
                    break;
            }
        }

        if (rulesNode is null)
        {
            ctx.Error(root.Start, null, "rules", "missing: the file must list its rules");
        }
        else if (rulesNode is not YamlSequenceNode rulesSeq)
        {
            ctx.Error(rulesNode.Start, null, "rules", "expected a list of rules");
        }
        else
        {
            foreach (var item in rulesSeq)
            {
                ParseRule(ctx, item, seen, entries, severities, typologies, ref options);
            }
        }

        if (ctx.Errors.Count > 0)
        {
            errors = ctx.Errors;
            return false;
        }

        options = options with { Severities = severities, Typologies = typologies, Composition = composition };
        ruleSet = new RuleSet(source, options, entries);
        errors = [];
        return true;
    }

    private static Exception Inner(Exception e) => e.InnerException is YamlException inner ? Inner(inner) : e;

    private static void ParseRule(Context ctx, YamlNode item, HashSet<RuleId> seen, List<RuleEntry> entries, int[] severities, string?[] typologies, ref RulePackOptions options)
    {
        if (item is not YamlMappingNode map)
        {
            ctx.Error(item.Start, null, null, "expected a rule (a mapping with id, name, severity, enabled, params)");
            return;
        }

        // The id first, so every later error can name the rule.
        var idNode = Find(map, "id");
        if (idNode is null)
        {
            ctx.Error(map.Start, null, "id", "missing");
            return;
        }

        var idText = ctx.Scalar(idNode, null, "id");
        if (idText is null)
        {
            return;
        }

        if (!RuleIds.TryParse(idText, out var id))
        {
            ctx.Error(idNode.Start, idText, "id", $"unknown rule id \"{idText}\" (this build knows R01-R18)");
            return;
        }

        if (!seen.Add(id))
        {
            ctx.Error(idNode.Start, idText, "id", "duplicate: the rule is already defined above");
            return;
        }

        string? name = null, typology = null, note = null;
        int? severity = null;
        bool? enabled = null;
        var planned = false;
        YamlNode? paramsNode = null;
        foreach (var (key, value) in Pairs(ctx, map, RuleKeys, idText, null))
        {
            switch (key)
            {
                case "name":
                    name = ctx.Scalar(value, idText, "name");
                    if (name is not null && name != RuleIds.Name(id))
                    {
                        ctx.Error(value.Start, idText, "name", $"expected \"{RuleIds.Name(id)}\" (the id binds the built-in rule of that name), got \"{name}\"");
                    }

                    break;
                case "typology":
                    typology = ParseTypology(ctx, value, idText, "typology");
                    break;
                case "severity":
                    severity = ParseSeverity(ctx, value, idText, "severity");
                    break;
                case "enabled":
                    enabled = ParseBool(ctx, value, idText, "enabled");
                    break;
                case "status":
                    var status = ctx.Scalar(value, idText, "status");
                    if (status is "planned")
                    {
                        planned = true;
                    }
                    else if (status is not null and not "active")
                    {
                        ctx.Error(value.Start, idText, "status", $"expected active or planned, got \"{status}\"");
                    }

                    break;
                case "note":
                    note = ctx.Scalar(value, idText, "note");
                    break;
                case "params":
                    paramsNode = value;
                    break;
            }
        }

        if (name is null && Find(map, "name") is null)
        {
            ctx.Error(map.Start, idText, "name", "missing");
        }

        if (severity is null && Find(map, "severity") is null)
        {
            ctx.Error(map.Start, idText, "severity", "missing");
        }

        if (enabled is null && Find(map, "enabled") is null)
        {
            ctx.Error(map.Start, idText, "enabled", "missing");
        }

        var implemented = RuleIds.IsImplemented(id);
        if (!implemented && !planned)
        {
            ctx.Error(idNode.Start, idText, "status", "this build has no evaluator for the rule: mark it status: planned and enabled: false");
        }

        if ((planned || !implemented) && enabled == true)
        {
            ctx.Error(Find(map, "enabled")!.Start, idText, "enabled", "a planned rule cannot be enabled (no evaluator in this build)");
        }

        var parameters = new List<KeyValuePair<string, string>>();
        if (paramsNode is YamlMappingNode paramMap)
        {
            var specs = RuleParams.For(id);
            var names = specs.Select(s => s.Name).ToArray();
            var errorsBefore = ctx.Errors.Count;
            foreach (var (key, value) in Pairs(ctx, paramMap, names, idText, "parameter "))
            {
                var spec = specs.First(s => s.Name == key);
                var parsed = spec.Parse(ctx, value, idText, "parameter " + key);
                if (parsed is not null)
                {
                    options = spec.Apply(options, parsed);
                    parameters.Add(new(key, Describe(value)));
                }
            }

            // Constraints between parameters, once each of them is valid on its own.
            if (ctx.Errors.Count == errorsBefore && RuleParams.CrossCheck(id, options) is { } broken)
            {
                var given = broken.Params.FirstOrDefault(p => Find(paramMap, p) is not null) ?? broken.Params[0];
                ctx.Error((Find(paramMap, given) ?? paramMap).Start, idText, "parameter " + given, broken.Reason);
            }
        }
        else if (paramsNode is not null && !(paramsNode is YamlScalarNode { Value: null or "" }))
        {
            ctx.Error(paramsNode.Start, idText, "params", "expected a mapping of parameter names to values");
        }

        if (severity is { } s)
        {
            severities[(int)id] = s;
        }

        if (id == RuleId.R01 && typology is not null)
        {
            options = options with { R01Typology = typology };
        }

        typologies[(int)id] = typology;
        if (enabled == true && implemented && !planned)
        {
            options = options with { EnabledRules = options.EnabledRules | RuleIds.Bit(id) };
        }

        entries.Add(new RuleEntry(id, name ?? RuleIds.Name(id), typology, severity ?? 4, enabled == true && implemented && !planned, planned || !implemented, note, parameters));
    }

    private static void ParseComposition(Context ctx, YamlNode node, List<CompositionRule> composition)
    {
        if (node is not YamlSequenceNode seq)
        {
            ctx.Error(node.Start, null, "composition", "expected a list of entries like { when: [R01, R07], then: L1 }");
            return;
        }

        for (var i = 0; i < seq.Children.Count; i++)
        {
            var field = $"composition[{i + 1}]";
            if (seq.Children[i] is not YamlMappingNode map)
            {
                ctx.Error(seq.Children[i].Start, null, field, "expected a mapping with when and then");
                continue;
            }

            IReadOnlyList<RuleId>? when = null;
            int? then = null;
            foreach (var (key, value) in Pairs(ctx, map, CompositionKeys, null, field + "."))
            {
                if (key == "when")
                {
                    when = ParseRuleList(ctx, value, null, field + ".when");
                    if (when is { Count: < 2 })
                    {
                        ctx.Error(value.Start, null, field + ".when", "name at least two rules");
                        when = null;
                    }
                }
                else
                {
                    then = ParseSeverity(ctx, value, null, field + ".then");
                }
            }

            if (Find(map, "when") is null || Find(map, "then") is null)
            {
                ctx.Error(map.Start, null, field, "needs both when and then");
            }
            else if (when is not null && then is not null)
            {
                composition.Add(new CompositionRule(when, then.Value));
            }
        }
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode seq => "[" + string.Join(", ", seq.Children.Select(Describe)) + "]",
        _ => node.ToString(),
    };

    private static YamlNode? Find(YamlMappingNode map, string key)
    {
        foreach (var pair in map.Children)
        {
            if (pair.Key is YamlScalarNode { Value: { } k } && k == key)
            {
                return pair.Value;
            }
        }

        return null;
    }

    // The mapping's pairs with known keys; unknown and repeated keys are errors.
    private static IEnumerable<(string Key, YamlNode Value)> Pairs(Context ctx, YamlMappingNode map, string[] known, string? rule, string? fieldPrefix)
    {
        var seen = new HashSet<string>();
        foreach (var pair in map.Children)
        {
            if (pair.Key is not YamlScalarNode { Value: { } key })
            {
                ctx.Error(pair.Key.Start, rule, fieldPrefix?.TrimEnd('.', ' '), "keys must be plain names");
                continue;
            }

            var what = fieldPrefix is null ? key : fieldPrefix + key;
            if (!known.Contains(key))
            {
                var kind = fieldPrefix == "parameter " ? "unknown parameter" : "unknown field";
                ctx.Error(pair.Key.Start, rule, what, $"{kind}; expected one of: {string.Join(", ", known)}");
                continue;
            }

            if (!seen.Add(key))
            {
                ctx.Error(pair.Key.Start, rule, what, "given twice");
                continue;
            }

            yield return (key, pair.Value);
        }
    }

    internal static TimeSpan? ParseDuration(Context ctx, YamlNode node, string? rule, string field)
    {
        var text = ctx.Scalar(node, rule, field);
        if (text is null)
        {
            return null;
        }

        var digits = text.AsSpan().TrimStart('-');
        var unitStart = 0;
        while (unitStart < digits.Length && char.IsAsciiDigit(digits[unitStart]))
        {
            unitStart++;
        }

        var unit = digits[unitStart..].ToString();
        long ms = unit switch { "ms" => 1, "s" => 1000, "m" => 60_000, "h" => 3_600_000, "d" => 86_400_000, _ => 0 };
        if (unitStart == 0 || ms == 0 || !long.TryParse(digits[..unitStart], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 3650L * 86_400_000 / ms)
        {
            ctx.Error(node.Start, rule, field, $"expected a duration like 600s, 30m, 2h or 30d, got \"{text}\"");
            return null;
        }

        if (text.StartsWith('-') || n == 0)
        {
            ctx.Error(node.Start, rule, field, $"out of range: a duration must be positive, got \"{text}\"");
            return null;
        }

        return TimeSpan.FromMilliseconds(n * ms);
    }

    internal static long? ParseWhole(Context ctx, YamlNode node, string? rule, string field, long min, long max)
    {
        var text = ctx.Scalar(node, rule, field);
        if (text is null)
        {
            return null;
        }

        if (!long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            ctx.Error(node.Start, rule, field, $"expected a whole number, got \"{text}\"");
            return null;
        }

        if (value < min || value > max)
        {
            ctx.Error(node.Start, rule, field, $"out of range: expected {min} to {max}, got {value}");
            return null;
        }

        return value;
    }

    internal static int? ParseSeverity(Context ctx, YamlNode node, string? rule, string field)
    {
        var text = ctx.Scalar(node, rule, field);
        if (text is null)
        {
            return null;
        }

        if (text is not ("L1" or "L2" or "L3" or "L4"))
        {
            ctx.Error(node.Start, rule, field, $"expected a level L1, L2, L3 or L4, got \"{text}\"");
            return null;
        }

        return text[1] - '0';
    }

    internal static bool? ParseBool(Context ctx, YamlNode node, string? rule, string field)
    {
        var text = ctx.Scalar(node, rule, field);
        switch (text)
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                ctx.Error(node.Start, rule, field, $"expected true or false, got \"{text}\"");
                return null;
        }
    }

    internal static string? ParseTypology(Context ctx, YamlNode node, string? rule, string field)
    {
        var text = ctx.Scalar(node, rule, field);
        if (text is null)
        {
            return null;
        }

        if (text.Length == 0 || text.Length > 64 || !text.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            ctx.Error(node.Start, rule, field, $"expected an upper-case name like IMPERSONATE_AUTHORITY, got \"{text}\"");
            return null;
        }

        return text;
    }

    internal static IReadOnlyList<RuleId>? ParseRuleList(Context ctx, YamlNode node, string? rule, string field) =>
        ParseList<RuleId>(ctx, node, rule, field, "a rule id R01-R18", text => RuleIds.TryParse(text, out var id) ? id : null);

    internal static IReadOnlyList<T>? ParseList<T>(Context ctx, YamlNode node, string? rule, string field, string expected, Func<string, T?> parse)
        where T : struct
    {
        if (node is not YamlSequenceNode seq)
        {
            ctx.Error(node.Start, rule, field, $"expected a list like [a, b], each {expected}");
            return null;
        }

        var list = new List<T>();
        var ok = true;
        foreach (var child in seq)
        {
            var text = ctx.Scalar(child, rule, field);
            if (text is null)
            {
                ok = false;
                continue;
            }

            if (parse(text) is { } value)
            {
                if (!list.Contains(value))
                {
                    list.Add(value);
                }
            }
            else
            {
                ctx.Error(child.Start, rule, field, $"expected {expected}, got \"{text}\"");
                ok = false;
            }
        }

        if (ok && list.Count == 0)
        {
            ctx.Error(node.Start, rule, field, "the list is empty");
            return null;
        }

        return ok ? list : null;
    }

    /// <summary>The enum member named like <paramref name="text"/> in UPPER_SNAKE case (SCREEN_SHARE_START), or null.</summary>
    internal static T? ParseEnum<T>(string text)
        where T : struct, Enum
    {
        if (text.Length == 0 || !text.All(c => char.IsAsciiLetterUpper(c) || c == '_'))
        {
            return null;
        }

        return Enum.TryParse<T>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var value) ? value : null;
    }

    /// <summary>Error collection and scalar access for one load.</summary>
    internal sealed class Context(string source)
    {
        public List<RuleFileError> Errors { get; } = [];

        public void Error(Mark mark, string? rule, string? field, string reason) =>
            Errors.Add(new RuleFileError(source, (int)mark.Line, rule, field, reason));

        public string? Scalar(YamlNode node, string? rule, string field)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar.Value ?? "";
            }

            Error(node.Start, rule, field, $"expected a single value, got a {(node is YamlSequenceNode ? "list" : "mapping")}");
            return null;
        }
    }
}

/// <summary>The parameters each rule accepts in a rule file: name, type, range and the option it sets.</summary>
internal static class RuleParams
{
    private static readonly Dictionary<RuleId, ParamSpec[]> Specs = new()
    {
        [RuleId.R01] =
        [
            Seconds("min_call", (o, v) => o with { R01MinCallSeconds = v }),
            Seconds("min_summed", (o, v) => o with { R01MinSummedSeconds = v }),
            Duration("sum_window", (o, v) => o with { R01SumWindow = v }),
            Duration("quiet_history", (o, v) => o with { R01QuietHistory = v }),
            Whole("elder_age", 0, 150, (o, v) => o with { R01ElderAge = (int)v }),
            Level("elder_severity", (o, v) => o with { R01ElderSeverity = v }),
        ],
        [RuleId.R02] =
        [
            Seconds("min_duration", (o, v) => o with { R02MinSeconds = v }),
            Seconds("strong_duration", (o, v) => o with { R02StrongSeconds = v }),
            Level("strong_severity", (o, v) => o with { R02StrongSeverity = v }),
        ],
        // The counterparty rules: their parameters live beside their options (RulePackOptions.Counterparty.cs).
        [RuleId.R03] = CounterpartyParams.R03,
        [RuleId.R04] = CounterpartyParams.R04,
        [RuleId.R15] = CounterpartyParams.R15,
        [RuleId.R16] = CounterpartyParams.R16,
        [RuleId.R05] =
        [
            Seconds("min_call", (o, v) => o with { R05MinCallSeconds = v }),
            Duration("window", (o, v) => o with { R05Window = v }),
            new("hotlines", (ctx, n, r, f) => ParseNumbers(ctx, n, r, f), (o, v) => o with { R05Hotlines = (IReadOnlyList<string>)v }),
            Whole("min_call_backs", 1, 100, (o, v) => o with { R05MinCallBacks = (int)v }),
        ],
        [RuleId.R06] =
        [
            Duration("window", (o, v) => o with { R06Window = v }),
            new("app_categories", (ctx, n, r, f) => RuleFile.ParseList(ctx, n, r, f, "an app category (MEETING, SCREEN_SHARE, REMOTE_CONTROL, FAKE_INVEST, FAKE_LOAN, UNKNOWN_APK)", t => t == "NONE" ? null : RuleFile.ParseEnum<AppCategory>(t)), (o, v) => o with { R06AppCategories = (IReadOnlyList<AppCategory>)v }),
            new("signals", (ctx, n, r, f) => RuleFile.ParseList(ctx, n, r, f, "a device event type (INSTALL, SCREEN_SHARE_START, REMOTE_CONTROL, ...)", t => t == "UNKNOWN" ? null : RuleFile.ParseEnum<DeviceEventType>(t)), (o, v) => o with { R06Signals = (IReadOnlyList<DeviceEventType>)v }),
        ],
        [RuleId.R07] =
        [
            Whole("min_amount_minor", 1, long.MaxValue / 4, (o, v) => o with { R07MinAmountMinor = v }),
            Whole("max_multiple", 1, 1000, (o, v) => o with { R07MaxMultiple = (int)v }),
            Duration("window", (o, v) => o with { R07Window = v }),
        ],
        [RuleId.R08] =
        [
            Whole("large_amount_minor", 1, long.MaxValue / 4, (o, v) => o with { R08L1AmountMinor = v }),
            Level("large_severity", (o, v) => o with { R08LargeSeverity = v }),
        ],
        [RuleId.R09] =
        [
            Percent("min_percent", (o, v) => o with { R09MinPercent = v }),
            Duration("window", (o, v) => o with { R09Window = v }),
            Whole("min_moved_minor", 1, long.MaxValue / 4, (o, v) => o with { R09MinMovedMinor = v }),
            Bool("require_context", (o, v) => o with { R09RequireContext = v }),
            Duration("context_window", (o, v) => o with { R09ContextWindow = v }),
        ],
        [RuleId.R10] =
        [
            Duration("new_account_age", (o, v) => o with { R10NewAccountAge = v }),
            Whole("min_source_accounts", 1, 20, (o, v) => o with { R10MinSourceAccounts = (int)v }),
            Whole("min_swept_minor", 1, long.MaxValue / 4, (o, v) => o with { R10MinSweptMinor = v }),
            Percent("min_out_percent", (o, v) => o with { R10MinOutPercent = v }),
            Duration("window", (o, v) => o with { R10Window = v }),
        ],
        [RuleId.R11] =
        [
            Whole("min_count", 2, 50, (o, v) => o with { R11MinCount = (int)v }),
            new("min_step_ratio", ParseRatio, (o, v) => o with { R11StepPermille = (int)(long)v }),
            Whole("min_total_minor", 1, long.MaxValue / 4, (o, v) => o with { R11MinTotalMinor = v }),
            Duration("window", (o, v) => o with { R11Window = v }),
            Bool("require_context", (o, v) => o with { R11RequireContext = v }),
            Duration("context_window", (o, v) => o with { R11ContextWindow = v }),
        ],
        [RuleId.R12] =
        [
            Whole("max_inbound_minor", 1, long.MaxValue / 4, (o, v) => o with { R12MaxInboundMinor = v }),
            Whole("multiple", 1, 10_000, (o, v) => o with { R12Multiple = (int)v }),
            Duration("window", (o, v) => o with { R12Window = v }),
        ],
        [RuleId.R13] =
        [
            Whole("min_fee_minor", 1, long.MaxValue / 4, (o, v) => o with { R13MinFeeMinor = v }),
            Whole("max_fee_minor", 1, long.MaxValue / 4, (o, v) => o with { R13MaxFeeMinor = v }),
            Whole("min_fees", 2, 50, (o, v) => o with { R13MinFees = (int)v }),
            Whole("min_new_payees", 1, 50, (o, v) => o with { R13MinNewPayees = (int)v }),
            Duration("window", (o, v) => o with { R13Window = v }),
            new("loan_app_categories", (ctx, n, r, f) => RuleFile.ParseList(ctx, n, r, f, "an app category (FAKE_LOAN, FAKE_INVEST, UNKNOWN_APK, ...)", t => t == "NONE" ? null : RuleFile.ParseEnum<AppCategory>(t)), (o, v) => o with { R13LoanAppCategories = (IReadOnlyList<AppCategory>)v }),
            new("loan_typologies", ParseTypologies, (o, v) => o with { R13LoanTypologies = (IReadOnlyList<string>)v }),
            new("loan_keywords", ParseKeywords, (o, v) => o with { R13LoanKeywords = (IReadOnlyList<string>)v }),
            new("keyword_senders", (ctx, n, r, f) => RuleFile.ParseList(ctx, n, r, f, "an SMS sender class (PERSONAL, SHORT_CODE, INTERNATIONAL, OFFICIAL)", t => t == "UNKNOWN" ? null : RuleFile.ParseEnum<SenderClass>(t)), (o, v) => o with { R13KeywordSenders = (IReadOnlyList<SenderClass>)v }),
        ],
        [RuleId.R14] =
        [
            Whole("min_amount_minor", 1, long.MaxValue / 4, (o, v) => o with { R14MinAmountMinor = v }),
            Whole("typical_multiple", 1, 1000, (o, v) => o with { R14TypicalMultiple = (int)v }),
            Whole("min_history", 1, 255, (o, v) => o with { R14MinHistory = (int)v }),
            Duration("window", (o, v) => o with { R14Window = v }),
        ],
        [RuleId.R17] =
        [
            Whole("min_age", 0, 150, (o, v) => o with { R17MinAge = (int)v }),
            new("triggers", (ctx, n, r, f) => RuleFile.ParseRuleList(ctx, n, r, f), (o, v) => o with { R17Triggers = (IReadOnlyList<RuleId>)v }),
        ],
        [RuleId.R18] =
        [
            Duration("window", (o, v) => o with { R18Window = v }),
            Level("min_incident_severity", (o, v) => o with { R18MinIncidentSeverity = v }),
            new("signals", (ctx, n, r, f) => RuleFile.ParseList(ctx, n, r, f, "a device event type (POWER_OFF, DETACH, ...)", t => t == "UNKNOWN" ? null : RuleFile.ParseEnum<DeviceEventType>(t)), (o, v) => o with { R18Signals = (IReadOnlyList<DeviceEventType>)v }),
        ],
    };

    /// <summary>The parameters of <paramref name="rule"/>; planned rules accept none.</summary>
    public static ParamSpec[] For(RuleId rule) => Specs.TryGetValue(rule, out var specs) ? specs : [];

    /// <summary>
    /// A constraint between parameters of <paramref name="rule"/> that <paramref name="options"/> breaks: the
    /// parameters involved (the error names the first one the file gives) and why; null when none is broken.
    /// </summary>
    public static (string[] Params, string Reason)? CrossCheck(RuleId rule, RulePackOptions options) => rule switch
    {
        RuleId.R13 when options.R13MinFeeMinor > options.R13MaxFeeMinor =>
            (["min_fee_minor", "max_fee_minor"], $"min_fee_minor ({options.R13MinFeeMinor}) must not exceed max_fee_minor ({options.R13MaxFeeMinor})"),
        _ => null,
    };

    private static ParamSpec Seconds(string name, Func<RulePackOptions, int, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) =>
        {
            var d = RuleFile.ParseDuration(ctx, n, r, f);
            if (d is { } span && (span.Ticks % TimeSpan.TicksPerSecond != 0 || span.TotalSeconds > int.MaxValue))
            {
                ctx.Error(n.Start, r, f, "expected whole seconds (600s, 10m, 1h)");
                return null;
            }

            return d is null ? null : (int)d.Value.TotalSeconds;
        }, (o, v) => apply(o, (int)v));

    private static ParamSpec Duration(string name, Func<RulePackOptions, TimeSpan, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) => RuleFile.ParseDuration(ctx, n, r, f), (o, v) => apply(o, (TimeSpan)v));

    private static ParamSpec Whole(string name, long min, long max, Func<RulePackOptions, long, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) => RuleFile.ParseWhole(ctx, n, r, f, min, max), (o, v) => apply(o, (long)v));

    private static ParamSpec Level(string name, Func<RulePackOptions, int, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) => RuleFile.ParseSeverity(ctx, n, r, f), (o, v) => apply(o, (int)v));

    private static ParamSpec Bool(string name, Func<RulePackOptions, bool, RulePackOptions> apply) =>
        new(name, (ctx, n, r, f) => RuleFile.ParseBool(ctx, n, r, f), (o, v) => apply(o, (bool)v));

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
                ctx.Error(n.Start, r, f, $"expected a whole percentage like 80%, got \"{text}\"");
                return null;
            }

            if (p is < 1 or > 100)
            {
                ctx.Error(n.Start, r, f, $"out of range: expected 1% to 100%, got {p}%");
                return null;
            }

            return p;
        }, (o, v) => apply(o, (int)v));

    private static object? ParseRatio(RuleFile.Context ctx, YamlNode node, string? rule, string field)
    {
        var text = ctx.Scalar(node, rule, field);
        if (text is null)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ratio))
        {
            ctx.Error(node.Start, rule, field, $"expected a ratio like 1.5, got \"{text}\"");
            return null;
        }

        if (ratio < 1 || ratio > 100 || decimal.Round(ratio, 3) != ratio)
        {
            ctx.Error(node.Start, rule, field, $"out of range: expected 1 to 100 with at most 3 decimals, got {text}");
            return null;
        }

        return (long)(ratio * 1000);
    }

    private static List<string>? ParseTypologies(RuleFile.Context ctx, YamlNode node, string? rule, string field)
    {
        if (node is not YamlSequenceNode seq || seq.Children.Count == 0)
        {
            ctx.Error(node.Start, rule, field, "expected a non-empty list of typologies like [FAKE_LOAN]");
            return null;
        }

        var list = new List<string>();
        foreach (var child in seq)
        {
            if (RuleFile.ParseTypology(ctx, child, rule, field) is not { } typology)
            {
                return null;
            }

            if (!list.Contains(typology, StringComparer.Ordinal))
            {
                list.Add(typology);
            }
        }

        return list;
    }

    // SMS keyword flags as the operator's tagger writes them ("refund", "police"): ASCII letters, digits, '_' and '-'.
    private static List<string>? ParseKeywords(RuleFile.Context ctx, YamlNode node, string? rule, string field)
    {
        if (node is not YamlSequenceNode seq || seq.Children.Count == 0)
        {
            ctx.Error(node.Start, rule, field, "expected a non-empty list of SMS keyword flags like [loan, credit_repair]");
            return null;
        }

        var list = new List<string>();
        foreach (var child in seq)
        {
            var text = ctx.Scalar(child, rule, field);
            if (text is null)
            {
                return null;
            }

            if (text.Length == 0 || text.Length > 64 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                ctx.Error(child.Start, rule, field, $"expected a keyword flag of ASCII letters, digits, _ or -, got \"{text}\"");
                return null;
            }

            if (!list.Contains(text, StringComparer.OrdinalIgnoreCase))
            {
                list.Add(text);
            }
        }

        return list;
    }

    private static List<string>? ParseNumbers(RuleFile.Context ctx, YamlNode node, string? rule, string field)
    {
        if (node is not YamlSequenceNode seq || seq.Children.Count == 0)
        {
            ctx.Error(node.Start, rule, field, "expected a non-empty list of phone numbers or short codes like [95588, \"+86 10 95566\"]");
            return null;
        }

        var list = new List<string>();
        foreach (var child in seq)
        {
            var text = ctx.Scalar(child, rule, field);
            if (text is null)
            {
                return null;
            }

            if (!PhoneNumber.TryNormalize(System.Text.Encoding.UTF8.GetBytes(text), ParserOptions.Default, out _))
            {
                ctx.Error(child.Start, rule, field, $"expected a phone number or short code, got \"{text}\"");
                return null;
            }

            list.Add(text);
        }

        return list;
    }
}

/// <summary>One parameter: its name, its parser (errors go to the context; null on error) and the option it sets.</summary>
internal sealed record ParamSpec(
    string Name,
    Func<RuleFile.Context, YamlNode, string?, string, object?> Parse,
    Func<RulePackOptions, object, RulePackOptions> Apply);
