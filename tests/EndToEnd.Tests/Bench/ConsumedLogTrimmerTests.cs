using Confluent.Kafka;
using FraudShield.Host.Bench;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>The bench's trimming of consumed records, on an embedded cluster with two groups reading one topic.</summary>
public sealed class ConsumedLogTrimmerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void TrimOnce_TwoGroups_EachPartitionTrimmedToTheLowerCommitAndNotWhileAGroupHasNone()
    {
        using var cluster = EmbeddedKafkaCluster.Start(1);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        const string topic = "trim-events";
        cluster.CreateTopic(topic, 2);
        using (var producer = new ProducerBuilder<string, string>(kafka.CreateProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                producer.Produce(new TopicPartition(topic, 0), new Message<string, string> { Key = "a", Value = "v" });
                producer.Produce(new TopicPartition(topic, 1), new Message<string, string> { Key = "b", Value = "v" });
            }

            Assert.Equal(0, producer.Flush(Timeout));
        }

        Commit(kafka, "group-a", (0, 6), (1, 4));
        Commit(kafka, "group-b", (0, 3));
        using var trimmer = new ConsumedLogTrimmer(cluster, kafka, [("group-a", [topic]), ("group-b", [topic])], partitions: 2, NullLogger.Instance);

        trimmer.TrimOnce();
        Assert.Equal(3, LogStart(kafka, topic, 0));
        Assert.Equal(0, LogStart(kafka, topic, 1)); // group-b has read nothing of partition 1 yet
        Assert.Equal(1, trimmer.Deletions);

        Commit(kafka, "group-b", (1, 8));
        trimmer.TrimOnce();
        Assert.Equal(3, LogStart(kafka, topic, 0));
        Assert.Equal(4, LogStart(kafka, topic, 1)); // group-a's 4, the lower of the two
        Assert.Equal(2, trimmer.Deletions);
    }

    [Fact]
    public void ConsumerGroups_EngineWithCounterparty_NamesEveryGroupAndItsTopics()
    {
        var options = new NodeOptions { Kafka = KafkaOptions.For("x:1"), EngineGroup = "e", RepartitionGroup = "r", CounterpartyGroup = "c" };

        var groups = options.ConsumerGroups();

        Assert.Equal(["e", "r", "c"], groups.Select(g => g.Group));
        Assert.Equal(["fs.calls", "fs.txns", "fs.signals", "fs.rebates"], groups[0].Topics);
        Assert.Equal(["fs.calls", "fs.txns"], groups[1].Topics);
        Assert.Equal(["fs.counterparty"], groups[2].Topics);
        Assert.Equal(["e"], (options with { RunCounterparty = false }).ConsumerGroups().Select(g => g.Group));
        Assert.Empty((options with { RunEngine = false }).ConsumerGroups());
    }

    private static void Commit(KafkaOptions kafka, string group, params (int Partition, long Offset)[] offsets)
    {
        using var consumer = new ConsumerBuilder<string, string>(kafka.CreateConsumerConfig(group)).Build();
        consumer.Commit(offsets.Select(o => new TopicPartitionOffset("trim-events", o.Partition, o.Offset)));
    }

    private static long LogStart(KafkaOptions kafka, string topic, int partition)
    {
        using var consumer = new ConsumerBuilder<string, string>(kafka.CreateConsumerConfig("trim-watermarks")).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), Timeout).Low.Value;
    }
}
