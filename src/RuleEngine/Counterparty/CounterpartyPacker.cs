using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// Packs the repartitioner's <see cref="CounterpartyRecord"/>s into fs.counterparty messages, one pack per destination
/// partition: a record goes to the partition a message keyed by its counterparty would (<see cref="KeyPartitioner"/>),
/// after the records before it for that partition, so each key's records keep their order. A pack is handed to the
/// producer when a record finds it holding <see cref="MaxRecords"/>, or its source timestamp is too far from the pack's first
/// for <see cref="CounterpartyRecord.SourceDeltaMs"/>, and at <see cref="EmitAll"/> (the repartitioner's end of a poll
/// batch, and before its source offsets are stored), instead of each record being a message of its own that pays the
/// producer's, the cluster's and the consumer's per-message work. Allocates nothing per record: a buffer per
/// partition, and one scratch array of each pack length (the producer copies the bytes during Produce).
/// </summary>
internal sealed class CounterpartyPacker
{
    /// <summary>Records a pack holds at most (8,704 bytes).</summary>
    public const int MaxRecords = 64;

    private readonly byte[][] _packs;
    private readonly int[] _counts;
    private readonly long[] _firstMs;
    private readonly byte[]?[] _exact = new byte[MaxRecords + 1][];
    private readonly byte[] _key = new byte[8];
    private readonly Action<int, long, byte[]> _emit;

    /// <summary>Packs for <paramref name="partitions"/> partitions; <paramref name="emit"/> produces one (partition, timestamp ms, value).</summary>
    /// <param name="partitions">fs.counterparty's partition count.</param>
    /// <param name="emit">Hands a pack to the producer; the value array is reused once it returns.</param>
    public CounterpartyPacker(int partitions, Action<int, long, byte[]> emit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _emit = emit ?? throw new ArgumentNullException(nameof(emit));
        Partitions = partitions;
        _packs = new byte[partitions][];
        _counts = new int[partitions];
        _firstMs = new long[partitions];
    }

    /// <summary>The destination topic's partition count.</summary>
    public int Partitions { get; }

    /// <summary>Records added and not yet handed to the producer.</summary>
    public int Pending { get; private set; }

    /// <summary>The partition of a record of <paramref name="key"/>.</summary>
    public int PartitionOf(long key)
    {
        CounterpartyRecord.WriteKey(key, _key);
        return KeyPartitioner.Partition(_key, Partitions);
    }

    /// <summary>Adds <paramref name="record"/> (its <see cref="CounterpartyRecord.SourceDeltaMs"/> is set here) with its source timestamp.</summary>
    public void Add(ref CounterpartyRecord record, long sourceMs)
    {
        var p = PartitionOf(record.Key);
        if (_counts[p] == MaxRecords || (_counts[p] > 0 && Math.Abs(sourceMs - _firstMs[p]) > CounterpartyRecord.MaxSourceDeltaMs))
        {
            Emit(p);
        }

        if (_counts[p] == 0)
        {
            _firstMs[p] = sourceMs;
            _packs[p] ??= new byte[MaxRecords * CounterpartyRecord.Size];
        }

        record.SourceDeltaMs = (int)(sourceMs - _firstMs[p]);
        record.Write(_packs[p].AsSpan(_counts[p] * CounterpartyRecord.Size));
        _counts[p]++;
        Pending++;
    }

    /// <summary>Hands every pack that holds records to the producer.</summary>
    public void EmitAll()
    {
        for (var p = 0; Pending > 0 && p < Partitions; p++)
        {
            if (_counts[p] > 0)
            {
                Emit(p);
            }
        }
    }

    private void Emit(int p)
    {
        var n = _counts[p];
        var value = _exact[n] ??= new byte[n * CounterpartyRecord.Size];
        _packs[p].AsSpan(0, value.Length).CopyTo(value);
        _emit(p, _firstMs[p], value);

        // Only once the producer took it: a wait for room that is stopped leaves the pack, and the offsets, where they are.
        _counts[p] = 0;
        Pending -= n;
    }
}
