using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests;

/// <summary>Client settings and readers for tests of engine consumer groups on the embedded cluster.</summary>
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

    /// <summary>
    /// Every alert on fs.alerts once <paramref name="expected"/> arrived and each of its <paramref name="partitions"/>
    /// partitions reported its end (so an extra alert already there is counted too).
    /// </summary>
    public static async Task<List<Alert>> ReadAlertsAsync(KafkaOptions kafka, int partitions, int expected, TimeSpan timeout)
    {
        var alerts = new List<Alert>();
        var config = kafka.CreateConsumerConfig("alerts-reader-" + Guid.NewGuid().ToString("N"));
        config.EnablePartitionEof = true;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(Topics.Alerts, p, Offset.Beginning)));
        var atEnd = new HashSet<int>();
        await Poll.UntilAsync(() =>
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(50));
            if (result is { IsPartitionEOF: true })
            {
                atEnd.Add(result.Partition.Value);
            }
            else if (result?.Message?.Value is { } value)
            {
                atEnd.Remove(result.Partition.Value);
                alerts.Add(Alert.Parser.ParseFrom(value));
            }

            return alerts.Count >= expected && atEnd.Count == partitions;
        }, $"{expected} alerts on {Topics.Alerts}", timeout);
        consumer.Close();
        return alerts;
    }
}
