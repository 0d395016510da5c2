using System.Text.Json;
using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.RuleEngine.Tests;

internal enum ScenarioLineKind
{
    Event,
    Expect,
}

/// <summary>One line of a scenario file: an event for a topic, or an expectation on the alerts emitted so far.</summary>
internal sealed record ScenarioLine(ScenarioLineKind Kind, int LineNumber, string Topic, string Json, long KafkaTimestampMs, JsonElement Expect);

/// <summary>
/// Scenario files: readable event streams with their expected verdicts, in <c>Scenarios/</c>. One JSON object per line:
/// <code>
/// # a comment
/// {"topic": "fs.calls", "event": {...}}                       an event (optional "kafka_ts": epoch ms)
/// {"expect": {"fires": ["R05"], "severity": "L2"}}             checked against the alerts emitted so far
/// </code>
/// Expectation keys: <c>fires</c> (each rule is among the hits so far), <c>silent</c> (none of these rules has hit),
/// <c>severity</c> (the most severe alert so far, "L1".."L4"), <c>alerts</c> (alert versions so far), <c>none</c>
/// (true: nothing emitted yet). Every file under <c>Scenarios/rules/</c> is run with the shipped pack by
/// <see cref="RuleScenarioFileTests"/>.
/// </summary>
internal static class ScenarioFile
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Scenarios", name);

    public static IEnumerable<ScenarioLine> Read(string name)
    {
        var number = 0;
        foreach (var line in File.ReadLines(PathOf(name)))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("expect", out var expect))
            {
                yield return new ScenarioLine(ScenarioLineKind.Expect, number, string.Empty, string.Empty, 0, expect.Clone());
                continue;
            }

            var kafkaTs = root.TryGetProperty("kafka_ts", out var ts) ? ts.GetInt64() : 0;
            yield return new ScenarioLine(ScenarioLineKind.Event, number, root.GetProperty("topic").GetString()!, root.GetProperty("event").GetRawText(), kafkaTs, default);
        }
    }

    /// <summary>Feeds the file and checks each expectation line when reached; returns the number of expectations checked.</summary>
    public static int Run(string name, EngineHarness engine)
    {
        var checkedCount = 0;
        foreach (var line in Read(name))
        {
            if (line.Kind == ScenarioLineKind.Event)
            {
                engine.Feed(line.Topic, line.Json, line.KafkaTimestampMs);
                continue;
            }

            Check($"{name}:{line.LineNumber}", line.Expect, engine.Alerts);
            checkedCount++;
        }

        return checkedCount;
    }

    /// <summary>Checks one expectation against <paramref name="alerts"/>; the message names the file and line.</summary>
    public static void Check(string where, JsonElement expect, IReadOnlyList<Alert> alerts)
    {
        var hits = alerts.SelectMany(a => a.Hits).Select(h => h.RuleId).ToHashSet();
        var known = 0;
        foreach (var property in expect.EnumerateObject())
        {
            known++;
            switch (property.Name)
            {
                case "fires":
                    foreach (var rule in property.Value.EnumerateArray().Select(r => r.GetString()!))
                    {
                        Assert.True(hits.Contains(rule), $"{where}: expected {rule} to fire; hits so far: [{string.Join(", ", hits.Order())}]");
                    }

                    break;
                case "silent":
                    foreach (var rule in property.Value.EnumerateArray().Select(r => r.GetString()!))
                    {
                        Assert.False(hits.Contains(rule), $"{where}: expected {rule} not to fire; hits so far: [{string.Join(", ", hits.Order())}]");
                    }

                    break;
                case "severity":
                    Assert.True(alerts.Count > 0, $"{where}: expected severity {property.Value.GetString()}, but no alert was emitted");
                    var worst = alerts.Min(a => (int)a.Severity);
                    Assert.True(Enum.GetName((Severity)worst) == property.Value.GetString(), $"{where}: expected severity {property.Value.GetString()}, got {(Severity)worst}");
                    break;
                case "alerts":
                    Assert.True(alerts.Count == property.Value.GetInt32(), $"{where}: expected {property.Value.GetInt32()} alert versions, got {alerts.Count}");
                    break;
                case "none":
                    Assert.True(!property.Value.GetBoolean() || alerts.Count == 0, $"{where}: expected no alert, got {alerts.Count} ([{string.Join(", ", hits.Order())}])");
                    break;
                default:
                    Assert.Fail($"{where}: unknown expectation \"{property.Name}\" (fires, silent, severity, alerts, none)");
                    break;
            }
        }

        Assert.True(known > 0, $"{where}: empty expectation");
    }
}

/// <summary>Runs every scenario file under <c>Scenarios/rules/</c> with the shipped rule pack.</summary>
public sealed class RuleScenarioFileTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        var directory = ScenarioFile.PathOf("rules");
        foreach (var file in Directory.EnumerateFiles(directory, "*.jsonl").Order(StringComparer.Ordinal))
        {
            data.Add(Path.Combine("rules", Path.GetFileName(file)));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ScenarioFile_MeetsItsExpectations(string file)
    {
        using var engine = new EngineHarness(EngineHarness.DefaultPack);

        var expectations = ScenarioFile.Run(file, engine);

        Assert.True(expectations > 0, $"{file} has no expect line");
    }
}
