using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Unicode;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// Interns the ids that FASTER values refer to (stations, grids, typologies, and per resident a person id, an address
/// id and family numbers) as ints, so those values stay blittable. Written by table loaders, read by the engine when
/// it builds an alert; thread-safe. Reference 0 is the empty string.
/// </summary>
/// <remarks>
/// <para>The strings are held as UTF-8 in a few large byte arrays, not as one string object each: the register interns
/// three ids per resident, millions at a district's scale, and as objects (a string, a dictionary node, a bucket)
/// every full collection would have to mark them all (measured with 1.5 M residents: 333 B and 6 objects a resident,
/// a 323 ms blocking Gen2 for the table alone; `bench -- strings`). Here a string costs its bytes, a length prefix, an
/// 8-byte location and an 8-byte hash slot or two, in large arrays without references.</para>
/// <para>Each entry is stored exactly as <see cref="BinaryWriter.Write(string)"/> writes a string (7-bit encoded byte
/// count, then the UTF-8 bytes), so <see cref="WriteTo"/> copies entries to a snapshot file without decoding them.</para>
/// <para>One writer at a time (a lock); readers take no lock. A writer stores an entry's bytes and location before it
/// publishes the new count, and replaces an array that has to grow by a larger copy before that, so a reader that read
/// the count first finds every reference below it.</para>
/// </remarks>
public sealed class StringTable
{
    private const int ChunkSize = 1 << 20;
    private const int MaxStackBytes = 256;

    private readonly Lock _gate = new();

    // Entries, appended; a location is (chunk index << 32) | offset in the chunk.
    private byte[][] _chunks = [new byte[ChunkSize]];
    private int _chunk;
    private int _used;
    private long[] _locations = new long[1024];

    // Open addressing, linear probing: (hash high 32 bits << 32) | reference; 0 is an empty slot (reference 0 is never stored).
    private long[] _slots = new long[2048];
    private int _count = 1;

    /// <summary>Number of interned strings, including the empty string.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The reference of <paramref name="utf8"/>, interning it when new. Allocates nothing for a string already held.</summary>
    public int Intern(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return 0;
        }

        // Invalid UTF-8 is interned as the string it decodes to (U+FFFD for each bad sequence), as before the table
        // held bytes: two spellings that read back alike share a reference, and a saved table restores to the same ids.
        return Utf8.IsValid(utf8) ? InternValid(utf8) : Intern(Encoding.UTF8.GetString(utf8));
    }

    /// <summary>The reference of <paramref name="value"/>, interning it when new.</summary>
    public int Intern(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return 0;
        }

        using var utf8 = new Utf8Text(value, stackalloc byte[MaxStackBytes]);
        return InternValid(utf8.Bytes);
    }

    /// <summary>The string behind <paramref name="reference"/>; empty for 0 or an unknown reference. Decodes a new string each call.</summary>
    public string this[int reference] =>
        (uint)reference < (uint)Count ? Encoding.UTF8.GetString(Utf8Of(reference)) : string.Empty;

    /// <summary>True when <paramref name="reference"/> holds exactly <paramref name="value"/> (without decoding it).</summary>
    public bool Holds(int reference, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if ((uint)reference >= (uint)Count)
        {
            return false;
        }

        // Compared as Intern(value) would store it, so true exactly when Intern(value) returns the reference.
        using var utf8 = new Utf8Text(value, stackalloc byte[MaxStackBytes]);
        return Utf8Of(reference).SequenceEqual(utf8.Bytes);
    }

    /// <summary>True when <paramref name="reference"/> holds exactly these UTF-8 bytes.</summary>
    public bool Holds(int reference, ReadOnlySpan<byte> utf8) =>
        (uint)reference < (uint)Count && Utf8Of(reference).SequenceEqual(utf8);

    /// <summary>
    /// The interned strings in id order, from reference 1 (the empty string at 0 is implied): what a table snapshot
    /// saves so that restored FASTER values keep pointing at the same strings. Thread-safe; strings interned during the
    /// call may or may not be included. Decodes every string: for tests and small tables; files take <see cref="WriteTo"/>.
    /// </summary>
    /// <returns>A new array; element i is reference i + 1.</returns>
    public string[] Snapshot()
    {
        var count = Count;
        var values = new string[count - 1];
        for (var i = 1; i < count; i++)
        {
            values[i - 1] = Encoding.UTF8.GetString(Utf8Of(i));
        }

        return values;
    }

    /// <summary>
    /// Writes references [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="stream"/> as
    /// <see cref="BinaryWriter.Write(string)"/> writes strings (what <see cref="BinaryReader.ReadString"/> reads back),
    /// copying the stored bytes.
    /// </summary>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within 1 .. <see cref="Count"/>.</exception>
    public long WriteTo(Stream stream, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(from, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        var locations = Volatile.Read(ref _locations);
        var chunks = Volatile.Read(ref _chunks);
        long written = 0;
        var i = from;
        while (i < to)
        {
            // Entries stored one after another in the same chunk are written in one call.
            var (chunk, start) = Split(locations[i]);
            var end = start + EntryLength(chunks[chunk], start);
            for (i++; i < to && Split(locations[i]) is var (c, s) && c == chunk && s == end; i++)
            {
                end += EntryLength(chunks[chunk], end);
            }

            stream.Write(chunks[chunk], start, end - start);
            written += end - start;
        }

        return written;
    }

    /// <summary>
    /// Interns <paramref name="values"/> in order, so that value i gets reference i + 1: the inverse of
    /// <see cref="Snapshot"/>. Call it first, before anything else interns.
    /// </summary>
    /// <param name="values">Strings in id order from reference 1; non-empty and distinct.</param>
    /// <exception cref="InvalidOperationException">The table is not empty, or a value is empty or repeated.</exception>
    public void Restore(IReadOnlyList<string> values) => Restore(SavedStrings.From(values));

    /// <summary>
    /// Interns the strings a snapshot or checkpoint file saved, in order, so that string i gets reference i + 1,
    /// straight from their bytes. Call it first, before anything else interns.
    /// </summary>
    /// <param name="values">Strings in id order from reference 1; non-empty and distinct.</param>
    /// <exception cref="InvalidOperationException">The table is not empty, or a value is empty or repeated.</exception>
    public void Restore(SavedStrings values)
    {
        ArgumentNullException.ThrowIfNull(values);
        lock (_gate)
        {
            if (_count != 1)
            {
                throw new InvalidOperationException($"A string table is restored before anything is interned; it holds {_count - 1} strings.");
            }

            // Sized for every string at once: the slots are not rehashed at each doubling on the way.
            if (values.Count >= _locations.Length)
            {
                _locations = new long[values.Count + 1];
            }

            var slots = _slots.Length;
            while ((values.Count + 1) * 10L >= slots * 7L)
            {
                slots *= 2;
            }

            _slots = slots == _slots.Length ? _slots : new long[slots];
            for (var i = 0; i < values.Count; i++)
            {
                var utf8 = values[i];
                if (utf8.IsEmpty || Intern(utf8) != i + 1)
                {
                    throw new InvalidOperationException($"String {i + 1} of the restored table is empty or repeated.");
                }
            }
        }
    }

    private static (int Chunk, int Offset) Split(long location) => ((int)(location >> 32), (int)location);

    // The 7-bit encoded length prefix and the bytes of the entry at offset.
    private static int EntryLength(byte[] chunk, int offset)
    {
        var (length, prefix) = ReadPrefix(chunk, offset);
        return prefix + length;
    }

    // The table's own entries are well formed, so the read cannot fail here.
    private static (int Length, int Prefix) ReadPrefix(byte[] chunk, int offset)
    {
        var end = offset;
        _ = TryReadLength(chunk, ref end, out var length);
        return (length, end - offset);
    }

    /// <summary>
    /// Reads an entry's length prefix at <paramref name="offset"/> and moves past it: 7-bit encoded, as
    /// <see cref="BinaryWriter.Write(string)"/> writes it, at most five bytes and not above <see cref="int.MaxValue"/>.
    /// False when the bytes end first or the prefix is malformed (a saved file, <see cref="SavedStrings"/>).
    /// </summary>
    internal static bool TryReadLength(ReadOnlySpan<byte> bytes, ref int offset, out int length)
    {
        length = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (offset == bytes.Length)
            {
                return false;
            }

            var b = bytes[offset++];
            if (shift == 28 && b > 0x07)
            {
                return false;
            }

            length |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static ulong Hash(ReadOnlySpan<byte> utf8) => XxHash3.HashToUInt64(utf8);

    private ReadOnlySpan<byte> Utf8Of(int reference)
    {
        if (reference == 0)
        {
            return default;
        }

        // After the count (read by the caller): the arrays read now hold every reference below it.
        var (chunk, offset) = Split(Volatile.Read(ref _locations)[reference]);
        var bytes = Volatile.Read(ref _chunks)[chunk];
        var (length, prefix) = ReadPrefix(bytes, offset);
        return bytes.AsSpan(offset + prefix, length);
    }

    private int InternValid(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var tag = (long)(hash & 0xFFFF_FFFF_0000_0000UL);
        lock (_gate)
        {
            var mask = _slots.Length - 1;
            for (var slot = (int)hash & mask; ; slot = (slot + 1) & mask)
            {
                var entry = _slots[slot];
                if (entry == 0)
                {
                    var reference = Append(utf8);
                    _slots[slot] = tag | (uint)reference;
                    if (reference * 10L >= _slots.Length * 7L)
                    {
                        GrowSlots();
                    }

                    return reference;
                }

                if ((entry & ~0xFFFF_FFFFL) == tag && Utf8Of((int)entry).SequenceEqual(utf8))
                {
                    return (int)entry;
                }
            }
        }
    }

    // Under the lock: stores the entry, then publishes the count.
    private int Append(ReadOnlySpan<byte> utf8)
    {
        var reference = _count;
        var prefix = 1;
        for (var n = (uint)utf8.Length >> 7; n != 0; n >>= 7)
        {
            prefix++;
        }

        var size = prefix + utf8.Length;
        if (_used + size > _chunks[_chunk].Length)
        {
            var chunks = _chunks;
            if (_chunk + 1 == chunks.Length)
            {
                Array.Resize(ref chunks, chunks.Length * 2);
            }

            chunks[_chunk + 1] = new byte[Math.Max(ChunkSize, size)];
            Volatile.Write(ref _chunks, chunks);
            _chunk++;
            _used = 0;
        }

        var target = _chunks[_chunk];
        var at = _used;
        var length = (uint)utf8.Length;
        for (; length >= 0x80; length >>= 7)
        {
            target[at++] = (byte)(length | 0x80);
        }

        target[at++] = (byte)length;
        utf8.CopyTo(target.AsSpan(at));

        var locations = _locations;
        if (reference == locations.Length)
        {
            Array.Resize(ref locations, locations.Length * 2);
        }

        locations[reference] = ((long)_chunk << 32) | (uint)_used;
        Volatile.Write(ref _locations, locations);
        _used += size;
        Volatile.Write(ref _count, reference + 1);
        return reference;
    }

    // Under the lock: doubles the slots and re-inserts every reference (hashes computed again from the bytes).
    private void GrowSlots()
    {
        var slots = new long[_slots.Length * 2];
        var mask = slots.Length - 1;
        for (var reference = 1; reference < _count; reference++)
        {
            var hash = Hash(Utf8Of(reference));
            var slot = (int)hash & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = (long)(hash & 0xFFFF_FFFF_0000_0000UL) | (uint)reference;
        }

        _slots = slots;
    }

    /// <summary>A string's UTF-8 bytes (invalid UTF-16 replaced), in the caller's stack buffer when they fit, else in a pooled array returned at dispose.</summary>
    private readonly ref struct Utf8Text
    {
        private readonly byte[]? _rented;

        public Utf8Text(string value, Span<byte> stack)
        {
            var max = Encoding.UTF8.GetMaxByteCount(value.Length);
            var buffer = max <= stack.Length ? stack : (_rented = ArrayPool<byte>.Shared.Rent(max));
            Bytes = buffer[..Encoding.UTF8.GetBytes(value, buffer)];
        }

        public ReadOnlySpan<byte> Bytes { get; }

        public void Dispose()
        {
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
            }
        }
    }
}
