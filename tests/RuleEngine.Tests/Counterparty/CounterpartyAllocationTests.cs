using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Counterparty;

namespace FraudShield.RuleEngine.Tests.Counterparty;

public sealed class CounterpartyAllocationTests
{
    [Fact]
    public void MapAndApply_BenignTraffic_AllocatesNothingPerEvent()
    {
        // 20,000 benign simulator events, parsed and mapped once into their fs.counterparty bytes.
        var city = new CitySimulator(new CityOptions { Residents = 2_000 }, seed: 3);
        var events = Enumerable.Range(0, 20_000).Select(i => city.NextBenign(EngineHarness.T0 + (i * 5L))).ToList();
        var parser = new EventParser();
        var records = new CounterpartyRecord[CounterpartyMapper.MaxRecords];
        var wire = new byte[CounterpartyRecord.Size];
        using var harness = new CounterpartyHarness();
        var aggregator = harness.Aggregator;

        long MapAndApply(long shiftMs)
        {
            long applied = 0;
            foreach (var e in events)
            {
                int n;
                if (e.Topic == Topics.Calls && parser.TryParseCall(e.Value, out var call, out _))
                {
                    n = CounterpartyMapper.Map(in call, records);
                }
                else if (e.Topic == Topics.Txns && parser.TryParseTxn(e.Value, out var txn, out _))
                {
                    n = CounterpartyMapper.Map(in txn, records);
                }
                else
                {
                    continue;
                }

                for (var i = 0; i < n; i++)
                {
                    records[i].TimeMs += shiftMs;
                    records[i].Write(wire);
                    aggregator.TryApply(wire, 0, 0);
                    applied++;
                }
            }

            return applied;
        }

        // Warm-up: every key exists afterwards (the second pass updates records in place; a new key may grow FASTER's log).
        MapAndApply(0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var applied = MapAndApply(1000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(applied > 15_000, $"{applied}");
        Assert.Equal(applied * 2, aggregator.RecordsApplied);
        Assert.Empty(harness.Alerts);
        // Nothing per record: a few bytes once (runtime bookkeeping) would show up here, one object per record would be
        // hundreds of kilobytes.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated for {applied} records");
    }
}
