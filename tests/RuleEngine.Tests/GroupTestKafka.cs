using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
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

    /// <summary>The end offsets (high watermarks) of <paramref name="topics"/> summed: how many messages they hold.</summary>
    public static long EndOffsetsTotal(KafkaOptions kafka, IEnumerable<string> topics, int partitions, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(kafka.CreateConsumerConfig("end-offsets-" + Guid.NewGuid().ToString("N"))).Build();
        return topics.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartition(t, p)))
            .Sum(tp => consumer.QueryWatermarkOffsets(tp, timeout).High.Value);
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

/// <summary>
/// What the engine-group tests share: an embedded cluster with every topic at <see cref="Partitions"/> partitions, a
/// fresh engine group id, short-session client settings (<see cref="GroupTestKafka.ShortSession"/>), one producer and a
/// data folder for each engine's small FASTER stores.
/// </summary>
internal sealed class EngineGroupCluster : IDisposable
{
    private readonly EmbeddedKafkaCluster _cluster;
    private readonly TempDirectory _data;

    public EngineGroupCluster(int partitions, string name)
    {
        Partitions = partitions;
        _cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        _cluster.CreateTopics(Topics.All, partitions);
        Kafka = GroupTestKafka.ShortSession(_cluster.BootstrapServers);
        Group = "engine-" + Guid.NewGuid().ToString("N");
        _data = new TempDirectory("fraudshield-" + name);
        Producer = new ProducerBuilder<byte[], byte[]>(KafkaOptions.For(_cluster.BootstrapServers).CreateProducerConfig()).Build();
    }

    public int Partitions { get; }

    public KafkaOptions Kafka { get; }

    public string Group { get; }

    public IProducer<byte[], byte[]> Producer { get; }

    public string DataPath => _data.Path;

    /// <summary>Small stores for one engine, in a folder of their own.</summary>
    public EngineStores NewStores(string name) =>
        new(new FasterStoreOptions { Directory = Path.Combine(_data.Path, name), IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18 });

    /// <summary>Produces <paramref name="json"/> keyed by <paramref name="key"/>; returns the partition it went to.</summary>
    public async Task<int> ProduceAsync(string topic, string key, string json, TimeSpan timeout)
    {
        var result = await Producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = System.Text.Encoding.UTF8.GetBytes(json) }).WithTimeout(timeout);
        return result.Partition.Value;
    }

    public void Dispose()
    {
        Producer.Dispose();
        _cluster.Dispose();
        _data.Dispose();
    }
}
