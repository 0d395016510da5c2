using System.Text;
using FraudShield.Contracts;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// Hot reload in a stream: benign city traffic interleaved with fraud scenarios, a candidate set (R01's min_call
/// 600 s -> 300 s) effective in the middle. Each scenario is judged whole by the set in force at its event times.
/// </summary>
public sealed class RuleSetSwitchStreamTests : IDisposable
{
    private const long T0 = EngineHarness.T0;
    private const string Fraudster = "+442079469901";
    private const string Mule = "6222889900000001";
    private static readonly string DefaultYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "rules", "default.yaml"));

    private readonly EngineStores _stores = new(new FasterStoreOptions { IndexBuckets = 1 << 16, MemorySizeBits = 25, PageSizeBits = 20 });
    private readonly ListSink _sink = new();

    /// <summary>The shipped file with R01's single-call threshold lowered from 600 s to 300 s.</summary>
    public static string R01At300sYaml => ReplaceOnce(DefaultYaml, "name: OVERSEAS_LONG_CALL\n    typology: IMPERSONATE_AUTHORITY\n    severity: L3\n    enabled: true\n    params:\n      min_call: 600s", "name: OVERSEAS_LONG_CALL\n    typology: IMPERSONATE_AUTHORITY\n    severity: L3\n    enabled: true\n    params:\n      min_call: 300s");

    [Fact]
    public void TryProcess_InterleavedStreamSwitchMidway_EachScenarioJudgedBySetInForceAtItsTime()
    {
        var city = new CitySimulator(new CityOptions { Residents = 2_000 }, seed: 11);
        using (var tables = new TableApplier(_stores))
        {
            foreach (var record in city.Register().Concat(city.Watchlist()))
            {
                var ok = record.Topic == Topics.Registry
                    ? tables.ApplyRegistry(record.Value, tombstone: false, out var error)
                    : tables.ApplyWatchlist(record.Key, record.Value, tombstone: false, out error);
                Assert.True(ok, error.ToString());
            }

            Assert.True(tables.ApplyWatchlist(default, Encoding.UTF8.GetBytes(StreamScenario.ListedNumberJson(Fraudster)), false, out var e1), e1.ToString());
            Assert.True(tables.ApplyWatchlist(default, Encoding.UTF8.GetBytes(StreamScenario.ListedAccountJson(Mule)), false, out var e2), e2.ToString());
        }

        // 40 scenarios, one every 3 minutes of event time, 30 benign events between two; the switch before the 21st.
        const int Scenarios = 40;
        var effective = T0 + (20 * 3 * EngineHarness.Minute);
        var scenarios = Enumerable.Range(0, Scenarios).Select(i => StreamScenario.Create(i, T0 + (i * 3 * EngineHarness.Minute), Fraudster, Mule)).ToList();
        var stream = scenarios.SelectMany(s => s.Events).ToList();
        for (var t = T0 - EngineHarness.Minute; t < T0 + (Scenarios * 3 * EngineHarness.Minute); t += 6_000)
        {
            var benign = city.NextBenign(t);
            stream.Add((benign.Topic, Encoding.UTF8.GetString(benign.Value), t));
        }

        var schedule = new RuleSchedule();
        Assert.True(RuleDeployment.TryCreate("r01-300s.yaml", R01At300sYaml, effective - 2_000, effective, out var candidate, out var errors), string.Join("; ", errors));
        schedule.Add(candidate!);
        using var rules = new RuleSetSwitch(_stores, EngineHarness.DefaultPack, "startup", _sink, schedule: schedule);
        foreach (var (topic, json, ts) in stream.OrderBy(e => e.Ts))
        {
            Assert.True(EventDispatcher.TryGetTopic(topic, out var eventTopic), topic);
            Assert.True(rules.TryProcess(eventTopic, Encoding.UTF8.GetBytes(json), ts, out var error), $"{error}: {json}");
        }

        Assert.Equal(candidate!.Version, rules.ActiveVersion);
        Assert.Equal(1, rules.Switches);
        Assert.All(_sink.Alerts, a => Assert.Contains(scenarios, s => s.Masked == a.Subject.MsisdnMasked));
        foreach (var s in scenarios)
        {
            var after = s.Events[0].Ts >= effective;
            Assert.True(s.Events.All(e => e.Ts >= effective == after) && after == s.Index >= 20, $"scenario {s.Index} straddles the switch");
            var got = _sink.Alerts.Where(a => a.Subject.MsisdnMasked == s.Masked).Select(StreamScenario.Describe).ToList();
            Assert.True(s.Expected(after).SequenceEqual(got), $"scenario {s.Index} ({s.Kind}, {(after ? "new" : "old")} set): expected [{string.Join("; ", s.Expected(after))}], got [{string.Join("; ", got)}]");
        }

    }

    public void Dispose() => _stores.Dispose();

    private static string ReplaceOnce(string text, string from, string to)
    {
        Assert.Equal(1, CountOf(text, from));
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
