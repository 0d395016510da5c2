using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>The engine's Kafka loop on an embedded cluster: a late event goes to fs.dlq and the stream goes on.</summary>
public sealed class LateEventKafkaTests
{
    private static string OverseasCall(string id, string callee, long startMs, int seconds) =>
        $$"""{"event_id":"{{id}}","calling":"+12025550177","called":"{{callee}}","direction":"IN","start_ms":{{startMs}},"end_ms":{{startMs + (seconds * 1000L)}},"duration_s":{{seconds}},"answered":true,"origin":"INTERNATIONAL"}""";

    [Fact]
    public async Task EngineWorker_LateEvent_DeadLetteredWithReasonLateAndStreamContinues()
    {
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopics(Topics.All, partitions: 1);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        using var stores = new EngineStores(new FasterStoreOptions { IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18 });
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();
        var late = OverseasCall("cdr-late", "8613800000072", T0, 700);
        using (var worker = new EngineWorker(kafka, stores, DefaultPack, producer, NullLogger.Instance, groupId: "engine-" + Guid.NewGuid().ToString("N")))
        {
            worker.Start();
            await worker.Assigned.WithTimeout();

            // The first call moves the watermark to T0 + 30 min; the second ended 18 min before it (more than the
            // 2-minute lateness): dead-lettered; the third, on time, is judged as usual.
            foreach (var (key, value) in new[]
            {
                ("8613800000071", OverseasCall("cdr-1", "8613800000071", T0 + (30 * Minute), 700)),
                ("8613800000072", late),
                ("8613800000073", OverseasCall("cdr-3", "8613800000073", T0 + (31 * Minute), 700)),
            })
            {
                await producer.ProduceAsync(Topics.Calls, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) }).WithTimeout();
            }

            await Poll.UntilAsync(() => worker.EventsProcessed == 3, "the engine to judge the three calls");
            Assert.Equal(1, worker.EventsLate);
            Assert.Equal(1, worker.EventsDeadLettered);
            producer.Flush(TimeSpan.FromSeconds(10));
        }

        var dead = Assert.Single(ReadAll(kafka, Topics.DeadLetter, expected: 1));
        Assert.Equal("Late", Header(dead, DeadLetterWriter.Headers.Reason));
        Assert.Equal("end_ms", Header(dead, DeadLetterWriter.Headers.Field));
        Assert.Equal(Topics.Calls, Header(dead, DeadLetterWriter.Headers.SourceTopic));
        Assert.Equal("1", Header(dead, DeadLetterWriter.Headers.SourceOffset));
        Assert.Equal(late, Encoding.UTF8.GetString(dead.Message.Value));
        Assert.Equal("8613800000072", Encoding.UTF8.GetString(dead.Message.Key));

        var alerts = ReadAll(kafka, Topics.Alerts, expected: 2).Select(r => Alert.Parser.ParseFrom(r.Message.Value)).ToList();
        Assert.Equal(["8613800000071", "8613800000073"], alerts.Select(a => a.Subject.Msisdn).Order(StringComparer.Ordinal));
    }

    private static string Header(ConsumeResult<byte[], byte[]> record, string name) =>
        Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));

    // Reads the topic from the beginning until `expected` records arrived, then a little longer for any extra one.
    private static List<ConsumeResult<byte[], byte[]>> ReadAll(KafkaOptions kafka, string topic, int expected)
    {
        var config = kafka.CreateConsumerConfig("reader-" + Guid.NewGuid().ToString("N"));
        config.EnablePartitionEof = true;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + TimeoutExtensions.DefaultTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                if (records.Count >= expected)
                {
                    break;
                }

                continue;
            }

            records.Add(result);
        }

        consumer.Close();
        return records;
    }
}
