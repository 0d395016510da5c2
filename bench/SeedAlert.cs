using System.Globalization;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// The real L1 alert of the simulator's seed scenario, as the engine builds it: a 1,000-resident city's register and
/// watchlist loaded into an engine with the default pack, then the scenario's events judged.
/// </summary>
internal static class SeedAlert
{
    public static Alert Build()
    {
        var city = new CitySimulator(new CityOptions { Residents = 1_000 }, seed: 7);
        var alerts = new List<Alert>();
        using (var stores = new EngineStores(new FasterStoreOptions { IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18, ExpectedEntries = 1_000 }))
        using (var tables = new TableApplier(stores))
        using (var core = new EngineCore(stores, new RulePackOptions(), new ListSink(alerts)))
        {
            foreach (var record in city.Register().Concat(city.Watchlist()))
            {
                _ = record.Topic == Contracts.Topics.Registry
                    ? tables.ApplyRegistry(record.Value, false, out _)
                    : tables.ApplyWatchlist(record.Key, record.Value, false, out _);
            }

            var dispatcher = new EventDispatcher(core, new EventParser());
            foreach (var record in city.NextScenario(CannedEvents.T0).Records)
            {
                EventDispatcher.TryGetTopic(record.Topic, out var topic);
                dispatcher.TryProcess(topic, record.Value, CannedEvents.T0, out _);
            }
        }

        WatchlistFixture.Check(alerts.Count > 0 && alerts[^1].Severity == Severity.L1, "seed scenario gave no L1 alert");
        return alerts[^1];
    }

    /// <summary>A copy of <paramref name="seed"/> with its own id, <c>A-</c> and <paramref name="i"/> in 8 digits, as fs.alerts gives each alert its own.</summary>
    public static Alert Numbered(Alert seed, int i)
    {
        var alert = seed.Clone();
        alert.AlertId = IdOf(i);
        return alert;
    }

    /// <summary>The id <see cref="Numbered"/> gives copy <paramref name="i"/>.</summary>
    public static string IdOf(int i) => "A-" + i.ToString("D8", CultureInfo.InvariantCulture);

    private sealed class ListSink(List<Alert> alerts) : IAlertSink
    {
        public void Emit(Alert alert) => alerts.Add(alert);
    }
}
