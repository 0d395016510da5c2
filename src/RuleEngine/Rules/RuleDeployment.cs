using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FraudShield.RuleEngine.Rules;

/// <summary>
/// A rule set as deployed on fs.rules (compacted, key <see cref="Key"/>): the YAML text, its version (a hash of the
/// text) and the event time from which every engine judges with it. The record value is one JSON object:
/// <c>{"version", "effective_from_ms", "deployed_ms", "source", "yaml"}</c>; the YAML is validated again by each
/// engine that receives it, so a record that did not come through <c>fraudshield rules deploy</c> is refused too.
/// </summary>
public sealed class RuleDeployment
{
    /// <summary>The record key of the active rule set on fs.rules.</summary>
    public const string Key = "active";

    private RuleDeployment(string version, long effectiveFromMs, long deployedMs, string source, string yaml, RuleSet ruleSet)
    {
        Version = version;
        EffectiveFromMs = effectiveFromMs;
        DeployedMs = deployedMs;
        Source = source;
        Yaml = yaml;
        RuleSet = ruleSet;
    }

    /// <summary>The version: <c>r-</c> and the first 12 hex digits of the SHA-256 of the YAML text.</summary>
    public string Version { get; }

    /// <summary>Events whose Kafka timestamp is at or after this (Unix ms) are judged with this set.</summary>
    public long EffectiveFromMs { get; }

    /// <summary>When it was deployed (Unix ms, the deploying machine's clock).</summary>
    public long DeployedMs { get; }

    /// <summary>The file it came from, as named to the deploy command.</summary>
    public string Source { get; }

    /// <summary>The rule file's text.</summary>
    public string Yaml { get; }

    /// <summary>The validated, compiled rule set.</summary>
    public RuleSet RuleSet { get; }

    /// <summary>The version of a rule file's text: <c>r-</c> and 12 hex digits of its SHA-256.</summary>
    public static string VersionOf(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return "r-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)))[..12];
    }

    /// <summary>Validates <paramref name="yaml"/> and builds a deployment; false with every error when refused.</summary>
    /// <param name="source">The file name errors are reported against.</param>
    /// <param name="yaml">The rule file's text.</param>
    /// <param name="deployedMs">Deploy time, Unix ms.</param>
    /// <param name="effectiveFromMs">The event time the set applies from, Unix ms.</param>
    /// <param name="deployment">The deployment, when valid.</param>
    /// <param name="errors">Every error (file:line: rule: field: reason), when refused.</param>
    /// <returns>True when the file is valid.</returns>
    public static bool TryCreate(string source, string yaml, long deployedMs, long effectiveFromMs, out RuleDeployment? deployment, out IReadOnlyList<RuleFileError> errors)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(yaml);
        deployment = null;
        if (!RuleFile.TryParse(source, yaml, out var set, out errors))
        {
            return false;
        }

        deployment = new RuleDeployment(VersionOf(yaml), effectiveFromMs, deployedMs, source, yaml, set!);
        return true;
    }

    /// <summary>
    /// Decodes and validates an fs.rules record value; false (with the reasons) for malformed JSON, a missing field,
    /// a version that does not match the text, or a rule file with errors.
    /// </summary>
    /// <param name="value">The record value.</param>
    /// <param name="deployment">The deployment, when valid.</param>
    /// <param name="errors">Why it was refused.</param>
    /// <returns>True when the record holds a valid rule set.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> value, out RuleDeployment? deployment, out IReadOnlyList<string> errors)
    {
        deployment = null;
        string? version;
        string? source;
        string? yaml;
        long effective;
        long deployed;
        try
        {
            var reader = new Utf8JsonReader(value);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("effective_from_ms", out var e) || !e.TryGetInt64(out effective)
                || !root.TryGetProperty("yaml", out var y) || y.ValueKind != JsonValueKind.String)
            {
                errors = ["fs.rules record: expected a JSON object with version, effective_from_ms and yaml"];
                return false;
            }

            version = v.GetString();
            yaml = y.GetString();
            source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            deployed = root.TryGetProperty("deployed_ms", out var d) && d.TryGetInt64(out var ms) ? ms : 0;
        }
        catch (JsonException e)
        {
            errors = ["fs.rules record: malformed JSON: " + e.Message];
            return false;
        }

        if (version != VersionOf(yaml!))
        {
            errors = [$"fs.rules record: version \"{version}\" does not match the rule text ({VersionOf(yaml!)})"];
            return false;
        }

        if (!TryCreate(source ?? "fs.rules", yaml!, deployed, effective, out deployment, out var fileErrors))
        {
            errors = [.. fileErrors.Select(f => f.ToString())];
            return false;
        }

        errors = [];
        return true;
    }

    /// <summary>The fs.rules record value (UTF-8 JSON).</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("version", Version);
            w.WriteNumber("effective_from_ms", EffectiveFromMs);
            w.WriteNumber("deployed_ms", DeployedMs);
            w.WriteString("source", Source);
            w.WriteString("yaml", Yaml);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }
}
