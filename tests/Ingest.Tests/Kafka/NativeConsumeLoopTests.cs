using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using static FraudShield.Ingest.Tests.Kafka.KafkaTestClients;

namespace FraudShield.Ingest.Tests.Kafka;

public sealed class NativeConsumeLoopTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Run_UntilStopped_HandsEveryRecordOnceInPartitionOrder_CommitsWhereItStopped()
    {
        const int count = 60;
        var topic = EmbeddedKafkaFixture.NewTopic("loop");
        fixture.Cluster.CreateTopic(topic, partitions: 2);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"k-{i}", (string?)$"v-{i}")), Timeout);
        var group = "loop-" + Guid.NewGuid().ToString("N");
        var handler = new RecordingHandler();
        using var stop = new CancellationTokenSource();

        var loop = Task.Factory.StartNew(() => NativeConsumeLoop.Run(fixture.Options.CreateConsumerConfig(group), [topic], handler, stop.Token, pollWait: TimeSpan.FromMilliseconds(20)), TaskCreationOptions.LongRunning);
        await WaitForAsync(() => handler.Count >= count, Timeout, $"{count} records handled");
        await stop.CancelAsync();
        await loop.WaitAsync(Timeout);

        var records = handler.Records;
        Assert.Equal(count, records.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"v-{i}").Order(StringComparer.Ordinal), records.Select(r => r.Value).Order(StringComparer.Ordinal));
        Assert.True(handler.Passes > 0, "OnPass should run between batches");
        foreach (var partition in records.GroupBy(r => r.Partition))
        {
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
        }

        // Close committed the stored positions: the next offset of each partition.
        var committed = Committed(group, topic, partitions: 2);
        foreach (var partition in records.GroupBy(r => r.Partition))
        {
            Assert.Equal(partition.Count(), committed[partition.Key]);
        }
    }

    [Fact]
    public async Task Run_HandlerThrowsAtARecord_StoresOnlyTheRecordsItReturnedFrom()
    {
        var topic = EmbeddedKafkaFixture.NewTopic("loop");
        fixture.Cluster.CreateTopic(topic, partitions: 1);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 10).Select(i => KeyValuePair.Create("k", (string?)$"v-{i}")), Timeout);
        var group = "loop-" + Guid.NewGuid().ToString("N");
        var handler = new RecordingHandler { Poison = "v-6" };

        var loop = Task.Factory.StartNew(() => NativeConsumeLoop.Run(fixture.Options.CreateConsumerConfig(group), [topic], handler, CancellationToken.None, pollWait: TimeSpan.FromMilliseconds(20)), TaskCreationOptions.LongRunning);

        await Assert.ThrowsAsync<InvalidOperationException>(() => loop.WaitAsync(Timeout));
        Assert.Equal(6, handler.Count);
        Assert.Equal(6, Committed(group, topic, partitions: 1)[0]);
    }

    private Dictionary<int, long> Committed(string group, string topic, int partitions)
    {
        using var reader = new ConsumerBuilder<Ignore, Ignore>(fixture.Options.CreateConsumerConfig(group)).Build();
        return reader.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), Timeout)
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    private sealed class RecordingHandler : INativeConsumeHandler
    {
        private readonly List<(int Partition, long Offset, string Value)> _records = [];
        private int _passes;

        public string? Poison { get; init; }

        public int Count
        {
            get
            {
                lock (_records)
                {
                    return _records.Count;
                }
            }
        }

        public int Passes => Volatile.Read(ref _passes);

        public List<(int Partition, long Offset, string Value)> Records
        {
            get
            {
                lock (_records)
                {
                    return [.. _records];
                }
            }
        }

        public IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions) => partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset));

        public void OnRevoked(List<TopicPartitionOffset> partitions, bool lost)
        {
        }

        public void OnPass() => Interlocked.Increment(ref _passes);

        public void OnRecord(in NativeMessage message)
        {
            var value = Utf8(message.Value);
            if (value == Poison)
            {
                throw new InvalidOperationException("poison record");
            }

            lock (_records)
            {
                _records.Add((message.Partition, message.Offset, value));
            }
        }

        public void OnConsumerError(Error consumerError)
        {
        }

        public void OnConsumeFailed(ErrorCode code, string reason)
        {
        }
    }
}
