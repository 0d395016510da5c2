using System.Text.Json;

namespace FraudShield.Ingest.Events;

/// <summary>
/// A JSON array of strings kept as the raw bytes of the input, brackets included. The parser validated it to be an
/// array of strings, so enumerating it never fails. Items are the raw string contents without quotes, escapes kept
/// (a <c>\u0041</c> stays six bytes). An absent or null array is empty.
/// </summary>
public readonly ref struct StringArray
{
    private readonly ReadOnlySpan<byte> _raw;

    /// <summary>Wraps a validated array.</summary>
    /// <param name="raw">The bytes of the array from <c>[</c> to <c>]</c> inclusive.</param>
    /// <param name="count">The number of strings in it.</param>
    internal StringArray(ReadOnlySpan<byte> raw, int count)
    {
        _raw = raw;
        Count = count;
    }

    /// <summary>The number of strings.</summary>
    public int Count { get; }

    /// <summary>Whether the array is absent, null or <c>[]</c>.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The raw JSON of the array, brackets included; empty when the array was absent or null.</summary>
    public ReadOnlySpan<byte> RawJson => _raw;

    /// <summary>Whether an item equals <paramref name="value"/> byte for byte (raw, escapes not decoded).</summary>
    /// <param name="value">The raw bytes to look for.</param>
    /// <returns><see langword="true"/> when an item matches.</returns>
    public bool Contains(ReadOnlySpan<byte> value)
    {
        foreach (var item in this)
        {
            if (item.SequenceEqual(value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// An item's text with JSON escapes decoded: <paramref name="raw"/> itself when it has none (the common case, no
    /// copy), else the decoded bytes written to <paramref name="buffer"/>; empty when they do not fit.
    /// </summary>
    /// <param name="raw">An item as enumerated.</param>
    /// <param name="buffer">Room for the decoded text (it is never longer than <paramref name="raw"/>).</param>
    /// <returns>The decoded text.</returns>
    public static ReadOnlySpan<byte> Unescape(ReadOnlySpan<byte> raw, Span<byte> buffer)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return raw;
        }

        if (raw.Length + 2 > buffer.Length)
        {
            return default;
        }

        // Re-read the item as a JSON string and let the reader decode it.
        buffer[0] = (byte)'"';
        raw.CopyTo(buffer[1..]);
        buffer[raw.Length + 1] = (byte)'"';
        var reader = new Utf8JsonReader(buffer[..(raw.Length + 2)]);
        reader.Read();
        Span<byte> decoded = raw.Length <= 256 ? stackalloc byte[256] : new byte[raw.Length];
        var n = reader.CopyString(decoded);
        decoded[..n].CopyTo(buffer);
        return buffer[..n];
    }

    /// <summary>Enumerates the raw string contents.</summary>
    /// <returns>An allocation-free enumerator.</returns>
    public Enumerator GetEnumerator() => new(_raw);

    /// <summary>Walks the strings of a <see cref="StringArray"/>.</summary>
    public ref struct Enumerator
    {
        private Utf8JsonReader _reader;
        private readonly bool _empty;

        internal Enumerator(ReadOnlySpan<byte> raw)
        {
            _empty = raw.IsEmpty;
            _reader = new Utf8JsonReader(raw);
            Current = default;
            if (!_empty)
            {
                _reader.Read();
            }
        }

        /// <summary>The raw content of the current string, without quotes, escapes kept.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>Moves to the next string.</summary>
        /// <returns><see langword="false"/> after the last one.</returns>
        public bool MoveNext()
        {
            if (_empty || !_reader.Read() || _reader.TokenType != JsonTokenType.String)
            {
                Current = default;
                return false;
            }

            Current = _reader.ValueSpan;
            return true;
        }
    }
}
