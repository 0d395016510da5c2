using System.Text;
using System.Text.Json;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Engine;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// Every scenario file gives the same alerts however its events are delivered within the lateness: in event-time
/// order, in the file's order (which may tell a story: the call, then what happened during it), shuffled (each event delayed by a random fraction of the lateness, fixed seeds), every event twice (right
/// after itself, or later within the lateness), shuffled and twice, and the whole stream replayed (the old part is
/// dead-lettered as late, the recent part recognised as duplicates). "The same alerts" = the same alert ids, each with
/// the same rules and severity in its final version.
/// </summary>
public sealed class DeliveryOrderTests
{
    private static readonly long LatenessMs = (long)EngineHarness.DefaultPack.Lateness.TotalMilliseconds;

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        var root = ScenarioFile.PathOf(string.Empty);
        foreach (var file in Directory.EnumerateFiles(root, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // Scenarios/counterparty holds the counterparty stage's files (several independent cases per file, each
            // from the same origin); CounterpartyHarness runs them, with its own re-delivery tests.
            var relative = Path.GetRelativePath(root, file);
            if (!relative.StartsWith("counterparty", StringComparison.Ordinal))
            {
                data.Add(relative);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Scenario_AnyDeliveryOrderWithinLateness_SameAlerts(string file)
    {
        var lines = Load(file);
        var inOrder = Arrange(lines, seed: null, twice: Twice.No);
        var expected = Run(inOrder, allowLate: false);

        foreach (var seed in new[] { 1, 2, 3, 7, 42 })
        {
            AssertSame(file, $"shuffled (seed {seed})", expected, Run(Arrange(lines, seed, Twice.No), allowLate: false));
            AssertSame(file, $"shuffled, every event twice (seed {seed})", expected, Run(Arrange(lines, seed, Twice.Later), allowLate: false));
        }

        AssertSame(file, "in the file's order", expected, Run(lines, allowLate: false));
        AssertSame(file, "every event twice in a row", expected, Run(Arrange(lines, seed: null, Twice.InARow), allowLate: false));
        AssertSame(file, "the whole stream replayed", expected, Run([.. inOrder, .. inOrder.Where(l => !l.IsTable)], allowLate: true));
    }

    [Fact]
    public void Arrange_Shuffled_MovesEventsOnlyWithinHalfTheLateness()
    {
        var lines = Enumerable.Range(0, 200).Select(i => Line.Event(Topics.Txns, "{}", 0, i * 10_000L, i * 10_000L, i)).ToList();

        var shuffled = Arrange(lines, seed: 5, Twice.No);

        Assert.NotEqual(lines.Select(l => l.Index), shuffled.Select(l => l.Index));
        for (var i = 1; i < shuffled.Count; i++)
        {
            Assert.True(shuffled[i - 1].StartMs - shuffled[i].EndMs < LatenessMs / 2, $"{shuffled[i - 1].Index} before {shuffled[i].Index}");
        }
    }

    private enum Twice
    {
        No,
        InARow,
        Later,
    }

    private sealed record Line(bool IsTable, string Topic, string Json, long KafkaTimestampMs, long StartMs, long EndMs, int Index)
    {
        public static Line Event(string topic, string json, long kafkaTs, long startMs, long endMs, int index) => new(false, topic, json, kafkaTs, startMs, endMs, index);
    }

    private static List<Line> Load(string file)
    {
        var lines = new List<Line>();
        foreach (var line in ScenarioFile.Read(file))
        {
            if (line.Kind != ScenarioLineKind.Event)
            {
                continue;
            }

            if (!EventDispatcher.TryGetTopic(line.Topic, out var topic))
            {
                lines.Add(new Line(true, line.Topic, line.Json, line.KafkaTimestampMs, 0, 0, lines.Count));
                continue;
            }

            using var doc = JsonDocument.Parse(line.Json);
            var e = doc.RootElement;
            long start, end;
            if (topic == EventTopic.Calls)
            {
                start = e.GetProperty("start_ms").GetInt64();
                end = e.TryGetProperty("end_ms", out var endMs) ? endMs.GetInt64()
                    : (e.TryGetProperty("answer_ms", out var answer) ? answer.GetInt64() : start) + (1000L * e.GetProperty("duration_s").GetInt32());
            }
            else
            {
                start = end = e.GetProperty("ts_ms").GetInt64();
            }

            lines.Add(Line.Event(line.Topic, line.Json, line.KafkaTimestampMs, start, end, lines.Count));
        }

        return lines;
    }

    // Table records stay where they are; the events between two of them are ordered by event time (a record exists
    // once its event ended), each delayed by up to half the lateness when shuffled; a second copy follows at once or
    // up to another half lateness later. So no delivery is late, and any two events less than half the lateness
    // apart may swap.
    private static List<Line> Arrange(List<Line> lines, int? seed, Twice twice)
    {
        var random = seed is { } s ? new Random(s) : null;
        var result = new List<Line>();
        var segment = new List<(long Key, int Order, Line Line)>();
        foreach (var line in lines.Append<Line?>(null))
        {
            if (line is { IsTable: false })
            {
                var key = line.EndMs + (random is null ? 0 : random.NextInt64(LatenessMs / 2));
                segment.Add((key, 2 * segment.Count, line));
                if (twice != Twice.No)
                {
                    segment.Add((twice == Twice.Later ? key + (random?.NextInt64(LatenessMs / 2) ?? 0) : key, (2 * segment.Count) + 1, line));
                }

                continue;
            }

            result.AddRange(segment.OrderBy(x => x.Key).ThenBy(x => x.Order).Select(x => x.Line));
            segment.Clear();
            if (line is not null)
            {
                result.Add(line);
            }
        }

        return result;
    }

    private static Dictionary<string, string> Run(IReadOnlyList<Line> lines, bool allowLate)
    {
        using var engine = new EngineHarness(EngineHarness.DefaultPack);
        engine.Core.StartLineage(EngineHarness.T0);
        var dispatcher = new EventDispatcher(engine.Core, new EventParser());
        foreach (var line in lines)
        {
            if (line.IsTable)
            {
                engine.Feed(line.Topic, line.Json);
                continue;
            }

            Assert.True(EventDispatcher.TryGetTopic(line.Topic, out var topic));
            if (!dispatcher.TryProcess(topic, Encoding.UTF8.GetBytes(line.Json), line.KafkaTimestampMs, out var error))
            {
                Assert.True(allowLate && error.Reason == RejectReason.Late, $"event {line.Index} rejected: {error}: {line.Json}");
            }
        }

        return Final(engine.Alerts);
    }

    // Alert id -> "rules severity" of its highest version.
    private static Dictionary<string, string> Final(IReadOnlyList<Alert> alerts)
    {
        var final = new Dictionary<string, Alert>();
        foreach (var alert in alerts)
        {
            if (!final.TryGetValue(alert.AlertId, out var known) || alert.Version > known.Version)
            {
                final[alert.AlertId] = alert;
            }
        }

        return final.ToDictionary(kv => kv.Key, kv => $"[{string.Join(",", kv.Value.RuleIds.Order(StringComparer.Ordinal))}] {kv.Value.Severity}");
    }

    private static void AssertSame(string file, string how, Dictionary<string, string> expected, Dictionary<string, string> actual)
    {
        static string Show(Dictionary<string, string> alerts) =>
            alerts.Count == 0 ? "(none)" : string.Join("; ", alerts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));

        Assert.True(
            expected.Count == actual.Count && expected.All(kv => actual.TryGetValue(kv.Key, out var v) && v == kv.Value),
            $"{file}, {how}: expected {Show(expected)}, got {Show(actual)}");
    }
}
