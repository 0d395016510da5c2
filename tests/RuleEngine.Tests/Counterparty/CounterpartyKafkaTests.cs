using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.RuleEngine.Tests.Counterparty;

/// <summary>The counterparty stage through a real (embedded, 3-broker) Kafka cluster: repartitioner, fs.counterparty, aggregator, fs.alerts.</summary>
public sealed class CounterpartyKafkaTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const string Caller = "8617000000777";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FanoutCaller_CallsSpreadOverPartitions_OneR03Alert_RestartFromCheckpointReemitsSameId()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        cluster.CreateTopics([Topics.Calls, Topics.Txns, Topics.Counterparty, Topics.Alerts], Partitions);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        using var data = new TempDirectory("fraudshield-counterparty");
        var storeOptions = new FasterStoreOptions { Directory = data.Path, IndexBuckets = 1 << 12, MemorySizeBits = 24, PageSizeBits = 20 };
        var checkpoints = new CounterpartyCheckpoints(Path.Combine(data.Path, "checkpoints"));
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();

        using var repartitioner = new CounterpartyRepartitioner(kafka, producer, NullLogger.Instance);
        repartitioner.Start();
        var stores = new CounterpartyStores(storeOptions);
        var first = new CounterpartyWorker(kafka, stores, EngineHarness.DefaultPack, producer, NullLogger.Instance, checkpoints: checkpoints, checkpointInterval: TimeSpan.FromHours(1));
        first.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(repartitioner.Assigned, first.Assigned).WithTimeout(Timeout);
        output.WriteLine($"groups joined after {clock.ElapsedMilliseconds} ms");

        // 29 calls of the fan-out caller, keyed by the callee as the telco feed keys them: they land on every partition.
        var partitions = new HashSet<int>();
        for (var i = 0; i < 29; i++)
        {
            partitions.Add(await ProduceCallAsync(producer, i));
        }

        Assert.True(partitions.Count >= 3, $"the calls should spread over the partitions of {Topics.Calls}, got [{string.Join(", ", partitions)}]");
        await Poll.UntilAsync(() => first.RecordsApplied == 29, "29 records applied", Timeout);
        output.WriteLine($"29 applied after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, first.AlertSink.Emitted);

        // A checkpoint covering the 29 calls, then the 30th call fires R03 once.
        first.RequestCheckpoint();
        await Poll.UntilAsync(() => first.CheckpointsTaken == 1, "a checkpoint", Timeout);
        await ProduceCallAsync(producer, 29);
        await Poll.UntilAsync(() => first.AlertSink.Emitted == 1, "the R03 alert", Timeout);
        for (var i = 30; i < 33; i++)
        {
            await ProduceCallAsync(producer, i);
        }

        await Poll.UntilAsync(() => first.RecordsApplied == 33, "33 records applied", Timeout);
        Assert.Equal(1, first.AlertSink.Emitted);
        output.WriteLine($"alert after {clock.ElapsedMilliseconds} ms");
        var alerts = await ReadAlertsAsync(kafka, expected: 1);
        output.WriteLine($"alert read after {clock.ElapsedMilliseconds} ms");
        var alert = Assert.Single(alerts);
        Assert.Equal(["R03"], alert.RuleIds);
        Assert.Equal(Caller, alert.Subject.Msisdn);
        Assert.Equal("30", alert.Hits[0].Values["distinct_callees"]);

        // A crash after the alert: the state on disk is the checkpoint's (29 calls). The restarted aggregator resumes
        // there, applies the 30th call again and re-emits the alert with the same id.
        first.StopWithoutCheckpoint();
        first.Dispose();
        stores.Dispose();
        using var recoveredStores = new CounterpartyStores(storeOptions);
        // Positions come from the checkpoint, not from the group's commits; a fresh group id spares the test the mock
        // coordinator's wait for the old member's session to expire (~45 s).
        using var second = new CounterpartyWorker(kafka, recoveredStores, EngineHarness.DefaultPack, producer, NullLogger.Instance, groupId: "fraudshield-counterparty-restarted", checkpoints: checkpoints, checkpointInterval: TimeSpan.FromHours(1));
        second.Start();
        output.WriteLine($"restarted after {clock.ElapsedMilliseconds} ms");
        await Poll.UntilAsync(() => second.RecordsApplied == 4, "the 4 records after the checkpoint", Timeout);
        output.WriteLine($"replayed after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(1, second.LastCheckpoint?.Sequence);
        Assert.Equal(1, second.AlertSink.Emitted);

        alerts = await ReadAlertsAsync(kafka, expected: 2);
        Assert.Equal(2, alerts.Count);
        Assert.Equal(alert.AlertId, alerts[1].AlertId);
        Assert.Equal(alert.CreatedMs, alerts[1].CreatedMs);
    }

    [Fact]
    public async Task TwoProcesses_SplitTheInputPartitions_EachPatternStillOneAlertId()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        cluster.CreateTopics([Topics.Calls, Topics.Txns, Topics.Counterparty, Topics.Alerts], Partitions);
        var kafka = GroupTestKafka.ShortSession(cluster.BootstrapServers);
        using var data = new TempDirectory("fraudshield-counterparty");
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();

        // Two engine processes' counterparty stages: same consumer groups, stores and checkpoints of their own
        // (declared before their workers, so the workers stop first).
        FasterStoreOptions StoreOptions(string name) => new() { Directory = Path.Combine(data.Path, name), IndexBuckets = 1 << 12, MemorySizeBits = 24, PageSizeBits = 20 };
        CounterpartyWorker Worker(string name, CounterpartyStores stores) =>
            new(kafka, stores, EngineHarness.DefaultPack, producer, NullLogger.Instance, checkpoints: new CounterpartyCheckpoints(Path.Combine(data.Path, name, "checkpoints")), checkpointInterval: TimeSpan.FromHours(1));

        using var storesA = new CounterpartyStores(StoreOptions("a"));
        using var storesB = new CounterpartyStores(StoreOptions("b"));
        using var repartitionerA = new CounterpartyRepartitioner(kafka, producer, NullLogger.Instance);
        using var repartitionerB = new CounterpartyRepartitioner(kafka, producer, NullLogger.Instance);
        using var workerA = Worker("a", storesA);
        using var workerB = Worker("b", storesB);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        {
            repartitionerA.Start();
            workerA.Start();
            repartitionerB.Start();
            workerB.Start();
            await Poll.UntilAsync(
                () => repartitionerA.AssignedPartitions > 0 && repartitionerB.AssignedPartitions > 0 && repartitionerA.AssignedPartitions + repartitionerB.AssignedPartitions == 2 * Partitions
                    && workerA.AssignedPartitions > 0 && workerB.AssignedPartitions > 0 && workerA.AssignedPartitions + workerB.AssignedPartitions == Partitions,
                "both processes sharing the partitions",
                Timeout);
            output.WriteLine($"groups settled after {clock.ElapsedMilliseconds} ms");

            // R03: 30 calls keyed by their callees; R15: a mule account paid by three payers (keyed by the payers) and
            // forwarding the money (keyed by the mule).
            for (var i = 0; i < 30; i++)
            {
                await ProduceCallAsync(producer, i);
            }

            const string mule = "6230000000000777";
            for (var i = 0; i < 3; i++)
            {
                await ProduceTransferAsync(producer, $"kt-{i}", $"862170000000{i:D2}", $"8613800000{i:D3}", mule, EngineHarness.T0 + (i * EngineHarness.Minute), 1_000_000, openedMs: EngineHarness.T0 - (10 * 86_400_000L));
            }

            await ProduceTransferAsync(producer, "kt-out", mule, "8613800000999", "6240000000000777", EngineHarness.T0 + (10 * EngineHarness.Minute), 2_700_000);

            var alerts = await ReadAlertsAsync(kafka, expected: 2);
            output.WriteLine($"two alerts after {clock.ElapsedMilliseconds} ms");
            await Poll.UntilAsync(() => workerA.RecordsApplied + workerB.RecordsApplied >= 38, "every record applied", Timeout);
            alerts = await ReadAlertsAsync(kafka, expected: (int)(workerA.AlertSink.Emitted + workerB.AlertSink.Emitted));

            Assert.True(repartitionerA.RecordsProduced > 0 && repartitionerB.RecordsProduced > 0, "both repartitioners should have had input");
            Assert.Single(alerts.Where(a => a.RuleIds.Contains("R03")).Select(a => a.AlertId).Distinct());
            Assert.Single(alerts.Where(a => a.RuleIds.Contains("R15")).Select(a => a.AlertId).Distinct());
            Assert.Equal(2, alerts.Select(a => a.AlertId).Distinct().Count());
            Assert.Equal("8613800000000,8613800000001,8613800000002", alerts.First(a => a.RuleIds.Contains("R15")).Evidence.Facts[CounterpartyAggregator.PayersFact]);
        }
    }

    [Fact]
    public async Task SecondAggregatorJoins_MovedPartitionsRebuildStateQuietly_NoAlertProducedTwice()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopics([Topics.Calls, Topics.Txns, Topics.Counterparty, Topics.Alerts], Partitions);
        var kafka = GroupTestKafka.ShortSession(cluster.BootstrapServers);
        using var data = new TempDirectory("fraudshield-counterparty");
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaOptions.For(cluster.BootstrapServers).CreateProducerConfig()).Build();
        FasterStoreOptions StoreOptions(string name) => new() { Directory = Path.Combine(data.Path, name), IndexBuckets = 1 << 12, MemorySizeBits = 24, PageSizeBits = 20 };
        CounterpartyWorker Worker(string name, CounterpartyStores stores) =>
            new(kafka, stores, EngineHarness.DefaultPack, producer, NullLogger.Instance, checkpoints: new CounterpartyCheckpoints(Path.Combine(data.Path, name, "checkpoints")), checkpointInterval: TimeSpan.FromHours(1));

        using var storesA = new CounterpartyStores(StoreOptions("a"));
        using var storesB = new CounterpartyStores(StoreOptions("b"));
        using var repartitioner = new CounterpartyRepartitioner(kafka, producer, NullLogger.Instance);
        using var first = Worker("a", storesA);
        repartitioner.Start();
        first.Start();
        await Task.WhenAll(repartitioner.Assigned, first.Assigned).WithTimeout(Timeout);

        // Six fan-out callers (R03 at 30 distinct callees), whose records spread over fs.counterparty's partitions.
        const int Callers = 6;
        string CallerNumber(int c) => "86170000009" + c.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
        for (var c = 0; c < Callers; c++)
        {
            for (var i = 0; i < 30; i++)
            {
                await ProduceCallAsync(producer, (c * 100) + i, CallerNumber(c));
            }
        }

        await Poll.UntilAsync(() => first.AlertSink.Emitted == Callers, $"{Callers} R03 alerts", Timeout);
        await Poll.UntilAsync(() => first.RecordsApplied == 30 * Callers, "every call applied", Timeout);
        var messages = GroupTestKafka.EndOffsetsTotal(kafka, [Topics.Counterparty], Partitions, Timeout);
        await Poll.UntilAsync(() => GroupTestKafka.CommittedTotal(kafka, "fraudshield-counterparty", [Topics.Counterparty], Partitions, Timeout) == messages, "the first aggregator's offsets committed", Timeout);

        // The second aggregator joins; the partitions that move to it are replayed from the beginning. Then one more
        // call per caller: R03 already fired for each caller in this window, so nothing new either way.
        using var second = Worker("b", storesB);
        second.Start();
        await Poll.UntilAsync(() => second.AssignedPartitions > 0 && first.AssignedPartitions + second.AssignedPartitions == Partitions, "both aggregators sharing the partitions", Timeout);
        for (var c = 0; c < Callers; c++)
        {
            await ProduceCallAsync(producer, (c * 100) + 30, CallerNumber(c));
        }

        await Poll.UntilAsync(() => first.RecordsApplied + second.RecordsApplied - second.RecordsReplayed == 31 * Callers, "every call applied once outside the replay", Timeout);
        output.WriteLine($"first: emitted {first.AlertSink.Emitted}; second: replayed {second.RecordsReplayed}, emitted {second.AlertSink.Emitted}, suppressed {second.AlertSink.Suppressed}");
        Assert.True(second.RecordsReplayed > 0, "the second aggregator should replay the records of the partitions it took");
        Assert.Equal(0, second.AlertSink.Emitted);
        var alerts = await ReadAlertsAsync(kafka, expected: Callers);
        Assert.Equal(Callers, alerts.Count);
        Assert.Equal(Callers, alerts.Select(a => a.Subject.Msisdn).Distinct().Count());
    }

    [Fact]
    public async Task Repartitioner_OutputBrokerDownLongEnoughToFillTheQueue_WaitsThenDeliversEveryRecordOnce()
    {
        // fs.counterparty on broker 2, the input on broker 1; a producer queue of one message fills while broker 2 is down.
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 2);
        cluster.CreateTopics([Topics.Calls, Topics.Txns, Topics.Counterparty], Partitions);
        for (var p = 0; p < Partitions; p++)
        {
            cluster.SetPartitionLeader(Topics.Calls, p, 1);
            cluster.SetPartitionLeader(Topics.Txns, p, 1);
            cluster.SetPartitionLeader(Topics.Counterparty, p, 2);
        }

        var kafka = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, ExtraProperties = new Dictionary<string, string> { ["queue.buffering.max.messages"] = "1" } };
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaOptions.For(cluster.BootstrapServers).CreateProducerConfig()).Build();
        using var repartitionProducer = CounterpartyRepartitioner.CreateProducer(kafka, NullLogger.Instance);
        using var repartitioner = new CounterpartyRepartitioner(kafka, repartitionProducer, NullLogger.Instance);
        repartitioner.Start();
        await repartitioner.Assigned.WithTimeout(Timeout);

        // One call through first: the stage has fetched its committed positions (from the group's coordinator, which
        // may be broker 2) and reads broker 1 from then on.
        const int Round = 12;
        const int Calls = 1 + (2 * Round);
        await ProduceCallAsync(producer, 0);
        await Poll.UntilAsync(() => repartitioner.RecordsProduced == 1, "the first call repartitioned", Timeout);
        cluster.SetBrokerDown(2);

        // Calls of different callers, whose records go to different fs.counterparty partitions: even read in one poll
        // batch they make several messages, more than the queue holds.
        static string CallerOf(int i) => "8617000001" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Enumerable.Range(1, Round).Select(i => PartitionOfCaller(CallerOf(i))).Distinct().Count() >= 2);
        for (var i = 1; i <= Round; i++)
        {
            await ProduceCallAsync(producer, i, CallerOf(i));
        }

        await Poll.UntilAsync(() => repartitioner.QueueFullWaits > 0, "the repartitioner to wait for room in its full queue", Timeout);

        // While it waits the stage reads nothing more.
        var read = repartitioner.EventsRead;
        for (var i = Round + 1; i < Calls; i++)
        {
            await ProduceCallAsync(producer, i, CallerOf(i));
        }

        Assert.True(read <= 1 + Round && repartitioner.EventsRead == read, $"the stage should hold while its queue is full, read {read} then {repartitioner.EventsRead}");
        cluster.SetBrokerUp(2);
        await Poll.UntilAsync(() => repartitioner.EventsRead == Calls && repartitioner.RecordsProduced == Calls, "every call repartitioned", Timeout);

        // Each call's record exactly once on fs.counterparty (a message packs one or more records).
        var config = KafkaOptions.For(cluster.BootstrapServers).CreateConsumerConfig("counterparty-reader-" + Guid.NewGuid().ToString("N"));
        using var reader = new ConsumerBuilder<byte[], byte[]>(config).Build();
        reader.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topics.Counterparty, p, Offset.Beginning)));
        var records = new List<byte[]>();
        await Poll.UntilAsync(() =>
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(50))?.Message?.Value is { } value)
            {
                Assert.Equal(0, value.Length % CounterpartyRecord.Size);
                records.AddRange(value.Chunk(CounterpartyRecord.Size));
            }

            return records.Count >= Calls;
        }, $"{Calls} records on {Topics.Counterparty}", Timeout);
        Assert.Null(reader.Consume(TimeSpan.FromMilliseconds(500))?.Message);
        Assert.Equal(Calls, records.Count);
        Assert.Equal(Calls, records.Select(r => CounterpartyRecord.TryRead(r, out var record) ? Convert.ToHexString(record.EventIdBytes) : "invalid").Distinct().Count());
    }

    [Fact]
    public async Task Repartitioner_TopicMissing_RefusesToStartWithAClearError()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopics([Topics.Calls, Topics.Txns], Partitions);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();
        using var repartitioner = new CounterpartyRepartitioner(kafka, producer, NullLogger.Instance);

        repartitioner.Start();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => repartitioner.Assigned.WithTimeout(Timeout));
        Assert.Contains(Topics.Counterparty, error.Message, StringComparison.Ordinal);
    }

    private static async Task ProduceTransferAsync(IProducer<byte[], byte[]> producer, string id, string payerAccount, string payerMsisdn, string payeeAccount, long tsMs, long amountMinor, long? openedMs = null)
    {
        var opened = openedMs is { } o ? $",\"opened_ms\":{o}" : "";
        var json = $$"""{"txn_id":"{{id}}","ts_ms":{{tsMs}},"type":"TRANSFER","payer":{"account":"{{payerAccount}}","msisdn":"{{payerMsisdn}}"},"payee":{"account":"{{payeeAccount}}"{{opened}}},"amount_minor":{{amountMinor}}}""";
        await producer.ProduceAsync(Topics.Txns, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(payerMsisdn),
            Value = Encoding.UTF8.GetBytes(json),
            Timestamp = new Timestamp(tsMs, TimestampType.CreateTime),
        }).WithTimeout(Timeout);
    }

    private static int PartitionOfCaller(string caller) =>
        new CounterpartyPacker(Partitions, (_, _, _) => { }).PartitionOf(CounterpartyRecord.KeyOfCaller(ulong.Parse(caller, System.Globalization.CultureInfo.InvariantCulture)));

    private static async Task<int> ProduceCallAsync(IProducer<byte[], byte[]> producer, int i, string caller = Caller)
    {
        var callee = (8613900000100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = EngineHarness.T0 + (i * EngineHarness.Minute);
        var answered = i % 5 == 0;
        var json = $$"""{"event_id":"kf-{{i + 1}}","calling":"{{caller}}","called":"{{callee}}","direction":"IN","start_ms":{{start}},"duration_s":{{(answered ? 40 : 0)}},"answered":{{(answered ? "true" : "false")}},"origin":"DOMESTIC"}""";
        var result = await producer.ProduceAsync(Topics.Calls, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(callee),
            Value = Encoding.UTF8.GetBytes(json),
            Timestamp = new Timestamp(start, TimestampType.CreateTime),
        }).WithTimeout(Timeout);
        return result.Partition.Value;
    }

    // Every alert on fs.alerts, in order within the (single) station partition they share, once `expected` arrived.
    private static async Task<List<Alert>> ReadAlertsAsync(KafkaOptions kafka, int expected)
    {
        var alerts = new List<Alert>();
        var config = kafka.CreateConsumerConfig("alerts-reader-" + Guid.NewGuid().ToString("N"));
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topics.Alerts, p, Offset.Beginning)));
        await Poll.UntilAsync(() =>
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
            if (result?.Message?.Value is { } value)
            {
                alerts.Add(Alert.Parser.ParseFrom(value));
            }

            return alerts.Count >= expected;
        }, $"{expected} alerts on {Topics.Alerts}", Timeout);
        consumer.Close();
        return alerts;
    }
}
