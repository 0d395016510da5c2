namespace FraudShield.Ingest.Kafka;

/// <summary>
/// The partition librdkafka's default partitioner (<c>consistent_random</c>) gives a non-empty key: the CRC-32
/// (IEEE 802.3, as zlib's) of the key bytes modulo the partition count. For a producer that packs the records of many
/// keys into one message for a partition it chooses itself, so each key's records still land where a keyed message
/// would (and where they did before the packing). Written here because System.IO.Hashing is not served by the
/// registry this project restores from (DEPENDENCIES.md).
/// </summary>
public static class KeyPartitioner
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitions"/>.</summary>
    /// <param name="key">The key bytes (non-empty: librdkafka places an empty key at random).</param>
    /// <param name="partitions">The topic's partition count.</param>
    /// <returns>A partition in [0, <paramref name="partitions"/>).</returns>
    public static int Partition(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfZero(key.Length, nameof(key));
        return (int)(Crc32(key) % (uint)partitions);
    }

    /// <summary>The CRC-32 of <paramref name="data"/> (reflected, polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
