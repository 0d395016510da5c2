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

    private readonly EngineStores _stores = new(new FasterStoreOptions { IndexBuckets = 1 << 16, MemorySizeBits = 25, PageSizeBits = 20 });
    private readonly ListSink _sink = new();

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
        Assert.True(RuleDeployment.TryCreate("r01-300s.yaml", StreamScenario.R01At300sYaml, effective - 2_000, effective, out var candidate, out var errors), string.Join("; ", errors));
        schedule.Add(candidate!);
        using var rules = new RuleSetSwitch(_stores, EngineHarness.DefaultPack, "startup", _sink, schedule: schedule);
        foreach (var (topic, json, ts) in stream.OrderBy(e => e.Ts))
        {
            Assert.True(EventDispatcher.TryGetTopic(topic, out var eventTopic), topic);
            Assert.True(rules.TryProcess(eventTopic, Encoding.UTF8.GetBytes(json), ts, out var error), $"{error}: {json}");
        }

        Assert.Equal(candidate!.Version, rules.ActiveVersion);
        Assert.Equal(1, rules.Switches);
        Assert.All(_sink.Alerts, a => Assert.Contains(scenarios, s => s.Victim == a.Subject.Msisdn));
        foreach (var s in scenarios)
        {
            var after = s.Events[0].Ts >= effective;
            Assert.True(s.Events.All(e => e.Ts >= effective == after) && after == s.Index >= 20, $"scenario {s.Index} straddles the switch");
            var got = _sink.Alerts.Where(a => a.Subject.Msisdn == s.Victim).Select(StreamScenario.Describe).ToList();
            Assert.True(s.Expected(after).SequenceEqual(got), $"scenario {s.Index} ({s.Kind}, {(after ? "new" : "old")} set): expected [{string.Join("; ", s.Expected(after))}], got [{string.Join("; ", got)}]");
        }
    }

    public void Dispose() => _stores.Dispose();
}
