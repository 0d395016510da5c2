using System.Diagnostics;
using System.Text;
using FraudShield.RuleEngine.Engine;

namespace FraudShield.RuleEngine.Tests.Engine;

public sealed class TimestampMergeTests
{
    private static readonly long Now = Stopwatch.GetTimestamp();

    private static void Add(TimestampMerge merge, int source, long offset, long ts, long arrived = 0) =>
        merge.Add(source, offset, ts, "k"u8, false, Encoding.UTF8.GetBytes($"v{offset}"), false, arrived == 0 ? Now : arrived);

    private static List<(int Source, long Offset)> Drain(TimestampMerge merge, long now)
    {
        var taken = new List<(int, long)>();
        while (merge.TryTake(now, out var record))
        {
            taken.Add((record.Source, record.Offset));
            TimestampMerge.Release(ref record);
        }

        return taken;
    }

    [Fact]
    public void TryTake_RecordsArriveOutOfOrder_TakenInTimestampOrder()
    {
        var merge = new TimestampMerge(TimeSpan.FromSeconds(10));
        var calls = merge.SourceOf("fs.calls", 0);
        var txns = merge.SourceOf("fs.txns", 0);
        Add(merge, txns, 0, ts: 2_000);
        Add(merge, calls, 0, ts: 1_000);
        merge.MarkCaughtUp(calls);

        Assert.Equal([(calls, 0L), (txns, 0L)], Drain(merge, Now));
    }

    [Fact]
    public void TryTake_OtherPartitionSilentNotCaughtUp_HoldsUntilMaxIdle()
    {
        var merge = new TimestampMerge(TimeSpan.FromMilliseconds(50));
        var calls = merge.SourceOf("fs.calls", 0);
        var txns = merge.SourceOf("fs.txns", 0);
        _ = calls;
        Add(merge, txns, 7, ts: 2_000);

        Assert.Empty(Drain(merge, Now));
        Assert.Equal([(txns, 7L)], Drain(merge, Now + Stopwatch.Frequency));
    }

    [Fact]
    public void TryTake_OtherPartitionCaughtUp_TakesAtOnce()
    {
        var merge = new TimestampMerge(TimeSpan.FromSeconds(10));
        var calls = merge.SourceOf("fs.calls", 0);
        var txns = merge.SourceOf("fs.txns", 0);
        merge.MarkCaughtUp(calls);
        Add(merge, txns, 3, ts: 2_000);

        Assert.Equal([(txns, 3L)], Drain(merge, Now));
    }

    [Fact]
    public void TryTake_OtherPartitionNumberSilent_DoesNotHold()
    {
        var merge = new TimestampMerge(TimeSpan.FromSeconds(10));
        var calls0 = merge.SourceOf("fs.calls", 0);
        var txns0 = merge.SourceOf("fs.txns", 0);
        _ = merge.SourceOf("fs.calls", 1);
        var txns1 = merge.SourceOf("fs.txns", 1);
        merge.MarkCaughtUp(calls0);
        Add(merge, txns0, 4, ts: 3_000);
        Add(merge, txns1, 9, ts: 1_000);

        // Partition 1 waits for its silent fs.calls; partition 0 goes although its record is younger.
        Assert.Equal([(txns0, 4L)], Drain(merge, Now));
        Assert.Equal([(txns1, 9L)], Drain(merge, Now + (20 * Stopwatch.Frequency)));
    }

    [Fact]
    public void TryTake_SeveralPartitionNumbersTakeable_OldestFirst()
    {
        var merge = new TimestampMerge(TimeSpan.FromSeconds(10));
        var calls0 = merge.SourceOf("fs.calls", 0);
        var calls1 = merge.SourceOf("fs.calls", 1);
        Add(merge, calls0, 1, ts: 5_000);
        Add(merge, calls1, 1, ts: 2_000);
        Add(merge, calls0, 2, ts: 3_000);

        Assert.Equal([(calls1, 1L), (calls0, 1L), (calls0, 2L)], Drain(merge, Now));
    }

    [Fact]
    public void Revoke_DropsBufferedAndStopsWaiting()
    {
        var merge = new TimestampMerge(TimeSpan.FromSeconds(10));
        var calls = merge.SourceOf("fs.calls", 0);
        var txns = merge.SourceOf("fs.txns", 0);
        Add(merge, calls, 1, ts: 5_000);
        Add(merge, txns, 1, ts: 1_000);
        merge.Revoke("fs.txns", 0);

        Assert.Equal(1, merge.Buffered);
        Assert.Equal([(calls, 1L)], Drain(merge, Now));
    }

    [Fact]
    public void Add_KeepsKeyAndValueBytes()
    {
        var merge = new TimestampMerge(TimeSpan.Zero);
        var s = merge.SourceOf("fs.calls", 3);
        merge.Add(s, 9, 1, "key-1"u8, false, "{\"a\":1}"u8, false, Now);

        Assert.True(merge.TryTake(Now, out var record));
        Assert.Equal("key-1", Encoding.UTF8.GetString(record.Key));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(record.Value));
        Assert.Equal(("fs.calls", 3, (EventTopic?)EventTopic.Calls), merge.Describe(record.Source));
        TimestampMerge.Release(ref record);
    }

    [Fact]
    public void SourceOf_InterleavedPartitions_SameIndexEachTime_KindMappedOnce()
    {
        var merge = new TimestampMerge(TimeSpan.Zero);
        var calls3 = merge.SourceOf("fs.calls", 3);
        var txns3 = merge.SourceOf("fs.txns", 3);
        var calls4 = merge.SourceOf("fs.calls", 4);
        var other = merge.SourceOf("fs.other", 3);

        Assert.Equal(4, merge.Sources);
        foreach (var (topic, partition, index) in new[] { ("fs.calls", 3, calls3), ("fs.calls", 3, calls3), ("fs.txns", 3, txns3), ("fs.calls", 4, calls4), ("fs.calls", 3, calls3), ("fs.other", 3, other), ("fs.txns", 3, txns3) })
        {
            Assert.Equal(index, merge.SourceOf(topic, partition));
        }

        Assert.Equal(4, merge.Sources);
        Assert.Equal(EventTopic.Txns, merge.KindOf(txns3));
        Assert.Equal(EventTopic.Calls, merge.KindOf(calls4));
        Assert.Null(merge.KindOf(other));
    }
}

public sealed class TimestampMergeStartTests
{
    [Fact]
    public void TryTake_NewlyAssignedPartitionNotYetHeard_WaitsForStartWaitNotMaxIdle()
    {
        var now = Stopwatch.GetTimestamp();
        var merge = new TimestampMerge(TimeSpan.FromMilliseconds(10), startWait: TimeSpan.FromSeconds(2));
        merge.Assign("fs.calls", 0);
        merge.Assign("fs.txns", 0);
        var txns = merge.SourceOf("fs.txns", 0);
        merge.Add(txns, 0, 2_000, default, true, "{}"u8, false, now);

        Assert.False(merge.TryTake(now + (Stopwatch.Frequency / 2), out _));
        Assert.True(merge.TryTake(now + (3 * Stopwatch.Frequency), out var record));
        TimestampMerge.Release(ref record);
    }

    [Fact]
    public void TryTake_AssignedPartitionReportsCaughtUp_NoWait()
    {
        var now = Stopwatch.GetTimestamp();
        var merge = new TimestampMerge(TimeSpan.FromMilliseconds(10), startWait: TimeSpan.FromSeconds(2));
        merge.Assign("fs.calls", 0);
        merge.Assign("fs.txns", 0);
        merge.MarkCaughtUp(merge.SourceOf("fs.calls", 0));
        merge.Add(merge.SourceOf("fs.txns", 0), 0, 2_000, default, true, "{}"u8, false, now);

        Assert.True(merge.TryTake(now, out var record));
        TimestampMerge.Release(ref record);
    }
}
