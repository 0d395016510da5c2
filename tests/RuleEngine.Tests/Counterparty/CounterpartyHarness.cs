using System.Text;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.Counterparty;

/// <summary>
/// The counterparty stage in-process, without Kafka: JSON events go through the real parser and the repartition
/// mapping, each record through its wire encoding (what fs.counterparty carries), into an aggregator on real FASTER
/// stores in a temporary folder. Every record lands on one partition (<see cref="Partition"/>).
/// </summary>
internal sealed class CounterpartyHarness : IDisposable
{
    private readonly CounterpartyStores _stores;
    private readonly EventParser _parser = new();
    private readonly CounterpartyRecord[] _records = new CounterpartyRecord[CounterpartyMapper.MaxRecords];
    private readonly byte[] _wire = new byte[CounterpartyRecord.Size];

    public CounterpartyHarness(RulePackOptions? rules = null, string? directory = null)
    {
        _stores = new CounterpartyStores(new FasterStoreOptions { Directory = directory, IndexBuckets = 1 << 14, MemorySizeBits = 25, PageSizeBits = 20 });
        Aggregator = new CounterpartyAggregator(_stores, rules ?? EngineHarness.DefaultPack, Sink);
    }

    public ListSink Sink { get; } = new();

    public CounterpartyAggregator Aggregator { get; }

    public CounterpartyStores Stores => _stores;

    public IReadOnlyList<Alert> Alerts => Sink.Alerts;

    public int Partition { get; set; }

    /// <summary>Records produced by the mapping so far.</summary>
    public long Records { get; private set; }

    public void Feed(string topic, string json, long kafkaTimestampMs = 0) => Feed(topic, Encoding.UTF8.GetBytes(json), kafkaTimestampMs);

    public void Feed(string topic, ReadOnlySpan<byte> json, long kafkaTimestampMs = 0)
    {
        int n;
        ParseError error;
        switch (topic)
        {
            case Topics.Calls:
                Assert.True(_parser.TryParseCall(json, out var call, out error), $"call rejected: {error}");
                n = CounterpartyMapper.Map(in call, _records);
                break;
            case Topics.Txns:
                Assert.True(_parser.TryParseTxn(json, out var txn, out error), $"txn rejected: {error}");
                n = CounterpartyMapper.Map(in txn, _records);
                break;
            default:
                return; // fs.signals feed nothing into the counterparty stage
        }

        for (var i = 0; i < n; i++)
        {
            _records[i].Write(_wire);
            Assert.True(Aggregator.TryApply(_wire, kafkaTimestampMs, Partition));
            Records++;
        }
    }

    /// <summary>Feeds a scenario file and checks its expectations; returns the number checked.</summary>
    public int Run(string name)
    {
        var checkedCount = 0;
        foreach (var line in ScenarioFile.Read(name))
        {
            if (line.Kind == ScenarioLineKind.Event)
            {
                Feed(line.Topic, line.Json, line.KafkaTimestampMs);
                continue;
            }

            ScenarioFile.Check($"{name}:{line.LineNumber}", line.Expect, Alerts);
            checkedCount++;
        }

        return checkedCount;
    }

    public void Dispose()
    {
        Aggregator.Dispose();
        _stores.Dispose();
    }
}
