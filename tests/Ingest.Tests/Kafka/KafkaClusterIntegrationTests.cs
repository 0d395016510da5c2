using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Xunit.Abstractions;
using static FraudShield.Ingest.Tests.Kafka.KafkaTestClients;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary>Real clients (Confluent.Kafka, kcat) against the embedded 3-broker cluster.</summary>
public sealed class KafkaClusterIntegrationTests(EmbeddedKafkaFixture fixture, ITestOutputHelper output)
    : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public void ProduceConsume_TenThousandMessagesThroughGroup_AllArrive()
    {
        const int count = 10_000;
        string topic = EmbeddedKafkaFixture.NewTopic("roundtrip");
        fixture.Cluster.CreateTopic(topic, partitions: 8, replicationFactor: 3);

        var produce = Stopwatch.StartNew();
        ProduceAndFlush(fixture.Options, topic,
            Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"party-{i % 500}", (string?)$"event-{i}")), Timeout);
        produce.Stop();

        var seen = new HashSet<string>(StringComparer.Ordinal);
        using IConsumer<string, string> consumer =
            new ConsumerBuilder<string, string>(fixture.Options.CreateConsumerConfig($"g-{topic}")).Build();
        consumer.Subscribe(topic);
        var consume = Stopwatch.StartNew();
        TimeSpan firstRecord = TimeSpan.Zero;
        ConsumeUntil(consumer, r =>
        {
            if (seen.Count == 0)
            {
                firstRecord = consume.Elapsed;
            }

            return seen.Add(r.Message.Value) && seen.Count == count;
        }, Timeout, () => $"{seen.Count}/{count}");
        consume.Stop();
        consumer.Close();

        Assert.Equal(count, seen.Count);
        output.WriteLine($"produced {count} in {produce.ElapsedMilliseconds} ms ({count / produce.Elapsed.TotalSeconds:F0}/s); " +
            $"group join + first record {firstRecord.TotalMilliseconds:F0} ms, then {count} consumed in " +
            $"{(consume.Elapsed - firstRecord).TotalMilliseconds:F0} ms ({count / (consume.Elapsed - firstRecord).TotalSeconds:F0}/s)");
    }

    [Fact]
    public async Task KcatList_EmbeddedCluster_ShowsBrokersAndTopics()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("kcat.list");
        fixture.Cluster.CreateTopic(topic, partitions: 3);

        (int exit, string stdout, string stderr) = await RunKcatAsync($"-b {fixture.Cluster.BootstrapServers} -L", null, Timeout);

        Assert.True(exit == 0, stderr);
        Assert.Contains("3 brokers:", stdout, StringComparison.Ordinal);
        Assert.Contains($"topic \"{topic}\" with 3 partitions", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KcatProduce_ConfluentConsumer_ReadsMessage()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("kcat.produce");
        fixture.Cluster.CreateTopic(topic, partitions: 1);

        (int exit, _, string stderr) = await RunKcatAsync(
            $"-b {fixture.Cluster.BootstrapServers} -P -t {topic} -K: -X acks=all", "caller-1:hello from kcat\n", Timeout);
        Assert.True(exit == 0, stderr);

        using IConsumer<string, string> consumer =
            new ConsumerBuilder<string, string>(fixture.Options.CreateConsumerConfig($"g-{topic}")).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        ConsumeResult<string, string>? received = null;
        ConsumeUntil(consumer, r => (received = r) is not null, Timeout);
        Assert.Equal("caller-1", received!.Message.Key);
        Assert.Equal("hello from kcat", received.Message.Value);
        consumer.Close();
    }

    [Fact]
    public async Task Produce_BrokerDownThenUp_EveryMessageArrivesOnce()
    {
        const int perPhase = 1_000;
        string topic = EmbeddedKafkaFixture.NewTopic("broker.down");
        fixture.Cluster.CreateTopic(topic, partitions: 3, replicationFactor: 3);
        for (int p = 0; p < 3; p++)
        {
            fixture.Cluster.SetPartitionLeader(topic, p, brokerId: p + 1);
        }

        using IProducer<string, string> producer = Producer(fixture.Options);
        var delivered = new ConcurrentDictionary<int, int>();
        int failed = 0;
        void ProduceRange(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                // Explicit partitions: a third of the messages go to the partition led by broker 2.
                producer.Produce(new TopicPartition(topic, i % 3), new Message<string, string> { Key = $"k{i}", Value = $"m{i}" }, r =>
                {
                    if (r.Error.IsError)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    else
                    {
                        delivered.AddOrUpdate(r.Partition.Value, 1, (_, n) => n + 1);
                    }
                });
            }
        }

        ProduceRange(0, perPhase);
        Assert.Equal(0, producer.Flush(Timeout));

        fixture.Cluster.SetBrokerDown(2);
        try
        {
            ProduceRange(perPhase, 2 * perPhase);
            // The partitions on brokers 1 and 3 complete while partition 1 (broker 2) is stuck behind the outage.
            int expectedPerPartition = 2 * perPhase / 3;
            await WaitForAsync(
                () => delivered.GetValueOrDefault(0) >= expectedPerPartition && delivered.GetValueOrDefault(2) >= expectedPerPartition - 1,
                Timeout, "deliveries to the live brokers");
            Assert.True(delivered.GetValueOrDefault(1) < expectedPerPartition - 1, "partition 1 should wait for broker 2");
        }
        finally
        {
            fixture.Cluster.SetBrokerUp(2);
        }

        ProduceRange(2 * perPhase, 3 * perPhase);
        Assert.Equal(0, producer.Flush(Timeout));
        Assert.Equal(0, failed);

        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using IConsumer<string, string> consumer =
            new ConsumerBuilder<string, string>(fixture.Options.CreateConsumerConfig($"g-{topic}")).Build();
        consumer.Subscribe(topic);
        int total = 0;
        ConsumeUntil(consumer, r =>
        {
            seen.AddOrUpdate(r.Message.Value, 1, (_, n) => n + 1);
            return ++total >= 3 * perPhase && seen.Count == 3 * perPhase;
        }, Timeout, () => $"{seen.Count} distinct of {3 * perPhase}, {total} total");
        consumer.Close();

        Assert.Equal(3 * perPhase, seen.Count);
        Assert.All(seen, kv => Assert.Equal(1, kv.Value));
    }

    [Fact]
    public void Consume_PartitionLeaderMoved_ConsumptionContinues()
    {
        const int perPhase = 500;
        string topic = EmbeddedKafkaFixture.NewTopic("leader.move");
        fixture.Cluster.CreateTopic(topic, partitions: 2, replicationFactor: 3);
        fixture.Cluster.SetPartitionLeader(topic, 0, 1);
        fixture.Cluster.SetPartitionLeader(topic, 1, 1);

        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, perPhase).Select(i => KeyValuePair.Create($"k{i}", (string?)$"a{i}")), Timeout);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using IConsumer<string, string> consumer =
            new ConsumerBuilder<string, string>(fixture.Options.CreateConsumerConfig($"g-{topic}")).Build();
        consumer.Subscribe(topic);
        ConsumeUntil(consumer, r => seen.Add(r.Message.Value) && seen.Count == perPhase, Timeout, () => $"{seen.Count}/{perPhase}");

        fixture.Cluster.SetPartitionLeader(topic, 0, 2);
        fixture.Cluster.SetPartitionLeader(topic, 1, 3);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, perPhase).Select(i => KeyValuePair.Create($"k{i}", (string?)$"b{i}")), Timeout);
        ConsumeUntil(consumer, r => seen.Add(r.Message.Value) && seen.Count == 2 * perPhase, Timeout, () => $"{seen.Count}/{2 * perPhase}");
        consumer.Close();

        Assert.Equal(2 * perPhase, seen.Count);
    }
}
