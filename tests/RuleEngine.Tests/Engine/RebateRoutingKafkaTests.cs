using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// R12 across engine processes: a stranger's small transfer is judged on the stranger's partition, the victim's
/// bigger transfer out on the victim's. With two engines in one group, the rebate goes through fs.rebates to the
/// engine holding the victim, so R12 fires once for every victim whichever engine holds either party.
/// </summary>
public sealed class RebateRoutingKafkaTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int Victims = 8;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoEngines_RebateOnTheStrangersPartition_R12FiresOnceOnTheVictimsEngine()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopics(Topics.All, Partitions);
        var kafka = GroupTestKafka.ShortSession(cluster.BootstrapServers);
        var group = "engine-" + Guid.NewGuid().ToString("N");
        using var data = new TempDirectory("fraudshield-rebates");
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaOptions.For(cluster.BootstrapServers).CreateProducerConfig()).Build();
        using var storesA = new EngineStores(StoreOptions(data, "a"));
        using var storesB = new EngineStores(StoreOptions(data, "b"));

        // Every process reads the register whole (a table): the victims are residents, the strangers are not.
        foreach (var stores in new[] { storesA, storesB })
        {
            var tables = new TableApplier(stores);
            for (var i = 0; i < Victims; i++)
            {
                Assert.True(tables.ApplyRegistry(Encoding.UTF8.GetBytes(Resident(i)), tombstone: false, out var error), error.ToString());
            }
        }

        using var first = new EngineWorker(kafka, storesA, DefaultPack, producer, NullLogger.Instance, groupId: group);
        first.Start();
        await first.Assigned.WithTimeout(Timeout);
        using var second = new EngineWorker(kafka, storesB, DefaultPack, producer, NullLogger.Instance, groupId: group);
        second.Start();
        await second.Assigned.WithTimeout(Timeout);

        // The range assignor gives each of the two members two adjacent partition numbers of every input topic:
        // a victim whose stranger's partition is in the other half is held by the other engine.
        // Every rebate first, then every transfer out (5 h later in event time: sent in that order, none is late).
        var strangerPartitions = new int[Victims];
        for (var i = 0; i < Victims; i++)
        {
            strangerPartitions[i] = await ProduceAsync(producer, Topics.Txns, Stranger(i), Rebate(i));
        }

        var crossing = 0;
        for (var i = 0; i < Victims; i++)
        {
            var victimPartition = await ProduceAsync(producer, Topics.Txns, Victim(i), Outbound(i));
            crossing += strangerPartitions[i] / 2 != victimPartition / 2 ? 1 : 0;
        }

        output.WriteLine($"{crossing} of {Victims} victims' rebates cross to the other engine");
        Assert.True(crossing >= 2, $"the test needs victims whose stranger is held by the other engine, got {crossing}");

        var alerts = await GroupTestKafka.ReadAlertsAsync(kafka, Partitions, expected: Victims, Timeout);
        output.WriteLine($"first: sent {first.Rebates.Sent}, applied {first.RebatesReceived}; second: sent {second.Rebates.Sent}, applied {second.RebatesReceived}");
        for (var i = 0; i < Victims; i++)
        {
            var mine = alerts.Where(a => a.Subject.Msisdn == Victim(i)).Select(a => $"{a.Version} {a.Severity} {string.Join(',', a.RuleIds)}").ToList();
            Assert.Equal(["1 L3 R12"], mine);
        }

        Assert.Equal(Victims, first.Rebates.Sent + second.Rebates.Sent);
        Assert.Equal(Victims, first.RebatesReceived + second.RebatesReceived);
        Assert.True(first.RebatesReceived > 0 && second.RebatesReceived > 0, "both engines should hold some victims");
        Assert.Equal(0, first.EventsDeadLettered + second.EventsDeadLettered);
    }

    [Fact]
    public async Task MalformedRebateRecord_DeadLetteredWithItsReason_StreamContinues()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopics(Topics.All, 1);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        using var data = new TempDirectory("fraudshield-rebates");
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();
        using var stores = new EngineStores(StoreOptions(data, "a"));
        Assert.True(new TableApplier(stores).ApplyRegistry(Encoding.UTF8.GetBytes(Resident(0)), tombstone: false, out _));
        using var engine = new EngineWorker(kafka, stores, DefaultPack, producer, NullLogger.Instance, groupId: "engine-" + Guid.NewGuid().ToString("N"));
        engine.Start();
        await engine.Assigned.WithTimeout(Timeout);

        // A record of another length, and a well-formed one another engine group sent (a bench's catch-up group),
        // then the victim's rebate and transfer: the first is refused, the second skipped, R12 fires once.
        await producer.ProduceAsync(Topics.Rebates, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(Victim(0)), Value = new byte[RebateRecord.Size - 1] }).WithTimeout(Timeout);
        var foreign = new RebateRecord { Receiver = ulong.Parse(Victim(0), CultureInfo.InvariantCulture), TimeMs = T0, AmountMinor = 10_000, TransferKey = 1, Origin = RebateRecord.OriginOf("another-group") };
        var foreignBytes = new byte[RebateRecord.Size];
        foreign.Write(foreignBytes);
        await producer.ProduceAsync(Topics.Rebates, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(Victim(0)), Value = foreignBytes }).WithTimeout(Timeout);
        await ProduceAsync(producer, Topics.Txns, Stranger(0), Rebate(0));
        await ProduceAsync(producer, Topics.Txns, Victim(0), Outbound(0));

        var alerts = await GroupTestKafka.ReadAlertsAsync(kafka, partitions: 1, expected: 1, Timeout);
        Assert.Equal(["1 L3 R12"], alerts.Select(a => $"{a.Version} {a.Severity} {string.Join(',', a.RuleIds)}"));
        await Poll.UntilAsync(() => engine.EventsDeadLettered == 1, "the malformed record dead-lettered", Timeout);
        Assert.Equal(1, engine.RebatesOfOtherGroups);
        Assert.Equal(2, engine.RebatesReceived);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(kafka.CreateConsumerConfig("dlq-" + Guid.NewGuid().ToString("N"))).Build();
        consumer.Assign(new TopicPartitionOffset(Topics.DeadLetter, 0, Offset.Beginning));
        var dead = consumer.Consume(Timeout);
        Assert.NotNull(dead);
        Assert.Equal("InvalidValue", Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes("fs-reason")));
        Assert.Equal("length", Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes("fs-field")));
        Assert.Equal(Topics.Rebates, Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes("fs-source-topic")));
    }

    private static FasterStoreOptions StoreOptions(TempDirectory data, string name) =>
        new() { Directory = Path.Combine(data.Path, name), IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18 };

    private static string Victim(int i) => (8613800000100 + i).ToString(CultureInfo.InvariantCulture);

    private static string Stranger(int i) => (8617100000000 + (i * 7919)).ToString(CultureInfo.InvariantCulture);

    private static string VictimAccount(int i) => "62170000001" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string Resident(int i) =>
        $$"""{"person_id":"P-{{Victim(i)}}","msisdns":["{{Victim(i)}}"],"accounts":["{{VictimAccount(i)}}"],"birth_year":1980,"station_id":"S01","beat_id":"S01-B1","grid_id":"S01-G01","grid_worker_id":"W-S01-G01"}""";

    // 100 RMB from a stranger, then 1,000 RMB to a new payee 5 h later: R12 (10 x within 24 h).
    private static string Rebate(int i) =>
        $$"""{"txn_id":"rr-in{{i}}","ts_ms":{{T0 + (i * Minute)}},"type":"TRANSFER","payer":{"account":"ACC-{{Stranger(i)}}","msisdn":"{{Stranger(i)}}"},"payee":{"account":"{{VictimAccount(i)}}","kind":"PERSON"},"amount_minor":10000,"currency":"CNY"}""";

    private static string Outbound(int i) =>
        $$"""{"txn_id":"rr-out{{i}}","ts_ms":{{T0 + (i * Minute) + (5 * Hour)}},"type":"TRANSFER","payer":{"account":"{{VictimAccount(i)}}","msisdn":"{{Victim(i)}}"},"payee":{"account":"62220000991{{i:D3}}","kind":"PERSON"},"amount_minor":100000,"currency":"CNY"}""";

    private static async Task<int> ProduceAsync(IProducer<byte[], byte[]> producer, string topic, string key, string json)
    {
        var result = await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(json) }).WithTimeout(Timeout);
        return result.Partition.Value;
    }
}
