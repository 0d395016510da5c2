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
    public void BenignTransfers_ManyPerResident_GoMostlyToAFewRegularPayees()
    {
        var city = new CitySimulator(new CityOptions { Residents = 500 }, seed: 5);
        var pairs = new HashSet<(string Payer, string Payee)>();
        var transfers = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var record = city.NextBenign(EngineHarness.T0 + i);
            if (record.Topic != FraudShield.Contracts.Topics.Txns)
            {
                continue;
            }

            transfers++;
            using var json = System.Text.Json.JsonDocument.Parse(record.Value);
            var payer = json.RootElement.GetProperty("payer").GetProperty("account").GetString()!;
            var payee = json.RootElement.GetProperty("payee").GetProperty("account").GetString()!;
            pairs.Add((payer, payee));
        }

        // ~24,000 transfers, ~48 per resident: random payees would give almost as many pairs; regular ones about
        // 4 per resident plus the 2 % to anyone (~480).
        Assert.InRange(transfers, 20_000, 28_000);
        Assert.InRange(pairs.Count, 500 * 3, (500 * 4) + (transfers * 0.03));
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
