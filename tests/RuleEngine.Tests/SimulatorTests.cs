using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Simulation;

namespace FraudShield.RuleEngine.Tests;

public sealed class SimulatorTests
{
    private static void FeedTables(EngineHarness engine, CitySimulator city)
    {
        foreach (var record in city.Register().Concat(city.Watchlist()))
        {
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value));
        }
    }

    [Fact]
    public void SeedScenario_InSimulatedCity_L1AtVictimsHomeStation()
    {
        var city = new CitySimulator(new CityOptions { Residents = 500 }, seed: 7);
        using var engine = new EngineHarness();
        FeedTables(engine, city);

        var scenario = city.NextScenario(EngineHarness.T0);
        foreach (var record in scenario.Records)
        {
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value), EngineHarness.T0);
        }

        var last = engine.Alerts[^1];
        Assert.Equal(Severity.L1, last.Severity);
        Assert.Equal(scenario.StationId, last.Home.StationId);
        Assert.Equal(scenario.GridId, last.Home.GridId);
        Assert.Equal(JurisdictionSource.Address, last.Home.Source);
        Assert.Contains(scenario.TxnId, last.Evidence.EventIds);
    }

    [Fact]
    public void BenignTraffic_SmallCity_NoAlerts()
    {
        var city = new CitySimulator(new CityOptions { Residents = 2_000 }, seed: 3);
        using var engine = new EngineHarness();
        FeedTables(engine, city);

        var t = EngineHarness.T0;
        for (var i = 0; i < 20_000; i++)
        {
            var record = city.NextBenign(t += 50);
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value), t);
        }

        Assert.Empty(engine.Alerts);
        Assert.Equal(20_000, engine.Core.EventsProcessed);
    }
}
