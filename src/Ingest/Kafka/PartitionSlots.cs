namespace FraudShield.Ingest.Kafka;

/// <summary>
/// A per-partition value (an offset) in an array indexed by partition number, -1 where none is set, grown on demand:
/// the consume loops' positions and replay bounds. Growing allocates; setting an existing slot does not.
/// </summary>
public static class PartitionSlots
{
    /// <summary>Sets <paramref name="slots"/>[<paramref name="partition"/>], growing the array (new slots -1) when needed.</summary>
    public static void Set(ref long[] slots, int partition, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (partition >= slots.Length)
        {
            var grown = new long[Math.Max(partition + 1, slots.Length * 2)];
            Array.Fill(grown, -1);
            slots.CopyTo(grown, 0);
            slots = grown;
        }

        slots[partition] = value;
    }

    /// <summary>The slot's value, or -1 when the array does not reach it.</summary>
    public static long Get(long[] slots, int partition) =>
        (uint)partition < (uint)slots.Length ? slots[partition] : -1;
}
