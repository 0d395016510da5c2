using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.RuleEngine.Engine;
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
        using var setup = new EngineGroupCluster(Partitions, "rebates");
        var (kafka, group, producer) = (setup.Kafka, setup.Group, setup.Producer);
        using var storesA = setup.NewStores("a");
        using var storesB = setup.NewStores("b");

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
        // Every rebate first, then every transfer out.
        var strangerPartitions = new int[Victims];
        for (var i = 0; i < Victims; i++)
        {
            strangerPartitions[i] = await setup.ProduceAsync(Topics.Txns, Stranger(i), Rebate(i), Timeout);
        }

        var crossing = 0;
        for (var i = 0; i < Victims; i++)
        {
            var victimPartition = await setup.ProduceAsync(Topics.Txns, Victim(i), Outbound(i), Timeout);
            crossing += strangerPartitions[i] / 2 != victimPartition / 2 ? 1 : 0;
        }

        output.WriteLine($"{crossing} of {Victims} victims' rebates cross to the other engine");
        Assert.True(crossing >= 2, $"the test needs victims whose stranger is held by the other engine, got {crossing}");

        string Counters() =>
            $"first: sent {first.Rebates.Sent}, received {first.RebatesReceived}, events {first.EventsProcessed}, replayed {first.EventsReplayed}, alerts {first.AlertSink.Emitted}, muted {first.AlertSink.Suppressed}/{first.Rebates.Suppressed}, dead-lettered {first.EventsDeadLettered}; " +
            $"second: sent {second.Rebates.Sent}, received {second.RebatesReceived}, events {second.EventsProcessed}, replayed {second.EventsReplayed}, alerts {second.AlertSink.Emitted}, muted {second.AlertSink.Suppressed}/{second.Rebates.Suppressed}, dead-lettered {second.EventsDeadLettered}";
        List<FraudShield.Contracts.Alerts.V1.Alert> alerts;
        try
        {
            alerts = await GroupTestKafka.ReadAlertsAsync(kafka, Partitions, expected: Victims, Timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} {Counters()}", e);
        }

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
        using var setup = new EngineGroupCluster(partitions: 1, "rebates");
        var (kafka, producer) = (setup.Kafka, setup.Producer);
        using var stores = setup.NewStores("a");
        Assert.True(new TableApplier(stores).ApplyRegistry(Encoding.UTF8.GetBytes(Resident(0)), tombstone: false, out _));
        using var engine = new EngineWorker(kafka, stores, DefaultPack, producer, NullLogger.Instance, groupId: setup.Group);
        engine.Start();
        await engine.Assigned.WithTimeout(Timeout);

        // A record of another length, and a well-formed one another engine group sent (a bench's catch-up group),
        // then the victim's rebate and transfer: the first is refused, the second skipped, R12 fires once.
        await producer.ProduceAsync(Topics.Rebates, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(Victim(0)), Value = new byte[RebateRecord.Size - 1] }).WithTimeout(Timeout);
        var foreign = new RebateRecord { Receiver = ulong.Parse(Victim(0), CultureInfo.InvariantCulture), TimeMs = T0, AmountMinor = 10_000, TransferKey = 1, Origin = RebateRecord.OriginOf("another-group") };
        var foreignBytes = new byte[RebateRecord.Size];
        foreign.Write(foreignBytes);
        await producer.ProduceAsync(Topics.Rebates, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(Victim(0)), Value = foreignBytes }).WithTimeout(Timeout);
        await setup.ProduceAsync(Topics.Txns, Stranger(0), Rebate(0), Timeout);
        await setup.ProduceAsync(Topics.Txns, Victim(0), Outbound(0), Timeout);

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

    [Fact]
    public async Task RoutedRebate_StampedWhenProduced_NotWithTheTransfersTime()
    {
        // A recovery merges fs.rebates with the event topics by record timestamp: a rebate stamped with its transfer's
        // (old) time would be merged before the receiver's events judged meanwhile, not where it arrived live.
        using var setup = new EngineGroupCluster(partitions: 1, "rebates");
        using var stores = setup.NewStores("a");
        Assert.True(new TableApplier(stores).ApplyRegistry(Encoding.UTF8.GetBytes(Resident(0)), tombstone: false, out _));
        using var engine = new EngineWorker(setup.Kafka, stores, DefaultPack, setup.Producer, NullLogger.Instance, groupId: setup.Group);
        engine.Start();
        await engine.Assigned.WithTimeout(Timeout);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await setup.ProduceAsync(Topics.Txns, Stranger(0), Rebate(0), Timeout);
        await Poll.UntilAsync(() => engine.RebatesReceived == 1, "the rebate routed and read back", Timeout);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        using var consumer = new ConsumerBuilder<byte[], byte[]>(setup.Kafka.CreateConsumerConfig("rebates-" + Guid.NewGuid().ToString("N"))).Build();
        consumer.Assign(new TopicPartitionOffset(Topics.Rebates, 0, Offset.Beginning));
        var routed = consumer.Consume(Timeout);
        Assert.NotNull(routed);
        Assert.True(RebateRecord.TryRead(routed.Message.Value, out var rebate, out var problem), problem);
        Assert.Equal(T0, rebate.TimeMs);
        Assert.Equal(TimestampType.CreateTime, routed.Message.Timestamp.Type);
        Assert.InRange(routed.Message.Timestamp.UnixTimestampMs, before - 1000, after + 1000);
    }

    private static string Victim(int i) => (8613800000100 + i).ToString(CultureInfo.InvariantCulture);

    private static string Stranger(int i) => (8617100000000 + (i * 7919)).ToString(CultureInfo.InvariantCulture);

    private static string VictimAccount(int i) => "62170000001" + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string Resident(int i) =>
        $$"""{"person_id":"P-{{Victim(i)}}","msisdns":["{{Victim(i)}}"],"accounts":["{{VictimAccount(i)}}"],"birth_year":1980,"station_id":"S01","beat_id":"S01-B1","grid_id":"S01-G01","grid_worker_id":"W-S01-G01"}""";

    // 100 RMB from a stranger, then 1,000 RMB to a new payee a minute later: R12 (10 x within 24 h). Every event is
    // within 70 s of event time: an engine judges its partitions in parallel streams, and one lateness (2 min) behind
    // the latest event time it saw on any of them.
    private static string Rebate(int i) =>
        $$"""{"txn_id":"rr-in{{i}}","ts_ms":{{T0 + (i * 1000)}},"type":"TRANSFER","payer":{"account":"ACC-{{Stranger(i)}}","msisdn":"{{Stranger(i)}}"},"payee":{"account":"{{VictimAccount(i)}}","kind":"PERSON"},"amount_minor":10000,"currency":"CNY"}""";

    private static string Outbound(int i) =>
        $$"""{"txn_id":"rr-out{{i}}","ts_ms":{{T0 + Minute + (i * 1000)}},"type":"TRANSFER","payer":{"account":"{{VictimAccount(i)}}","msisdn":"{{Victim(i)}}"},"payee":{"account":"62220000991{{i:D3}}","kind":"PERSON"},"amount_minor":100000,"currency":"CNY"}""";
}
