using System.Text;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// The strings of a <see cref="StringTable"/> as a snapshot or checkpoint file holds them (each one length-prefixed
/// UTF-8, as <see cref="BinaryWriter.Write(string)"/> writes it, which is also how the table stores its entries), kept
/// as those bytes and one offset per string: what a restore and the agreement checks between files read, without
/// a string object per entry (the register interns a few ids per resident: a restore of a city's table through
/// strings allocated hundreds of megabytes for the collector to clear at start).
/// </summary>
public sealed class SavedStrings
{
    private readonly byte[] _bytes;
    private readonly int[] _starts;
    private readonly int[] _lengths;

    private SavedStrings(byte[] bytes, int[] starts, int[] lengths)
    {
        _bytes = bytes;
        _starts = starts;
        _lengths = lengths;
    }

    /// <summary>No strings.</summary>
    public static SavedStrings Empty { get; } = new([], [], []);

    /// <summary>How many strings; string i is reference i + 1 of the table they were saved from.</summary>
    public int Count => _starts.Length;

    /// <summary>The UTF-8 bytes of string <paramref name="index"/> (0-based), as saved.</summary>
    public ReadOnlySpan<byte> this[int index] => _bytes.AsSpan(_starts[index], _lengths[index]);

    /// <summary>
    /// Reads <paramref name="count"/> length-prefixed strings that fill <paramref name="bytes"/> exactly (the array is
    /// kept, not copied); null when the bytes hold fewer or more, or a length prefix is malformed.
    /// </summary>
    public static SavedStrings? TryRead(byte[] bytes, int count)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (count < 0 || count > bytes.Length)
        {
            return null;
        }

        var starts = new int[count];
        var lengths = new int[count];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (!StringTable.TryReadLength(bytes, ref offset, out var length) || length > bytes.Length - offset)
            {
                return null;
            }

            (starts[i], lengths[i]) = (offset, length);
            offset += length;
        }

        return offset == bytes.Length ? new SavedStrings(bytes, starts, lengths) : null;
    }

    /// <summary>The given strings as a file would hold them (UTF-8; a string with unpaired surrogates as U+FFFD).</summary>
    public static SavedStrings From(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var value in values)
            {
                writer.Write(value);
            }
        }

        return TryRead(buffer.ToArray(), values.Count) ?? throw new InvalidOperationException("BinaryWriter wrote strings its own format cannot read back.");
    }

    /// <summary>True when this list is <paramref name="other"/>'s first <see cref="Count"/> strings, byte for byte.</summary>
    public bool IsPrefixOf(SavedStrings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Count > other.Count)
        {
            return false;
        }

        for (var i = 0; i < Count; i++)
        {
            if (!this[i].SequenceEqual(other[i]))
            {
                return false;
            }
        }

        return true;
    }
}
