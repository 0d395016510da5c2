using System.Buffers;

namespace FraudShield.RuleEngine.Engine;

/// <summary>One input record held by <see cref="TimestampMerge"/>: its position, timestamp and pooled copies of its bytes.</summary>
internal struct BufferedRecord
{
    /// <summary>Input partition index (see <see cref="TimestampMerge"/>).</summary>
    public int Source;

    /// <summary>Kafka offset of the record.</summary>
    public long Offset;

    /// <summary>Kafka timestamp (epoch ms).</summary>
    public long TimestampMs;

    /// <summary>Key length (-1 for null) and value length (-1 for a tombstone).</summary>
    public int KeyLength, ValueLength;

    /// <summary>Pooled buffer holding the key then the value.</summary>
    public byte[] Bytes;

    /// <summary>When the record was buffered (Stopwatch ticks).</summary>
    public long ArrivedTicks;

    /// <summary>The key bytes.</summary>
    public readonly ReadOnlySpan<byte> Key => KeyLength <= 0 ? default : Bytes.AsSpan(0, KeyLength);

    /// <summary>The value bytes.</summary>
    public readonly ReadOnlySpan<byte> Value => ValueLength <= 0 ? default : Bytes.AsSpan(Math.Max(0, KeyLength), ValueLength);
}

/// <summary>
/// Merges the records of several input partitions (fs.calls, fs.txns, fs.signals and fs.rebates are co-partitioned by
/// the protected party) into timestamp order, like Kafka Streams' record selection per task: within one partition number, the next
/// record is the oldest head among that partition of each topic, taken only when each of the others either has a
/// record buffered or is known to be caught up (its end was reached and nothing arrived since), or when the head has
/// waited <c>maxIdle</c>; across partition numbers the oldest takeable head goes first. So a victim's call
/// is judged before the transfer that followed it even when the two arrive from the cluster in the other order, and a
/// replay after a crash judges them in the same order as the first time. Single-threaded; records are copied into
/// pooled buffers, so the merge allocates nothing per record in steady state.
/// </summary>
internal sealed class TimestampMerge
{
    // The merge holds up to a whole drained batch (and what waits for a silent partition) at once, more buffers of
    // one size than the shared pool keeps per thread and core; a pool of its own keeps them all for reuse.
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 1 << 20, maxArraysPerBucket: 4096);

    private readonly TimeSpan _maxIdle;
    private readonly TimeSpan _startWait;
    private readonly List<Source> _sources = [];

    // The source SourceOf found last: consecutive records mostly come from one partition (a fetched batch).
    private int _lastSource;

    // Per partition number, reset by each TryTake: the longest hold of a silent source (TimeSpan ticks) and the
    // source index of the oldest head (-1 when none).
    private long[] _groupHold = [];
    private int[] _groupOldest = [];

    /// <summary>
    /// Creates a merge that holds a record at most <paramref name="maxIdle"/> for a silent partition, and at most
    /// <paramref name="startWait"/> (default 2 s) for a partition just assigned that has not yet said anything (its
    /// first fetch after an assignment or a restart is slow, and a replay must keep the order of the first run).
    /// </summary>
    public TimestampMerge(TimeSpan maxIdle, TimeSpan? startWait = null)
    {
        _maxIdle = maxIdle;
        _startWait = startWait ?? TimeSpan.FromSeconds(2);
    }

    /// <summary>Number of source indexes (see <see cref="SourceOf"/>).</summary>
    public int Sources => _sources.Count;

    /// <summary>Records buffered across all partitions.</summary>
    public int Buffered { get; private set; }

    /// <summary>The index of partition (topic, partition), registering it when new.</summary>
    public int SourceOf(string topic, int partition)
    {
        if (_lastSource < _sources.Count && _sources[_lastSource] is var last && last.Partition == partition && last.Topic == topic)
        {
            last.Assigned = true;
            return _lastSource;
        }

        for (var i = 0; i < _sources.Count; i++)
        {
            if (_sources[i].Partition == partition && _sources[i].Topic == topic)
            {
                _sources[i].Assigned = true;
                _lastSource = i;
                return i;
            }
        }

        _sources.Add(new Source(topic, partition));
        if (partition >= _groupHold.Length)
        {
            _groupHold = new long[partition + 1];
            _groupOldest = new int[partition + 1];
        }

        return _sources.Count - 1;
    }

    /// <summary>The topic, partition and input kind (null for a topic that is not an engine input) of a source index.</summary>
    public (string Topic, int Partition, EventTopic? Kind) Describe(int source) => (_sources[source].Topic, _sources[source].Partition, _sources[source].Kind);

    /// <summary>The input kind of a source index's topic, mapped once when the source was registered; null when none.</summary>
    public EventTopic? KindOf(int source) => _sources[source].Kind;

    /// <summary>Buffers a record (copies its bytes).</summary>
    public void Add(int source, long offset, long timestampMs, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, long nowTicks)
    {
        var bytes = Pool.Rent(Math.Max(1, key.Length + value.Length));
        key.CopyTo(bytes);
        value.CopyTo(bytes.AsSpan(key.Length));
        var s = _sources[source];
        s.CaughtUp = false;
        s.Heard = true;
        s.Queue.Enqueue(new BufferedRecord
        {
            Source = source, Offset = offset, TimestampMs = timestampMs,
            KeyLength = keyIsNull ? -1 : key.Length, ValueLength = valueIsNull ? -1 : value.Length,
            Bytes = bytes, ArrivedTicks = nowTicks,
        });
        Buffered++;
    }

    /// <summary>Notes that the partition's end was reached: it holds nothing back until a record arrives.</summary>
    public void MarkCaughtUp(int source)
    {
        _sources[source].CaughtUp = true;
        _sources[source].Heard = true;
    }

    /// <summary>Registers a newly assigned partition: records of other partitions wait for its first word.</summary>
    public void Assign(string topic, int partition)
    {
        var s = _sources[SourceOf(topic, partition)];
        s.Assigned = true;
        s.Heard = s.Queue.Count > 0;
        s.CaughtUp = false;
    }

    /// <summary>Stops waiting for a partition that was revoked and drops what it had buffered.</summary>
    public void Revoke(string topic, int partition)
    {
        foreach (var s in _sources)
        {
            if (s.Topic == topic && s.Partition == partition)
            {
                s.Assigned = false;
                while (s.Queue.TryDequeue(out var record))
                {
                    Release(ref record);
                    Buffered--;
                }
            }
        }
    }

    /// <summary>
    /// The next record in timestamp order within its partition number, if one may be taken now. Release it after use.
    /// Only the same partition of the other topics can hold a record back: the inputs are co-partitioned by party, so
    /// the order that matters (one party's call before its transfer) never crosses partition numbers, and a silent
    /// partition 7 does not delay partition 3.
    /// </summary>
    public bool TryTake(long nowTicks, out BufferedRecord record)
    {
        record = default;
        var groups = _groupHold.Length;
        Array.Clear(_groupHold);
        Array.Fill(_groupOldest, -1);
        for (var i = 0; i < _sources.Count; i++)
        {
            var s = _sources[i];
            if (!s.Assigned)
            {
                continue;
            }

            if (s.Queue.TryPeek(out var head))
            {
                var oldest = _groupOldest[s.Partition];
                if (oldest < 0 || head.TimestampMs < _sources[oldest].Queue.Peek().TimestampMs)
                {
                    _groupOldest[s.Partition] = i;
                }
            }
            else if (!s.CaughtUp)
            {
                var wait = (s.Heard ? _maxIdle : _startWait).Ticks;
                _groupHold[s.Partition] = Math.Max(_groupHold[s.Partition], wait);
            }
        }

        // The oldest head among the partition numbers whose other topics do not hold it back (any more).
        Source? taken = null;
        for (var g = 0; g < groups; g++)
        {
            if (_groupOldest[g] < 0)
            {
                continue;
            }

            var candidate = _sources[_groupOldest[g]];
            var head = candidate.Queue.Peek();
            if (_groupHold[g] > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(head.ArrivedTicks, nowTicks).Ticks < _groupHold[g])
            {
                continue;
            }

            if (taken is null || head.TimestampMs < taken.Queue.Peek().TimestampMs)
            {
                taken = candidate;
            }
        }

        if (taken is null)
        {
            return false;
        }

        record = taken.Queue.Dequeue();
        Buffered--;
        return true;
    }

    /// <summary>Returns a taken record's buffer to the pool.</summary>
    public static void Release(ref BufferedRecord record)
    {
        if (record.Bytes is { Length: > 0 } bytes)
        {
            Pool.Return(bytes);
        }

        record.Bytes = [];
    }

    private sealed class Source(string topic, int partition)
    {
        public string Topic { get; } = topic;

        public int Partition { get; } = partition;

        public EventTopic? Kind { get; } = EventDispatcher.TryGetTopic(topic, out var kind) ? kind : null;

        public Queue<BufferedRecord> Queue { get; } = new();

        public bool CaughtUp { get; set; }

        /// <summary>A record or an end-of-partition has come from it since it was assigned.</summary>
        public bool Heard { get; set; } = true;

        public bool Assigned { get; set; } = true;
    }
}
