using System.Diagnostics;
using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// The next offset to store per input partition of a consume loop that stores offsets itself
/// (<c>enable.auto.offset.store=false</c>): the loop notes each record it is done with (<see cref="MarkDone"/>), and the
/// positions are handed to the consumer (<c>StoreOffset</c>, committed in the background) once per partition per
/// interval (<see cref="StoreIfDue{TKey, TValue}"/>), before a revoke and on stop (<see cref="Store{TKey, TValue}"/>),
/// instead of once per record: each <c>StoreOffset</c> allocates in the client, and a crash replays at most one
/// interval more input.
/// </summary>
/// <remarks>Single-threaded: the thread that polls the consumer (rebalance handlers run on it too).</remarks>
public sealed class PartitionOffsets
{
    /// <summary>The default interval between stores: 200 ms.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    private readonly List<Entry> _entries = [];
    private readonly TimeSpan _interval;
    private long _storedAt = Stopwatch.GetTimestamp();
    private int _last;

    /// <summary>Creates the tracker; offsets are stored at most every <paramref name="interval"/> (default 200 ms).</summary>
    public PartitionOffsets(TimeSpan? interval = null) => _interval = interval ?? DefaultInterval;

    /// <summary>Notes that the records of (<paramref name="topic"/>, <paramref name="partition"/>) before <paramref name="next"/> are done.</summary>
    public void MarkDone(string topic, int partition, long next)
    {
        // Consecutive records mostly come from one partition (a fetched batch): look there first.
        if (_last < _entries.Count && _entries[_last] is var hit && hit.Partition == partition && hit.Topic == topic)
        {
            hit.Next = next;
            return;
        }

        for (var i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Partition == partition && _entries[i].Topic == topic)
            {
                _entries[i].Next = next;
                _last = i;
                return;
            }
        }

        _entries.Add(new Entry(topic, partition) { Next = next });
        _last = _entries.Count - 1;
    }

    /// <summary>The next offset noted for the partition and not yet stored, or -1.</summary>
    public long Pending(string topic, int partition)
    {
        foreach (var entry in _entries)
        {
            if (entry.Partition == partition && entry.Topic == topic)
            {
                return entry.Next;
            }
        }

        return -1;
    }

    /// <summary>Stores the pending offsets when the interval has passed since the last store; true when it stored.</summary>
    /// <param name="consumer">The consumer whose records these are.</param>
    /// <param name="nowTicks">Now, in <see cref="Stopwatch"/> ticks.</param>
    public bool StoreIfDue<TKey, TValue>(IConsumer<TKey, TValue> consumer, long nowTicks)
    {
        if (Stopwatch.GetElapsedTime(_storedAt, nowTicks) < _interval)
        {
            return false;
        }

        Store(consumer);
        _storedAt = nowTicks;
        return true;
    }

    /// <summary>
    /// Stores the next offset of every partition with records done since the last store (one <c>StoreOffset</c> per
    /// partition). A partition no longer assigned is skipped: its new owner resumes from its own position.
    /// </summary>
    /// <returns>The number of partitions stored.</returns>
    public int Store<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        var stored = 0;
        foreach (var entry in _entries)
        {
            if (entry.Next < 0)
            {
                continue;
            }

            var next = entry.Next;
            entry.Next = -1;
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(entry.Topic, entry.Partition, next));
                stored++;
            }
            catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_State)
            {
                // The partition was revoked meanwhile.
            }
        }

        return stored;
    }

    /// <summary>Drops what is pending for a partition (lost, or revoked after its offsets were stored).</summary>
    public void Forget(string topic, int partition)
    {
        foreach (var entry in _entries)
        {
            if (entry.Partition == partition && entry.Topic == topic)
            {
                entry.Next = -1;
            }
        }
    }

    private sealed class Entry(string topic, int partition)
    {
        public string Topic { get; } = topic;

        public int Partition { get; } = partition;

        public long Next { get; set; } = -1;
    }
}
