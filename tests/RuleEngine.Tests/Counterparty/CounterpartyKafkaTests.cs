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

    private static async Task<int> ProduceCallAsync(IProducer<byte[], byte[]> producer, int i)
    {
        var callee = (8613900000100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = EngineHarness.T0 + (i * EngineHarness.Minute);
        var answered = i % 5 == 0;
        var json = $$"""{"event_id":"kf-{{i + 1}}","calling":"{{Caller}}","called":"{{callee}}","direction":"IN","start_ms":{{start}},"duration_s":{{(answered ? 40 : 0)}},"answered":{{(answered ? "true" : "false")}},"origin":"DOMESTIC"}""";
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
