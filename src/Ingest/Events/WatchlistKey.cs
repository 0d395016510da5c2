using System.Text;

namespace FraudShield.Ingest.Events;

/// <summary>
/// The Kafka record key of a watchlist entry on the compacted fs.watchlist topic: <c>KEY_TYPE:key</c>, e.g.
/// <c>ACCOUNT:6222880000000001</c>. Compaction keeps the newest entry per key; a tombstone (null value) with the same
/// key removes it. The one place this format is written and read.
/// </summary>
public static class WatchlistKey
{
    private static readonly byte[][] Names = [.. new[] { "MSISDN", "IMEI", "ACCOUNT", "URL", "APP_PKG", "DEVICE" }.Select(Encoding.ASCII.GetBytes)];

    /// <summary>Formats the record key.</summary>
    public static byte[] Format(WatchKeyType type, ReadOnlySpan<byte> key)
    {
        var name = Names[(int)type];
        var bytes = new byte[name.Length + 1 + key.Length];
        name.CopyTo(bytes, 0);
        bytes[name.Length] = (byte)':';
        key.CopyTo(bytes.AsSpan(name.Length + 1));
        return bytes;
    }

    /// <summary>Formats the record key from text.</summary>
    public static byte[] Format(string typeName, string key) => Encoding.UTF8.GetBytes(typeName + ":" + key);

    /// <summary>Splits a record key into its type and key text.</summary>
    public static bool TryParse(ReadOnlySpan<byte> recordKey, out WatchKeyType type, out ReadOnlySpan<byte> key)
    {
        type = default;
        key = default;
        var colon = recordKey.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        var name = recordKey[..colon];
        for (var i = 0; i < Names.Length; i++)
        {
            if (name.SequenceEqual(Names[i]))
            {
                type = (WatchKeyType)i;
                key = recordKey[(colon + 1)..];
                return !key.IsEmpty;
            }
        }

        return false;
    }
}
