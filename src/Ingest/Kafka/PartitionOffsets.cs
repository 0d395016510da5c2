using System.Diagnostics;
using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// The next offset to store per input partition of a consume loop that stores offsets itself
/// (<c>enable.auto.offset.store=false</c>): the loop notes each record it is done with (<see cref="MarkDone"/>), and the
/// positions are stored in the consumer (<c>rd_kafka_offsets_store</c> through a <see cref="NativeOffsetSlot"/> per
/// partition, allocation-free; committed in the background) once per partition per interval
/// (<see cref="StoreIfDue{TKey, TValue}"/>), before a revoke and on stop (<see cref="Store{TKey, TValue}"/>), instead of
/// once per record: a crash replays at most one interval more input. With an <see cref="OutputLedger"/>, the positions of an interval are stored only once every
/// output produced up to them is acknowledged (until then they wait, staged, while newer positions are noted); with a
/// <see cref="OutputLedger.Draining"/> ledger, once the producer's queue has emptied at an interval.
/// </summary>
/// <remarks>Single-threaded: the thread that polls the consumer (rebalance handlers run on it too).</remarks>
public sealed class PartitionOffsets
{
    /// <summary>The default interval between stores: 200 ms.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    private readonly List<Entry> _entries = [];
    private readonly TimeSpan _interval;
    private long _storedAt = Stopwatch.GetTimestamp();
    private long _stagedMark = -1;
    private int _last;
    private object? _client;
    private nint _rk;

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

    /// <summary>The next offset noted for the partition and not yet stored (staged or not), or -1.</summary>
    public long Pending(string topic, int partition)
    {
        foreach (var entry in _entries)
        {
            if (entry.Partition == partition && entry.Topic == topic)
            {
                return entry.Next >= 0 ? entry.Next : entry.Staged;
            }
        }

        return -1;
    }

    /// <summary>
    /// Stores the pending offsets when the interval has passed since the last store; true when it stored. With
    /// <paramref name="outputs"/>, offsets whose outputs are not all acknowledged yet are staged instead, and stored by
    /// a later call once the outputs produced up to the staging are acknowledged.
    /// </summary>
    /// <param name="consumer">The consumer whose records these are.</param>
    /// <param name="nowTicks">Now, in <see cref="Stopwatch"/> ticks.</param>
    /// <param name="outputs">What the loop produced while judging its records; null when nothing needs waiting for.</param>
    public bool StoreIfDue<TKey, TValue>(IConsumer<TKey, TValue> consumer, long nowTicks, OutputLedger? outputs = null)
    {
        if (_stagedMark >= 0)
        {
            if (outputs is null || outputs.Acknowledged >= _stagedMark)
            {
                StoreStaged(consumer);
                return true;
            }

            return false;
        }

        if (Stopwatch.GetElapsedTime(_storedAt, nowTicks) < _interval)
        {
            return false;
        }

        _storedAt = nowTicks;
        if (outputs is null || outputs.TrySettle())
        {
            Store(consumer);
            return true;
        }

        if (outputs.Drains)
        {
            // Not drained yet: the positions stay pending (newer ones replace them) until an interval's drain succeeds.
            return false;
        }

        // Produced is read after the records were judged, so the mark covers every output of the staged positions.
        _stagedMark = outputs.Produced;
        foreach (var entry in _entries)
        {
            if (entry.Next >= 0)
            {
                entry.Staged = entry.Next;
                entry.Next = -1;
            }
        }

        return false;
    }

    /// <summary>
    /// Stores the next offset of every partition with records done since the last store, staged or not (one
    /// store per partition). A partition no longer assigned is skipped: its new owner resumes from its own
    /// position. With an <see cref="OutputLedger"/>, call <see cref="StoreAcknowledged{TKey, TValue}"/> instead.
    /// </summary>
    /// <returns>The number of partitions stored.</returns>
    public int Store<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        _stagedMark = -1;
        var stored = 0;
        foreach (var entry in _entries)
        {
            var next = entry.Next >= 0 ? entry.Next : entry.Staged;
            entry.Next = -1;
            entry.Staged = -1;
            if (next >= 0 && TryStore(consumer, entry, next))
            {
                stored++;
            }
        }

        return stored;
    }

    /// <summary>
    /// Before a revoke and on stop: stores every pending offset (<see cref="Store{TKey, TValue}"/>) once the outputs
    /// produced so far are acknowledged (<see cref="OutputLedger.Flush"/>, up to <see cref="OutputLedger.FlushTimeout"/>);
    /// when they are not, stores nothing, so the offsets stay where they were and the next owner judges more again.
    /// </summary>
    /// <param name="consumer">The consumer whose records these are.</param>
    /// <param name="outputs">What the loop produced while judging its records; null when nothing needs waiting for.</param>
    /// <returns>The number of partitions stored.</returns>
    public int StoreAcknowledged<TKey, TValue>(IConsumer<TKey, TValue> consumer, OutputLedger? outputs) =>
        outputs is null || outputs.Flush(OutputLedger.FlushTimeout) ? Store(consumer) : 0;

    /// <summary>Drops what is pending for a partition, staged or not (lost, or revoked after its offsets were stored).</summary>
    public void Forget(string topic, int partition)
    {
        foreach (var entry in _entries)
        {
            if (entry.Partition == partition && entry.Topic == topic)
            {
                entry.Next = -1;
                entry.Staged = -1;
            }
        }
    }

    private void StoreStaged<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        _stagedMark = -1;
        foreach (var entry in _entries)
        {
            if (entry.Staged >= 0)
            {
                TryStore(consumer, entry, entry.Staged);
                entry.Staged = -1;
            }
        }
    }

    // Stored in the consumer's librdkafka instance through the partition's own slot: nothing allocated per store.
    // False when the partition was revoked meanwhile.
    private bool TryStore<TKey, TValue>(IConsumer<TKey, TValue> consumer, Entry entry, long next)
    {
        if (!ReferenceEquals(consumer, _client))
        {
            _rk = NativePoller.HandleOf(consumer).DangerousGetHandle();
            _client = consumer;
        }

        entry.Slot ??= new NativeOffsetSlot(entry.Topic, entry.Partition);
        return entry.Slot.TryStore(_rk, next);
    }

    private sealed class Entry(string topic, int partition)
    {
        public string Topic { get; } = topic;

        public int Partition { get; } = partition;

        // Done up to here, not yet stored.
        public long Next { get; set; } = -1;

        // Done up to here, waiting for the outputs produced up to the staging to be acknowledged.
        public long Staged { get; set; } = -1;

        // Where this partition's offsets are stored from (made at its first store).
        public NativeOffsetSlot? Slot { get; set; }
    }
}
