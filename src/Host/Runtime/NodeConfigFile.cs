using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FraudShield.AlertDispatch.Security;
using StackExchange.Redis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FraudShield.Host.Runtime;

/// <summary>Where a refused setting came from (file and line, or a command-line option) and why it was refused.</summary>
internal sealed record ConfigError(string Source, int Line, string Key, string Reason)
{
    /// <summary><c>file:line: key: reason</c> (no line when the file could not be parsed that far).</summary>
    public override string ToString() => Line > 0 ? $"{Source}:{Line}: {Key}: {Reason}" : $"{Source}: {Key}: {Reason}";
}

/// <summary>A setting and the file line it was read from.</summary>
internal readonly record struct Located<T>(T Value, int Line);

/// <summary>
/// The settings of `fraudshield run` read from a config file (<c>--config</c>); a setting absent from the file is
/// null. Paths are resolved against the file's folder.
/// </summary>
internal sealed record NodeConfig(string Path)
{
    public Located<string>? Role { get; set; }

    public Located<string>? Bootstrap { get; set; }

    public Located<int>? CreateTopics { get; set; }

    public Dictionary<string, string> KafkaProperties { get; } = new(StringComparer.Ordinal);

    public Located<string>? Data { get; set; }

    public Located<TimeSpan>? CheckpointInterval { get; set; }

    public Located<TimeSpan>? CounterpartyCheckpointInterval { get; set; }

    public Located<TimeSpan>? RebuildWindow { get; set; }

    public Located<string>? Rules { get; set; }

    public Located<string>? Group { get; set; }

    /// <summary>engine.capacity: keys each store is sized for (parties, pairs, register, watchlist); absent keys keep their defaults.</summary>
    public Dictionary<string, Located<int>> Capacity { get; } = new(StringComparer.Ordinal);

    public Located<string>? Listen { get; set; }

    public Located<int>? Port { get; set; }

    public Located<string>? TlsCert { get; set; }

    public Located<string>? TlsPassword { get; set; }

    public Located<string>? TokenSecretFile { get; set; }

    public Located<string>? Redis { get; set; }

    /// <summary>dispatch.closed_case_retention: how long a closed case stays in the case store (<see cref="Timeout.InfiniteTimeSpan"/> for never retired).</summary>
    public Located<TimeSpan>? ClosedCaseRetention { get; set; }

    /// <summary>The line of the <c>kafka:</c> section (1 when absent): where a missing bootstrap is reported.</summary>
    public int KafkaLine { get; set; } = 1;
}

/// <summary>
/// Reads and validates a node config file (YAML, docs/run-config.md). Every mistake is reported
/// with the file, line, key and reason: malformed YAML, an unknown or repeated key, a wrong type, a value out of
/// range, a bad address or port, a missing or unreadable referenced file, a TLS certificate that does not load, a
/// Redis configuration that does not parse. The same value checks apply to command-line options
/// (<see cref="NodeSettingChecks"/>).
/// </summary>
internal static class NodeConfigFile
{
    private static readonly string[] TopKeys = ["role", "kafka", "engine", "dispatch"];
    private static readonly string[] KafkaKeys = ["bootstrap", "create_topics", "properties"];
    private static readonly string[] EngineKeys = ["data", "checkpoint_interval", "counterparty_checkpoint_interval", "rebuild_window", "rules", "group", "capacity"];
    private static readonly string[] CapacityKeys = ["parties", "pairs", "register", "watchlist", "callers", "accounts"];
    private static readonly string[] DispatchKeys = ["listen", "port", "tls", "token_secret_file", "redis", "closed_case_retention"];
    private static readonly string[] TlsKeys = ["cert", "password"];

    /// <summary>Reads <paramref name="path"/>; false with every error when it cannot be read or has any mistake.</summary>
    /// <param name="path">The config file.</param>
    /// <param name="bootstrapGiven">Whether the command line names the brokers (then the file need not).</param>
    /// <param name="config">The settings, when the file is good.</param>
    /// <param name="errors">Every mistake, when it is not.</param>
    public static bool TryLoad(string path, bool bootstrapGiven, out NodeConfig? config, out IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        config = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            errors = [new ConfigError(path, 0, "file", "cannot read the config file: " + e.Message)];
            return false;
        }

        return TryParse(path, text, bootstrapGiven, out config, out errors);
    }

    /// <summary>Parses and validates <paramref name="text"/>, read from <paramref name="path"/>.</summary>
    public static bool TryParse(string path, string text, bool bootstrapGiven, out NodeConfig? config, out IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(text);
        var ctx = new Context(path);
        config = null;
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException is YamlException i ? i : e;
            ctx.Error(TabIndentedLine(text) ?? inner.Start.Line, "syntax", "malformed YAML: " + inner.Message);
            errors = ctx.Errors;
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // An unterminated construct (YamlDotNet gives no position) or a key given twice in one mapping.
            ctx.Error((int)(parser.Current?.End.Line ?? 0), "syntax", "malformed YAML: " + e.Message);
            errors = ctx.Errors;
            return false;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var line = stream.Documents.Count > 0 ? (int)stream.Documents[0].RootNode.Start.Line : 1;
            ctx.Error(line, "file", "expected one YAML document holding a mapping (role, kafka, engine, dispatch)");
            errors = ctx.Errors;
            return false;
        }

        var c = new NodeConfig(path);
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        foreach (var (key, value) in ctx.Pairs(root, TopKeys, string.Empty))
        {
            switch (key)
            {
                case "role":
                    c.Role = ctx.Checked(value, "role", NodeSettingChecks.Role);
                    break;
                case "kafka":
                    c.KafkaLine = Line(root.Children.Keys.First(k => k is YamlScalarNode { Value: "kafka" }));
                    ReadKafka(ctx, value, c);
                    break;
                case "engine":
                    ReadEngine(ctx, value, c, folder);
                    break;
                case "dispatch":
                    ReadDispatch(ctx, value, c, folder);
                    break;
            }
        }

        if (c.Bootstrap is null && !bootstrapGiven && ctx.Errors.Count == 0)
        {
            ctx.Error(c.KafkaLine, "kafka.bootstrap", "missing: required (host:port of the Kafka brokers), here or as --bootstrap");
        }

        if (c.TlsPassword is { } pw && c.TlsCert is null)
        {
            ctx.Error(pw.Line, "dispatch.tls.password", "given without dispatch.tls.cert");
        }

        if (c.TlsCert is { } cert && NodeSettingChecks.Certificate(cert.Value, c.TlsPassword?.Value) is { } certError)
        {
            ctx.Error(cert.Line, "dispatch.tls.cert", certError);
        }

        errors = ctx.Errors;
        if (errors.Count > 0)
        {
            return false;
        }

        config = c;
        return true;
    }

    private static void ReadKafka(Context ctx, YamlNode node, NodeConfig c)
    {
        if (ctx.Map(node, "kafka") is not { } map)
        {
            return;
        }

        foreach (var (key, value) in ctx.Pairs(map, KafkaKeys, "kafka."))
        {
            switch (key)
            {
                case "bootstrap":
                    c.Bootstrap = ctx.Checked(value, "kafka.bootstrap", NodeSettingChecks.Bootstrap);
                    break;
                case "create_topics":
                    c.CreateTopics = ctx.Int(value, "kafka.create_topics", NodeSettingChecks.Partitions);
                    break;
                case "properties":
                    if (ctx.Map(value, "kafka.properties") is { } props)
                    {
                        foreach (var pair in props.Children)
                        {
                            var name = (pair.Key as YamlScalarNode)?.Value ?? string.Empty;
                            var what = "kafka.properties." + name;
                            if (NodeSettingChecks.KafkaProperty(name) is { } bad)
                            {
                                ctx.Error(Line(pair.Key), what, bad);
                            }
                            else if (c.KafkaProperties.ContainsKey(name))
                            {
                                ctx.Error(Line(pair.Key), what, "given twice");
                            }
                            else if (ctx.Scalar(pair.Value, what) is { } v)
                            {
                                c.KafkaProperties[name] = v;
                            }
                        }
                    }

                    break;
            }
        }
    }

    private static void ReadEngine(Context ctx, YamlNode node, NodeConfig c, string folder)
    {
        if (ctx.Map(node, "engine") is not { } map)
        {
            return;
        }

        foreach (var (key, value) in ctx.Pairs(map, EngineKeys, "engine."))
        {
            switch (key)
            {
                case "data":
                    c.Data = ctx.Checked(value, "engine.data", v => NodeSettingChecks.DataFolder(Resolve(folder, v)), v => Resolve(folder, v));
                    break;
                case "checkpoint_interval":
                    c.CheckpointInterval = ctx.Duration(value, "engine.checkpoint_interval", NodeSettingChecks.TryParseInterval);
                    break;
                case "counterparty_checkpoint_interval":
                    c.CounterpartyCheckpointInterval = ctx.Duration(value, "engine.counterparty_checkpoint_interval", NodeSettingChecks.TryParseInterval);
                    break;
                case "rebuild_window":
                    c.RebuildWindow = ctx.Duration(value, "engine.rebuild_window", static (string text, out TimeSpan window, out string reason) =>
                        NodeSettingChecks.TryParseDuration(text, NodeSettingChecks.RebuildWindow, out window, out reason));
                    break;
                case "rules":
                    c.Rules = ctx.Checked(value, "engine.rules", v => NodeSettingChecks.ReadableFile(Resolve(folder, v), "rule file"), v => Resolve(folder, v));
                    break;
                case "group":
                    c.Group = ctx.Checked(value, "engine.group", NodeSettingChecks.GroupId);
                    break;
                case "capacity":
                    if (ctx.Map(value, "engine.capacity") is { } capacity)
                    {
                        foreach (var (ck, cv) in ctx.Pairs(capacity, CapacityKeys, "engine.capacity."))
                        {
                            if (ctx.Int(cv, "engine.capacity." + ck, NodeSettingChecks.Capacity) is { } keys)
                            {
                                c.Capacity[ck] = keys;
                            }
                        }
                    }

                    break;
            }
        }
    }

    private static void ReadDispatch(Context ctx, YamlNode node, NodeConfig c, string folder)
    {
        if (ctx.Map(node, "dispatch") is not { } map)
        {
            return;
        }

        foreach (var (key, value) in ctx.Pairs(map, DispatchKeys, "dispatch."))
        {
            switch (key)
            {
                case "listen":
                    c.Listen = ctx.Checked(value, "dispatch.listen", NodeSettingChecks.Listen);
                    break;
                case "port":
                    c.Port = ctx.Int(value, "dispatch.port", NodeSettingChecks.Port);
                    break;
                case "tls":
                    if (ctx.Map(value, "dispatch.tls") is { } tls)
                    {
                        foreach (var (tk, tv) in ctx.Pairs(tls, TlsKeys, "dispatch.tls."))
                        {
                            if (tk == "cert")
                            {
                                c.TlsCert = ctx.Checked(tv, "dispatch.tls.cert", v => NodeSettingChecks.ReadableFile(Resolve(folder, v), "certificate"), v => Resolve(folder, v));
                            }
                            else
                            {
                                c.TlsPassword = ctx.Checked(tv, "dispatch.tls.password", _ => null);
                            }
                        }
                    }

                    break;
                case "token_secret_file":
                    c.TokenSecretFile = ctx.Checked(value, "dispatch.token_secret_file", v => NodeSettingChecks.TokenSecretFile(Resolve(folder, v)), v => Resolve(folder, v));
                    break;
                case "redis":
                    c.Redis = ctx.Checked(value, "dispatch.redis", NodeSettingChecks.Redis);
                    break;
                case "closed_case_retention":
                    c.ClosedCaseRetention = ctx.Duration(value, "dispatch.closed_case_retention", NodeSettingChecks.TryParseClosedCaseRetention);
                    break;
            }
        }
    }

    // YamlDotNet reports a tab in indentation at the start of the enclosing mapping; the line with the tab is the one
    // to fix.
    private static int? TabIndentedLine(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            if (lines[i].AsSpan(0, indent).Contains('\t'))
            {
                return i + 1;
            }
        }

        return null;
    }

    private static string Resolve(string folder, string path) => System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, path));

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private delegate bool DurationParser(string text, out TimeSpan duration, out string reason);

    private sealed class Context(string path)
    {
        public List<ConfigError> Errors { get; } = [];

        public void Error(long line, string key, string reason) => Errors.Add(new ConfigError(path, (int)line, key, reason));

        public IEnumerable<(string Key, YamlNode Value)> Pairs(YamlMappingNode map, string[] known, string prefix)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pair in map.Children)
            {
                var key = (pair.Key as YamlScalarNode)?.Value;
                if (key is null)
                {
                    Error(Line(pair.Key), prefix.TrimEnd('.'), "keys must be plain names");
                    continue;
                }

                if (!known.Contains(key))
                {
                    Error(Line(pair.Key), prefix + key, $"unknown key; expected one of: {string.Join(", ", known)}");
                    continue;
                }

                if (!seen.Add(key))
                {
                    Error(Line(pair.Key), prefix + key, "given twice");
                    continue;
                }

                yield return (key, pair.Value);
            }
        }

        public YamlMappingNode? Map(YamlNode node, string key)
        {
            if (node is YamlMappingNode map)
            {
                return map;
            }

            Error(Line(node), key, $"expected a mapping (key: value lines indented under {key}:), got {Describe(node)}");
            return null;
        }

        public string? Scalar(YamlNode node, string key)
        {
            if (node is YamlScalarNode { Value: { } v } scalar && !(scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && v is "" or "~" or "null"))
            {
                return v;
            }

            Error(Line(node), key, $"expected a value, got {Describe(node)}");
            return null;
        }

        // A duration parsed (and range-checked) by parse; its reason is the error when it refuses.
        public Located<TimeSpan>? Duration(YamlNode node, string key, DurationParser parse)
        {
            if (Scalar(node, key) is not { } text)
            {
                return null;
            }

            if (parse(text, out var duration, out var reason))
            {
                return new(duration, Line(node));
            }

            Error(Line(node), key, reason);
            return null;
        }

        public Located<string>? Checked(YamlNode node, string key, Func<string, string?> check, Func<string, string>? map = null)
        {
            if (Scalar(node, key) is not { } v)
            {
                return null;
            }

            if (check(v) is { } reason)
            {
                Error(Line(node), key, reason);
                return null;
            }

            return new(map is null ? v : map(v), Line(node));
        }

        public Located<int>? Int(YamlNode node, string key, Func<int, string?> check)
        {
            if (Scalar(node, key) is not { } v)
            {
                return null;
            }

            if (!int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                Error(Line(node), key, $"expected a whole number, got \"{v}\"");
                return null;
            }

            if (check(n) is { } reason)
            {
                Error(Line(node), key, reason);
                return null;
            }

            return new(n, Line(node));
        }

        private static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            YamlScalarNode { Value: null or "" or "~" or "null" } => "nothing",
            YamlScalarNode s => $"\"{s.Value}\"",
            _ => "an alias",
        };
    }
}

/// <summary>
/// Checks of single node settings, shared by the config file and the command-line options: each returns null when
/// the value is good, else the reason.
/// </summary>
internal static class NodeSettingChecks
{
    /// <summary>The longest checkpoint interval accepted.</summary>
    public static readonly TimeSpan MaxCheckpointInterval = TimeSpan.FromHours(1);

    /// <summary>The longest rebuild window accepted.</summary>
    public static readonly TimeSpan MaxRebuildWindow = TimeSpan.FromDays(90);

    public static string? Role(string value) =>
        value is "engine" or "dispatch" or "both" ? null : $"expected engine, dispatch or both, got \"{value}\"";

    /// <summary>A comma-separated list of host:port.</summary>
    public static string? Bootstrap(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "expected host:port[,host:port...], got nothing";
        }

        foreach (var part in value.Split(','))
        {
            var entry = part.Trim();
            var colon = entry.LastIndexOf(':');
            if (colon <= 0 || colon == entry.Length - 1)
            {
                return $"\"{entry}\" is not host:port";
            }

            var host = entry[..colon].Trim('[', ']');
            if (host.Any(ch => char.IsWhiteSpace(ch) || ch is '/' or '@') || (Uri.CheckHostName(host) == UriHostNameType.Unknown))
            {
                return $"\"{entry}\": \"{host}\" is not a host name or IP address";
            }

            if (!int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                return $"\"{entry}\": the port must be a whole number from 1 to 65535";
            }
        }

        return null;
    }

    /// <summary>The gRPC listen address: an IP address or localhost (Kestrel binds an address, not a name).</summary>
    public static string? Listen(string value) =>
        string.Equals(value, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(value, out _)
            ? null
            : $"expected an IP address (127.0.0.1, 0.0.0.0, ::) or localhost, got \"{value}\"";

    /// <summary>The gRPC port: 0 (any free port) to 65535.</summary>
    public static string? Port(int value) => value is >= 0 and <= 65535 ? null : $"out of range: expected 0 (any free port) to 65535, got {value}";

    public static string? Partitions(int value) => value is >= 1 and <= 10_000 ? null : $"out of range: expected 1 to 10000 partitions, got {value}";

    /// <summary>Keys an engine store is sized for (engine.capacity.*).</summary>
    public static string? Capacity(int keys) =>
        keys is >= 1_000 and <= 1_000_000_000 ? null : $"out of range: expected 1000 to 1000000000 keys, got {keys}";

    public static string? GroupId(string value) => string.IsNullOrWhiteSpace(value) ? "expected a consumer group name" : null;

    /// <summary>A librdkafka property name (lower-case words joined by dots).</summary>
    public static string? KafkaProperty(string name) =>
        name.Length > 0 && name.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch is '.' or '_') && !name.StartsWith('.') && !name.EndsWith('.')
            ? null
            : $"\"{name}\" is not a librdkafka property name (like security.protocol)";

    /// <summary>Parses a checkpoint interval: <c>500ms</c>, <c>10s</c>, <c>2m</c>, or a number of seconds.</summary>
    public static bool TryParseInterval(string text, out TimeSpan interval, out string reason) =>
        TryParseDuration(text, Interval, out interval, out reason);

    /// <summary>
    /// Parses a duration - <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>24h</c>, <c>7d</c>, or a number of seconds - and checks
    /// its seconds with <paramref name="check"/> (null when in range, else the reason).
    /// </summary>
    public static bool TryParseDuration(string text, Func<double, string?> check, out TimeSpan interval, out string reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(check);
        interval = default;
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : text.EndsWith('d') ? (text[..^1], 86400.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
        {
            reason = $"expected a duration (500ms, 10s, 2m) or a number of seconds, got \"{text}\"";
            return false;
        }

        reason = check(value * unit) ?? string.Empty;
        if (reason.Length > 0)
        {
            return false;
        }

        interval = TimeSpan.FromSeconds(value * unit);
        return true;
    }

    /// <summary>
    /// A closed-case retention: <c>never</c> (<see cref="Timeout.InfiniteTimeSpan"/>: closed cases are kept) or a
    /// duration of at least a day and at most ten years (<see cref="FraudShield.AlertDispatch.Cases.CaseOptions.ClosedCaseRetention"/>).
    /// </summary>
    public static bool TryParseClosedCaseRetention(string text, out TimeSpan retention, out string reason)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "never")
        {
            (retention, reason) = (Timeout.InfiniteTimeSpan, string.Empty);
            return true;
        }

        return TryParseDuration(text, ClosedCaseRetention, out retention, out reason);
    }

    /// <summary>A closed-case retention in seconds: at least a day, at most ten years.</summary>
    public static string? ClosedCaseRetention(double seconds) =>
        seconds >= TimeSpan.FromDays(1).TotalSeconds && seconds <= TimeSpan.FromDays(3650).TotalSeconds
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"out of range: expected never, or at least 86400 s (1d) and at most 315360000 s (3650d), got {seconds} s");

    /// <summary>A rebuild window in seconds: at least a minute, at most 90 days.</summary>
    public static string? RebuildWindow(double seconds) =>
        seconds >= 60 && seconds <= MaxRebuildWindow.TotalSeconds
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"out of range: expected at least 60 s and at most {MaxRebuildWindow.TotalSeconds:0} s (90d), got {seconds} s");

    /// <summary>A checkpoint interval in seconds: more than 0, at most an hour.</summary>
    public static string? Interval(double seconds) =>
        seconds > 0 && seconds <= MaxCheckpointInterval.TotalSeconds
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"out of range: expected more than 0 s and at most {MaxCheckpointInterval.TotalSeconds:0} s, got {seconds} s");

    /// <summary>A folder for the stores: an existing folder, or a path that can be created (not a file).</summary>
    public static string? DataFolder(string path) =>
        File.Exists(path) ? $"\"{path}\" is a file, not a folder" : null;

    public static string? ReadableFile(string path, string what)
    {
        if (Directory.Exists(path))
        {
            return $"\"{path}\" is a folder, not a {what}";
        }

        try
        {
            using var stream = File.OpenRead(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return $"cannot read the {what} \"{path}\": {e.Message}";
        }
    }

    /// <summary>The token secret file: readable, at least <see cref="DispatchAuthOptions.MinimumSecretBytes"/> bytes once trimmed.</summary>
    public static string? TokenSecretFile(string path)
    {
        if (ReadableFile(path, "token secret file") is { } bad)
        {
            return bad;
        }

        var bytes = Encoding.UTF8.GetByteCount(File.ReadAllText(path).Trim());
        return bytes >= DispatchAuthOptions.MinimumSecretBytes
            ? null
            : $"the secret in \"{path}\" is {bytes} bytes; at least {DispatchAuthOptions.MinimumSecretBytes} are needed";
    }

    /// <summary>A PKCS#12 certificate that loads with <paramref name="password"/> and has the private key TLS needs.</summary>
    public static string? Certificate(string path, string? password)
    {
        if (ReadableFile(path, "certificate") is { } bad)
        {
            return bad;
        }

        try
        {
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
            return certificate.HasPrivateKey ? null : $"\"{path}\" has no private key; a server certificate needs one";
        }
        catch (CryptographicException e)
        {
            return $"\"{path}\" is not a PKCS#12 certificate that opens with the given password: {e.Message}";
        }
    }

    /// <summary>A StackExchange.Redis configuration string with at least one endpoint.</summary>
    public static string? Redis(string value)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(value);
        }
        catch (ArgumentException e)
        {
            return $"not a Redis configuration (host:port[,option=value...]): {e.Message}";
        }

        if (options.EndPoints.Count == 0)
        {
            return $"no host:port in the Redis configuration \"{value}\"";
        }

        foreach (var endpoint in options.EndPoints)
        {
            if (endpoint is DnsEndPoint { Port: < 0 or > 65535 } or IPEndPoint { Port: < 0 or > 65535 })
            {
                return $"the Redis endpoint {endpoint} has a port out of range";
            }
        }

        return null;
    }
}
