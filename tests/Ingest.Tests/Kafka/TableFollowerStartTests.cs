using System.Collections.Concurrent;
using FraudShield.Ingest.Kafka;
using static FraudShield.Ingest.Tests.Kafka.KafkaTestClients;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary>A table follower started at saved offsets, and its between-records callback (what table snapshots use).</summary>
public sealed class TableFollowerStartTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private string NewTable(int partitions)
    {
        string topic = EmbeddedKafkaFixture.NewTopic("table-start");
        fixture.Cluster.CreateTopic(topic, partitions);
        return topic;
    }

    [Fact]
    public void QueryWatermarks_FilledTopic_LowAndHighPerPartition()
    {
        string topic = NewTable(partitions: 3);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 30).Select(i => KeyValuePair.Create($"k{i}", (string?)"v")), Timeout);

        var watermarks = TableFollower.QueryWatermarks(fixture.Options, topic, Timeout);

        Assert.Equal([0, 1, 2], watermarks.Select(w => w.Partition));
        Assert.All(watermarks, w => Assert.Equal(0, w.Low));
        Assert.Equal(30, watermarks.Sum(w => w.High));
    }

    [Fact]
    public async Task Start_AtSavedOffsets_AppliesOnlyLaterRecordsAndIsCaughtUp()
    {
        string topic = NewTable(partitions: 2);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 40).Select(i => KeyValuePair.Create($"old-{i}", (string?)"v")), Timeout);
        var saved = TableFollower.QueryWatermarks(fixture.Options, topic, Timeout).Select(w => w.High).ToArray();
        ProduceAndFlush(fixture.Options, topic, [KeyValuePair.Create("new-1", (string?)"v"), KeyValuePair.Create("new-2", (string?)null)], Timeout);

        var seen = new ConcurrentQueue<string>();
        using var follower = TableFollower.Start(fixture.Options, topic, (key, _, _, _) => seen.Enqueue(Utf8(key)), start: new TableFollowerStart { Offsets = saved });

        Assert.InRange(follower.GetNextOffset(0), saved[0], saved[0] + 2);
        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
        Assert.Equal(["new-1", "new-2"], seen.Order(StringComparer.Ordinal));
        Assert.Equal(2, follower.RecordsApplied);
    }

    [Fact]
    public void Start_OffsetsForOtherPartitionCount_Throws()
    {
        string topic = NewTable(partitions: 2);

        Assert.Throws<ArgumentException>(() => TableFollower.Start(fixture.Options, topic, (_, _, _, _) => { }, start: new TableFollowerStart { Offsets = [0, 0, 0] }));
    }

    [Fact]
    public async Task BetweenRecords_OnThreadWithAppliedOffsets_PeriodicWhenMovedAndOnStop()
    {
        string topic = NewTable(partitions: 2);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 20).Select(i => KeyValuePair.Create($"k{i}", (string?)"v")), Timeout);
        var applied = 0;
        var calls = new ConcurrentQueue<(long[] Offsets, int Applied, bool OnFollowerThread)>();
        var follower = TableFollower.Start(fixture.Options, topic, (_, _, _, _) => applied++, start: new TableFollowerStart
        {
            Interval = TimeSpan.FromMilliseconds(20),
            BetweenRecords = offsets => calls.Enqueue((offsets.ToArray(), applied, Thread.CurrentThread.Name == $"table:{topic}")),
        });
        try
        {
            await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
            long[] high = [follower.GetNextOffset(0), follower.GetNextOffset(1)];
            await WaitForAsync(() => calls.Any(c => c.Offsets.SequenceEqual(high)), Timeout, "a call at the high watermarks");

            // Each call saw exactly the records applied so far: the offsets and the handler agree.
            Assert.All(calls, c => Assert.Equal(c.Offsets.Sum(), c.Applied));
            Assert.All(calls, c => Assert.True(c.OnFollowerThread));

            // Once caught up nothing moves, so one new record makes exactly one more call.
            long before = follower.BetweenRecordsCalls;
            ProduceAndFlush(fixture.Options, topic, [KeyValuePair.Create("late", (string?)"v")], Timeout);
            await WaitForAsync(() => follower.BetweenRecordsCalls == before + 1, Timeout, "a call after the new record");
            Assert.Equal(21, calls.Last().Offsets.Sum());
            Assert.Equal(before + 1, calls.Count);
        }
        finally
        {
            follower.Dispose();
        }

        // A clean stop with nothing new since the last call makes none.
        Assert.Equal(calls.Count, follower.BetweenRecordsCalls);
    }

    [Fact]
    public async Task BetweenRecords_OnStopAfterNewRecords_CalledOnceMore()
    {
        string topic = NewTable(partitions: 1);
        var calls = new ConcurrentQueue<long>();
        var follower = TableFollower.Start(fixture.Options, topic, (_, _, _, _) => { }, start: new TableFollowerStart
        {
            Interval = TimeSpan.FromHours(1),
            BetweenRecords = offsets => calls.Enqueue(offsets[0]),
        });
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 5).Select(i => KeyValuePair.Create($"k{i}", (string?)"v")), Timeout);
        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
        Assert.Empty(calls);

        follower.Dispose();

        Assert.Equal([5L], calls);
    }

    [Fact]
    public async Task BetweenRecords_Throws_FollowerGoesOnAndRetries()
    {
        string topic = NewTable(partitions: 1);
        var attempts = 0;
        using var follower = TableFollower.Start(fixture.Options, topic, (_, _, _, _) => { }, start: new TableFollowerStart
        {
            Interval = TimeSpan.FromMilliseconds(10),
            BetweenRecords = _ =>
            {
                if (Interlocked.Increment(ref attempts) == 1)
                {
                    throw new IOException("disk full");
                }
            },
        });
        ProduceAndFlush(fixture.Options, topic, [KeyValuePair.Create("k", (string?)"v")], Timeout);

        await WaitForAsync(() => follower.BetweenRecordsCalls == 1, Timeout, "a successful retry");
        Assert.Equal(2, Volatile.Read(ref attempts));
        Assert.True(follower.IsRunning);
    }
}
