using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary>
/// <see cref="ReplayBounds"/> against an embedded cluster: one partition of ten records, five stamped three hours before
/// the other five, and a group whose committed offset the test sets.
/// </summary>
public sealed class ReplayBoundsTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly DateTimeOffset Old = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Recent = Old.AddHours(3);

    [Fact]
    public void Assign_FromTheBeginningWithoutWindow_ReplaysUpToTheCommittedOffset()
    {
        var (topic, consumer) = Partition(committed: 8);
        using (consumer)
        {
            var bounds = new ReplayBounds([topic]);
            List<TopicPartitionOffset> starts = [new(topic, 0, Offset.Beginning)];

            Assert.Null(bounds.Assign(consumer, starts));

            Assert.Equal(Offset.Beginning, starts[0].Offset);
            Assert.Equal(8, bounds.ReplayUntil(topic, 0));
            Assert.True(bounds.IsReplay(topic, 0, 0));
            Assert.True(bounds.IsReplay(topic, 0, 7));
            Assert.False(bounds.IsReplay(topic, 0, 8));
            Assert.False(bounds.IsReplay("another-topic", 0, 0));
        }
    }

    // The embedded cluster answers every offset-for-time lookup with End, so the window's arithmetic is tested on a
    // consumer that answers the two lookups the way a broker does (records 0-4 stamped `Old`, 5-9 `Recent`).
    [Fact]
    public void Assign_WindowShorterThanTheHistory_StartsAtTheWindowsFirstRecord()
    {
        using var consumer = LookupConsumer.Create(committed: 8);
        var bounds = new ReplayBounds(["t"], rebuildWindow: TimeSpan.FromHours(1), time: new FakeTimeProvider(Recent.AddMinutes(30)));
        List<TopicPartitionOffset> starts = [new("t", 0, Offset.Beginning)];

        Assert.Null(bounds.Assign(consumer, starts));

        Assert.Equal(5, starts[0].Offset.Value);
        Assert.Equal(8, bounds.ReplayUntil("t", 0));
    }

    [Fact]
    public void Assign_CommittedBeforeTheWindow_StartsAtTheCommittedOffsetNeverSkippingUnjudgedRecords()
    {
        using var consumer = LookupConsumer.Create(committed: 3);
        var bounds = new ReplayBounds(["t"], rebuildWindow: TimeSpan.FromHours(1), time: new FakeTimeProvider(Recent.AddMinutes(30)));
        List<TopicPartitionOffset> starts = [new("t", 0, Offset.Beginning)];

        Assert.Null(bounds.Assign(consumer, starts));

        Assert.Equal(3, starts[0].Offset.Value);
        Assert.Equal(-1, bounds.ReplayUntil("t", 0));
        Assert.False(bounds.IsReplay("t", 0, 3));
    }

    [Fact]
    public void Assign_EveryRecordOlderThanTheWindow_StartsAtTheCommittedOffset()
    {
        using var consumer = LookupConsumer.Create(committed: 8);
        var bounds = new ReplayBounds(["t"], rebuildWindow: TimeSpan.FromHours(1), time: new FakeTimeProvider(Recent.AddHours(5)));
        List<TopicPartitionOffset> starts = [new("t", 0, Offset.Beginning)];

        Assert.Null(bounds.Assign(consumer, starts));

        Assert.Equal(8, starts[0].Offset.Value);
        Assert.Equal(-1, bounds.ReplayUntil("t", 0));
    }

    [Fact]
    public void Assign_CheckpointStartInsideTheWindow_KeptAndReplayedFromThere()
    {
        using var consumer = LookupConsumer.Create(committed: 8);
        var bounds = new ReplayBounds(["t"], rebuildWindow: TimeSpan.FromHours(1), time: new FakeTimeProvider(Recent.AddMinutes(30)));
        List<TopicPartitionOffset> starts = [new("t", 0, 6)];

        Assert.Null(bounds.Assign(consumer, starts));

        Assert.Equal(6, starts[0].Offset.Value);
        Assert.Equal(8, bounds.ReplayUntil("t", 0));
    }

    [Fact]
    public void Assign_LookupFails_ErrorReturnedAndNothingReplayedQuietly()
    {
        using var consumer = LookupConsumer.Create(committed: 8, fail: true);
        var bounds = new ReplayBounds(["t"]);
        List<TopicPartitionOffset> starts = [new("t", 0, Offset.Beginning)];

        Assert.Contains("coordinator", bounds.Assign(consumer, starts), StringComparison.Ordinal);

        Assert.Equal(Offset.Beginning, starts[0].Offset);
        Assert.False(bounds.IsReplay("t", 0, 0));
    }

    [Theory]
    [InlineData(9L)]
    [InlineData(8L)]
    public void Assign_StartAtOrAfterTheCommittedOffset_NothingReplayed(long start)
    {
        var (topic, consumer) = Partition(committed: 8);
        using (consumer)
        {
            var bounds = new ReplayBounds([topic]);
            List<TopicPartitionOffset> starts = [new(topic, 0, start)];

            Assert.Null(bounds.Assign(consumer, starts));

            Assert.Equal(start, starts[0].Offset.Value);
            Assert.Equal(-1, bounds.ReplayUntil(topic, 0));
        }
    }

    [Fact]
    public void Assign_AgainAtTheGroupsPosition_ClearsTheEarlierBound()
    {
        var (topic, consumer) = Partition(committed: 8);
        using (consumer)
        {
            var bounds = new ReplayBounds([topic]);
            List<TopicPartitionOffset> starts = [new(topic, 0, Offset.Beginning)];
            Assert.Null(bounds.Assign(consumer, starts));

            // Assigned again, this time at the group's position: the earlier bound is cleared.
            List<TopicPartitionOffset> again = [new(topic, 0, Offset.Unset)];
            Assert.Null(bounds.Assign(consumer, again));

            Assert.Equal(-1, bounds.ReplayUntil(topic, 0));
            Assert.Equal(Offset.Unset, again[0].Offset);
        }
    }

    [Fact]
    public void Assign_NothingCommitted_NothingReplayed()
    {
        var (topic, consumer) = Partition(committed: null);
        using (consumer)
        {
            var bounds = new ReplayBounds([topic]);
            List<TopicPartitionOffset> starts = [new(topic, 0, Offset.Beginning)];

            Assert.Null(bounds.Assign(consumer, starts));

            Assert.Equal(-1, bounds.ReplayUntil(topic, 0));
            Assert.False(bounds.IsReplay(topic, 0, 0));
        }
    }

    // A fresh one-partition topic with offsets 0-4 stamped `Old` and 5-9 `Recent`, and a consumer of a fresh group
    // whose committed offset is `committed` (none when null); the consumer is not subscribed.
    private (string Topic, IConsumer<Ignore, Ignore> Consumer) Partition(long? committed)
    {
        var topic = EmbeddedKafkaFixture.NewTopic("replay");
        fixture.Cluster.CreateTopic(topic, 1);
        using (var producer = new ProducerBuilder<byte[], byte[]>(fixture.Options.CreateProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                var stamp = (i < 5 ? Old : Recent).AddSeconds(i);
                producer.Produce(topic, new Message<byte[], byte[]> { Value = [(byte)i], Timestamp = new Timestamp(stamp) });
            }

            Assert.Equal(0, producer.Flush(Timeout));
        }

        var consumer = new ConsumerBuilder<Ignore, Ignore>(fixture.Options.CreateConsumerConfig("replay-" + Guid.NewGuid().ToString("N"))).Build();
        if (committed is { } offset)
        {
            consumer.Commit([new TopicPartitionOffset(topic, 0, offset)]);
        }

        return (topic, consumer);
    }

    /// <summary>
    /// A consumer that answers only <c>Committed</c> (the given offset) and <c>OffsetsForTimes</c> (as a broker would for
    /// records 0-4 stamped <c>Old</c>, 5-9 <c>Recent</c>, one second apart); anything else throws. Unit-test fake.
    /// </summary>
    public class LookupConsumer : System.Reflection.DispatchProxy
    {
        private long _committed;
        private bool _fail;

        public static IConsumer<Ignore, Ignore> Create(long committed, bool fail = false)
        {
            var consumer = Create<IConsumer<Ignore, Ignore>, LookupConsumer>();
            var proxy = (LookupConsumer)(object)consumer;
            proxy._committed = committed;
            proxy._fail = fail;
            return consumer;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (_fail && targetMethod?.Name is "Committed" or "OffsetsForTimes")
            {
                throw new KafkaException(new Error(ErrorCode.Local_TimedOut, "no coordinator"));
            }

            return targetMethod?.Name switch
            {
                "Committed" => ((IEnumerable<TopicPartition>)args![0]!).Select(p => new TopicPartitionOffset(p, _committed)).ToList(),
                "OffsetsForTimes" => ((IEnumerable<TopicPartitionTimestamp>)args![0]!).Select(p => new TopicPartitionOffset(p.TopicPartition, OffsetAt(p.Timestamp))).ToList(),
                "Dispose" => null,
                _ => throw new NotSupportedException(targetMethod?.Name),
            };
        }

        // The first record stamped at or after the time; End when every record is older.
        private static Offset OffsetAt(Timestamp time)
        {
            for (var i = 0; i < 10; i++)
            {
                if ((i < 5 ? Old : Recent).AddSeconds(i).ToUnixTimeMilliseconds() >= time.UnixTimestampMs)
                {
                    return new Offset(i);
                }
            }

            return Offset.End;
        }
    }
}
