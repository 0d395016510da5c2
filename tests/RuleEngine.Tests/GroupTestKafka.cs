using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Tests;

/// <summary>Client settings for tests whose consumer groups gain or lose members on the embedded cluster.</summary>
internal static class GroupTestKafka
{
    /// <summary>
    /// A 6 s session and 500 ms heartbeats: the embedded cluster's coordinator holds a rebalance that a joining member
    /// starts for the session timeout less a second (45 s with the defaults; real brokers finish it once every member
    /// rejoined), and notices a member that died only when its session expires.
    /// </summary>
    public static KafkaOptions ShortSession(string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        ExtraProperties = new Dictionary<string, string> { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" },
    };

    /// <summary>
    /// The group's committed offsets summed over <paramref name="topics"/> (read by a consumer of the group that does
    /// not join it). Tests that add a member wait for this first: the embedded cluster refuses every offset commit once
    /// a rebalance has begun, so the commit librdkafka makes as it gives partitions up fails there (a Kafka broker takes
    /// commits of the current generation while it prepares a rebalance), and the records after the last periodic commit
    /// would be judged again by their new owner.
    /// </summary>
    public static long CommittedTotal(KafkaOptions kafka, string group, IEnumerable<string> topics, int partitions, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(kafka.CreateConsumerConfig(group)).Build();
        var all = topics.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartition(t, p)));
        return consumer.Committed(all, timeout).Sum(c => Math.Max(0, c.Offset.Value));
    }
}
