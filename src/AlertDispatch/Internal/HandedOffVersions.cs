namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// The alert versions this process's engine handed straight to its dispatch (<see cref="AlertFeed.OfferAcknowledged"/>)
/// and the feed delivered, whose fs.alerts records the feed has not read back yet. Reading such a record back would
/// decode the alert, copy it, decode its case and find the version delivered: the feed skips it instead, known by its
/// id and version read from the record's first bytes (<see cref="TryPeek"/>). The last <see cref="Capacity"/> hand-offs
/// are kept, the oldest forgotten first; a forgotten one is decoded and found delivered, as before. Thread-safe: the hand-off
/// thread adds, the feed's thread takes.
/// </summary>
internal sealed class HandedOffVersions
{
    /// <summary>Alerts kept by default: far more than are ever between a hand-off and its read-back (milliseconds).</summary>
    public const int DefaultCapacity = 4_096;

    /// <summary>The longest alert id this recognizes (the engine's are 18 characters).</summary>
    public const int MaxIdLength = 64;

    private readonly Dictionary<string, int> _highest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly Queue<string> _order = new();
    private readonly Lock _gate = new();

    /// <summary>Creates the set; <paramref name="capacity"/> alerts at most.</summary>
    public HandedOffVersions(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _byChars = _highest.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Alerts kept at most.</summary>
    public int Capacity { get; }

    /// <summary>Alerts kept now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _highest.Count;
            }
        }
    }

    /// <summary>Notes that version <paramref name="version"/> of <paramref name="alertId"/> was delivered by the hand-off.</summary>
    public void Add(string alertId, int version)
    {
        lock (_gate)
        {
            if (_highest.TryGetValue(alertId, out var known) && known >= version)
            {
                return;
            }

            // The order holds every addition, read back or not: past the capacity the oldest goes, from both (a
            // later version of it, added since, is forgotten with it: its record is then decoded, no harm).
            _highest[alertId] = version;
            _order.Enqueue(alertId);
            while (_order.Count > Capacity)
            {
                _highest.Remove(_order.Dequeue());
            }
        }
    }

    /// <summary>
    /// True when the hand-off delivered this version of the alert or a later one, so its record needs nothing; the
    /// alert is forgotten once its latest handed-off version is read back.
    /// </summary>
    public bool TryTake(ReadOnlySpan<char> alertId, int version)
    {
        lock (_gate)
        {
            if (!_byChars.TryGetValue(alertId, out var highest) || version > highest)
            {
                return false;
            }

            if (version == highest)
            {
                _byChars.Remove(alertId);
            }

            return true;
        }
    }

    /// <summary>
    /// The id (as characters in <paramref name="id"/>) and version of an encoded <c>Alert</c>, read from its first two
    /// fields as protobuf encoders write them (field 1, the id; field 2, the version, absent when 0), without decoding
    /// it. False for anything else (an id over <see cref="MaxIdLength"/> or not ASCII, other fields first): the caller
    /// then decodes the record.
    /// </summary>
    public static bool TryPeek(ReadOnlySpan<byte> record, Span<char> id, out int idLength, out int version)
    {
        idLength = 0;
        version = 0;
        var at = 1;
        if (record.Length < 2 || record[0] != 0x0A || !TryVarint(record, ref at, out var length) || length == 0
            || length > (ulong)Math.Min(MaxIdLength, id.Length) || (ulong)(record.Length - at) < length)
        {
            return false;
        }

        var bytes = record.Slice(at, (int)length);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] >= 0x80)
            {
                return false;
            }

            id[i] = (char)bytes[i];
        }

        at += bytes.Length;
        if (at < record.Length && record[at] == 0x10)
        {
            at++;
            if (!TryVarint(record, ref at, out var v) || v > int.MaxValue)
            {
                return false;
            }

            version = (int)v;
        }

        idLength = bytes.Length;
        return true;
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int at, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && at < data.Length; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
