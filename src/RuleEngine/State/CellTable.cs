using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;

namespace FraudShield.RuleEngine.State;

/// <summary>A serving cell as stored: where its station and grid are. Blittable, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CellInfo
{
    /// <summary>String-table references of the cell's station, grid and area.</summary>
    public int Station, Grid, Area;

    /// <summary>Second, independent hash of the cell id: guards against 64-bit key collisions.</summary>
    public uint Check;
}

/// <summary>One fs.cells record: <c>{"cell_id","station_id","grid_id","area"}</c>, as parsed (strings owned).</summary>
/// <param name="CellId">The operator's cell id, as calls carry it in <c>cell_id</c>.</param>
/// <param name="StationId">The police station covering the cell.</param>
/// <param name="GridId">The grid covering the cell; may be empty.</param>
/// <param name="Area">A free-text area name; may be empty.</param>
public sealed record CellRecord(string CellId, string StationId, string GridId, string Area)
{
    /// <summary>
    /// Parses one fs.cells value. <c>cell_id</c> and <c>station_id</c> are required non-empty strings; <c>grid_id</c>
    /// and <c>area</c> are optional strings; other fields are ignored. Cold path (table loading and import).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out CellRecord record, out ParseError error)
    {
        record = new CellRecord(string.Empty, string.Empty, string.Empty, string.Empty);
        string? cell = null, station = null, grid = null, area = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new ParseError(RejectReason.NotAnObject, string.Empty);
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var field = name.SequenceEqual("cell_id"u8) ? "cell_id"
                    : name.SequenceEqual("station_id"u8) ? "station_id"
                    : name.SequenceEqual("grid_id"u8) ? "grid_id"
                    : name.SequenceEqual("area"u8) ? "area" : null;
                reader.Read();
                if (field is null)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    error = new ParseError(RejectReason.WrongType, field);
                    return false;
                }

                var value = reader.GetString();
                switch (field)
                {
                    case "cell_id": cell = value; break;
                    case "station_id": station = value; break;
                    case "grid_id": grid = value; break;
                    default: area = value; break;
                }
            }

            while (reader.Read())
            {
                // Drain to the end so trailing garbage is reported as invalid JSON.
            }
        }
        catch (JsonException)
        {
            error = new ParseError(RejectReason.InvalidJson, string.Empty);
            return false;
        }

        if (string.IsNullOrEmpty(cell))
        {
            error = new ParseError(RejectReason.MissingField, "cell_id");
            return false;
        }

        if (string.IsNullOrEmpty(station))
        {
            error = new ParseError(RejectReason.MissingField, "station_id");
            return false;
        }

        record = new CellRecord(cell, station, grid ?? string.Empty, area ?? string.Empty);
        error = default;
        return true;
    }
}

/// <summary>
/// The serving-cell table (cell id -> station, grid), fed from the compacted fs.cells topic. A compact in-memory map
/// keyed by a 64-bit hash of the cell id (a province has 10^4-10^5 cells, a few MiB): read only when an alert is built,
/// to resolve the current jurisdiction of a resident who is away from home. Thread-safe: the table loader writes,
/// engine threads read.
/// </summary>
public sealed class CellTable
{
    private const byte CellKind = 0xCE;
    private readonly ConcurrentDictionary<long, CellInfo> _cells = new();

    /// <summary>Creates an empty table whose ids are interned in <paramref name="strings"/>.</summary>
    public CellTable(StringTable strings)
    {
        Strings = strings ?? throw new ArgumentNullException(nameof(strings));
    }

    /// <summary>The string table the station and grid ids are interned in.</summary>
    public StringTable Strings { get; }

    /// <summary>
    /// How long the serving cell of a party's latest call stays current: an older cell says nothing about where the
    /// party is now and is ignored. Two hours by default.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Cells in the table.</summary>
    public int Count => _cells.Count;

    /// <summary>The 64-bit key of a cell id, as kept in <see cref="PartyState.ServingCell"/>; 0 for an empty id.</summary>
    public static ulong KeyOf(ReadOnlySpan<byte> cellId) => cellId.IsEmpty ? 0 : NonZero((ulong)KeyHash.Of(CellKind, cellId));

    /// <summary>Adds or replaces a cell.</summary>
    public void Upsert(CellRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var id = System.Text.Encoding.UTF8.GetBytes(record.CellId);
        _cells[(long)KeyOf(id)] = new CellInfo
        {
            Station = Strings.Intern(record.StationId),
            Grid = Strings.Intern(record.GridId),
            Area = Strings.Intern(record.Area),
            Check = KeyHash.Check(id),
        };
    }

    /// <summary>Removes the cell named <paramref name="cellId"/> (a tombstone on fs.cells).</summary>
    public void Remove(ReadOnlySpan<byte> cellId) => _cells.TryRemove((long)KeyOf(cellId), out _);

    /// <summary>The cell behind <paramref name="key"/> (see <see cref="KeyOf"/>).</summary>
    public bool TryGet(ulong key, out CellInfo info) => _cells.TryGetValue((long)key, out info);

    /// <summary>The cell named <paramref name="cellId"/>, with its check hash verified.</summary>
    public bool TryGet(ReadOnlySpan<byte> cellId, out CellInfo info) =>
        _cells.TryGetValue((long)KeyOf(cellId), out info) && info.Check == KeyHash.Check(cellId);

    /// <summary>
    /// Writes every cell (count, then key and <see cref="CellInfo"/> per cell, little-endian) to <paramref name="writer"/>.
    /// Consistent when no cell changes during the call (the table's one writer calls it between two records).
    /// </summary>
    /// <returns>The number of cells written.</returns>
    internal int WriteTo(BinaryWriter writer)
    {
        var cells = _cells.ToArray();
        writer.Write(cells.Length);
        foreach (var (key, info) in cells)
        {
            writer.Write(key);
            writer.Write(info.Station);
            writer.Write(info.Grid);
            writer.Write(info.Area);
            writer.Write(info.Check);
        }

        return cells.Length;
    }

    /// <summary>Adds the cells written by <see cref="WriteTo"/>; their string references must already be restored.</summary>
    /// <returns>The number of cells read.</returns>
    internal int ReadFrom(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadInt64();
            _cells[key] = new CellInfo { Station = reader.ReadInt32(), Grid = reader.ReadInt32(), Area = reader.ReadInt32(), Check = reader.ReadUInt32() };
        }

        return count;
    }

    private static ulong NonZero(ulong hash) => hash == 0 ? 1 : hash;
}
