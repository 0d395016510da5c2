using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Where a stateful consume loop's newly assigned partitions stop replaying. A partition that starts before its
/// group's committed offset - from a checkpoint, from where this process left it before another member judged it, or
/// from the beginning to build state the process never had - rebuilds its state from the records before that offset
/// without producing anything for them: the committed offset says their outputs are already in the cluster
/// (<see cref="OutputLedger"/>), produced by whichever member judged them. From the committed offset on, records are
/// judged as usual. With a rebuild window, a partition whose start is older than the window starts at the first record
/// inside it instead (never past the committed offset: records nobody judged are always judged), which bounds the time
/// a moved partition's new alerts wait behind its replay, at the price of the state older than the window.
/// </summary>
/// <remarks>
/// Single-threaded: the thread that polls the consumer (rebalance handlers run on it). When the committed offsets
/// cannot be read, nothing is replayed quietly (outputs may then be produced twice, with the same ids where the state
/// is the same; never lost).
/// </remarks>
public sealed class ReplayBounds
{
    private readonly string[] _topics;
    private readonly long[][] _until;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan? _rebuildWindow;
    private readonly TimeProvider _time;

    /// <summary>Tracks the partitions of <paramref name="topics"/>.</summary>
    /// <param name="topics">The loop's input topics.</param>
    /// <param name="rebuildWindow">How far back before now a replay starts at the earliest; null: from wherever the start is.</param>
    /// <param name="timeout">Bounds the committed-offset and offset-for-time lookups (default 10 s).</param>
    /// <param name="time">The clock the window is measured on (tests).</param>
    public ReplayBounds(IReadOnlyList<string> topics, TimeSpan? rebuildWindow = null, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _topics = [.. topics];
        _until = new long[_topics.Length][];
        for (var t = 0; t < _until.Length; t++)
        {
            _until[t] = [];
        }

        _timeout = timeout ?? TimeSpan.FromSeconds(10);
        _rebuildWindow = rebuildWindow;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Notes where newly assigned partitions start and looks up the group's committed offset of those that start at an
    /// explicit position (<see cref="Offset.Unset"/> starts at the committed offset: nothing to replay); with a rebuild
    /// window, moves the starts older than it up to the window's first record (at most to the committed offset).
    /// </summary>
    /// <param name="consumer">The group member the partitions were assigned to.</param>
    /// <param name="starts">Where each assigned partition starts; entries may be replaced by a later start.</param>
    /// <returns>The error when the offsets could not be read (nothing is replayed quietly then); else null.</returns>
    public string? Assign<TKey, TValue>(IConsumer<TKey, TValue> consumer, IList<TopicPartitionOffset> starts)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(starts);
        var explicitStarts = new List<TopicPartition>();
        foreach (var start in starts)
        {
            Set(start.Topic, start.Partition.Value, -1);
            if (start.Offset != Offset.Unset)
            {
                explicitStarts.Add(start.TopicPartition);
            }
        }

        if (explicitStarts.Count == 0)
        {
            return null;
        }

        List<TopicPartitionOffset> committed;
        List<TopicPartitionOffset>? windowStarts = null;
        try
        {
            committed = consumer.Committed(explicitStarts, _timeout);
            if (_rebuildWindow is { } window)
            {
                var from = new Timestamp(_time.GetUtcNow() - window);
                windowStarts = consumer.OffsetsForTimes(explicitStarts.Select(p => new TopicPartitionTimestamp(p, from)), _timeout);
            }
        }
        catch (KafkaException e)
        {
            return e.Error.Reason;
        }

        foreach (var c in committed)
        {
            if (c.Offset.Value <= 0)
            {
                continue; // nothing committed: nothing was judged before
            }

            var index = IndexOf(starts, c.TopicPartition);
            var start = starts[index].Offset;
            var startValue = start == Offset.Beginning ? 0 : start.Value;
            if (startValue < 0 || startValue >= c.Offset.Value)
            {
                continue;
            }

            // The window's first record (End: every record is older than the window), never past the committed offset.
            if (windowStarts?.Find(w => w.TopicPartition == c.TopicPartition) is { } w && (w.Offset.Value >= 0 || w.Offset == Offset.End))
            {
                var windowStart = w.Offset == Offset.End ? c.Offset.Value : Math.Min(w.Offset.Value, c.Offset.Value);
                if (windowStart > startValue)
                {
                    startValue = windowStart;
                    starts[index] = new TopicPartitionOffset(c.TopicPartition, new Offset(startValue));
                }
            }

            if (startValue < c.Offset.Value)
            {
                Set(c.Topic, c.Partition.Value, c.Offset.Value);
            }
        }

        return null;
    }

    private static int IndexOf(IList<TopicPartitionOffset> starts, TopicPartition partition)
    {
        for (var i = 0; i < starts.Count; i++)
        {
            if (starts[i].TopicPartition == partition)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>True when the record at <paramref name="offset"/> only rebuilds state: it was judged before.</summary>
    public bool IsReplay(string topic, int partition, long offset) => offset < ReplayUntil(topic, partition);

    /// <summary>The committed offset the partition replays quietly up to, or -1 when it does not.</summary>
    public long ReplayUntil(string topic, int partition)
    {
        var t = IndexOf(topic);
        return t >= 0 ? PartitionSlots.Get(_until[t], partition) : -1;
    }

    private void Set(string topic, int partition, long until)
    {
        var t = IndexOf(topic);
        if (t >= 0)
        {
            PartitionSlots.Set(ref _until[t], partition, until);
        }
    }

    private int IndexOf(string topic)
    {
        for (var t = 0; t < _topics.Length; t++)
        {
            if (string.Equals(_topics[t], topic, StringComparison.Ordinal))
            {
                return t;
            }
        }

        return -1;
    }
}
