using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.State;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.RuleEngine.Engine;

/// <summary>The table stores a <see cref="TableSnapshots"/> saves, one per compacted table topic.</summary>
public enum SnapshotTable
{
    /// <summary>fs.watchlist: the <see cref="State.Watchlist"/> FASTER store and its membership filter.</summary>
    Watchlist,

    /// <summary>fs.registry: the <see cref="State.Register"/> FASTER store.</summary>
    Register,

    /// <summary>fs.cells: the in-memory <see cref="CellTable"/>.</summary>
    Cells,
}

/// <summary>
/// One snapshot of one table: the store as of <see cref="Offsets"/>, and the string table it refers to. It exists only
/// once this manifest is in place, written last and atomically (temp file, fsync, rename), so a snapshot torn by a
/// crash has no manifest and is never used.
/// </summary>
public sealed record TableSnapshotManifest
{
    /// <summary>Increasing snapshot number, per table.</summary>
    public required long Sequence { get; init; }

    /// <summary>Wall-clock time the snapshot was taken (epoch ms).</summary>
    public required long CreatedMs { get; init; }

    /// <summary>Which table.</summary>
    public required SnapshotTable Table { get; init; }

    /// <summary>Per partition, the next offset to read: the snapshot holds every record below it.</summary>
    public required IReadOnlyList<long> Offsets { get; init; }

    /// <summary>FASTER checkpoint token of the table's store; null for the cells (in memory).</summary>
    public Guid? Store { get; init; }

    /// <summary>Watchlist entries, register subject records applied, or cells.</summary>
    public long Entries { get; init; }

    /// <summary>Strings of the string table saved with the snapshot (references 1..Strings).</summary>
    public int Strings { get; init; }

    /// <summary>Length of the strings file, in bytes.</summary>
    public long StringsBytes { get; init; }

    /// <summary>Length of the data file (watchlist filter bits, or cells); 0 when the table has none.</summary>
    public long DataBytes { get; init; }
}

/// <summary>
/// Snapshots of the table stores (watchlist, register, cells), so that a restart reads only what was added to the table
/// topics since, instead of the whole topics (a Kafka Streams global table restored from its checkpoint).
/// </summary>
/// <remarks>
/// <para>A snapshot is taken by the table's follower thread, its only writer, between two records
/// (<see cref="StartOf"/> hands the follower the callback): a FASTER snapshot checkpoint of the store, the membership
/// filter's bits (watchlist) or every cell (cells), the shared <see cref="StringTable"/>'s strings in id order, and the
/// next offset per partition, committed by the manifest. The newest two per table are kept.</para>
/// <para><see cref="Restore"/> runs once at start, before any session is opened and before anything interns: per table
/// it picks the newest snapshot whose files are whole and whose offsets are within the partitions' current
/// [low, high] watermarks with the same partition count (else the topic was recreated or compacted past it: that table
/// is read from the beginning) and which is younger than <see cref="MaxAge"/>. The strings are restored from the longest string list among the picked snapshots
/// (the table is append-only, so every other one must be a prefix of it, which is checked), then each store.</para>
/// <para>Files: <c>{directory}/{table}/snapshot-{sequence}.json</c> (manifest), <c>.strings</c> (count, then each string
/// length-prefixed UTF-8), <c>.data</c> (filter bits or cells); FASTER checkpoints live in the store's own folder.</para>
/// </remarks>
public sealed partial class TableSnapshots
{
    private const string Prefix = "snapshot-";
    private const int Kept = 2;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter() } };
    private static readonly SnapshotTable[] AllTables = [SnapshotTable.Watchlist, SnapshotTable.Register, SnapshotTable.Cells];

    private readonly string _directory;
    private readonly EngineStores _stores;
    private readonly ILogger _logger;
    private readonly long[] _sequences = new long[AllTables.Length];
    private readonly TableSnapshotManifest?[] _restored = new TableSnapshotManifest?[AllTables.Length];
    private readonly long[] _taken = new long[AllTables.Length];

    /// <summary>Keeps the snapshots of <paramref name="stores"/>' tables under <paramref name="directory"/>.</summary>
    public TableSnapshots(string directory, EngineStores stores, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(stores);
        _directory = directory;
        _stores = stores;
        _logger = logger ?? NullLogger.Instance;
        foreach (var table in AllTables)
        {
            Directory.CreateDirectory(FolderOf(table));
            _sequences[(int)table] = ManifestFiles(table).Select(f => SequenceOf(f)).DefaultIfEmpty(0).Max();
        }
    }

    /// <summary>The least time between two snapshots of a table that changed; 60 s by default.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The oldest snapshot <see cref="Restore"/> uses; 12 h by default. A compacted topic drops a tombstone once it is
    /// older than its <c>delete.retention.ms</c> (24 h by default): a snapshot older than that may hold an entry whose
    /// removal is no longer in the topic, so an older snapshot is not used and the table is read from the beginning.
    /// Keep it below the table topics' <c>delete.retention.ms</c>.
    /// </summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(12);

    /// <summary>The snapshot <see cref="Restore"/> restored for <paramref name="table"/>; null when it is read from the beginning.</summary>
    public TableSnapshotManifest? Restored(SnapshotTable table) => _restored[(int)table];

    /// <summary>Snapshots of <paramref name="table"/> taken by this instance.</summary>
    public long Taken(SnapshotTable table) => Interlocked.Read(ref _taken[(int)table]);

    /// <summary>The manifests of <paramref name="table"/> on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<TableSnapshotManifest> Manifests(SnapshotTable table)
    {
        var files = ManifestFiles(table);
        Array.Sort(files, StringComparer.Ordinal);
        for (var i = files.Length - 1; i >= 0; i--)
        {
            TableSnapshotManifest? manifest = null;
            try
            {
                manifest = JsonSerializer.Deserialize<TableSnapshotManifest>(File.ReadAllText(files[i]), Json);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                // A manifest is renamed into place whole; an unreadable one was damaged after the fact: skip it.
            }

            if (manifest is not null && manifest.Table == table && manifest.Sequence == SequenceOf(files[i]))
            {
                yield return manifest;
            }
        }
    }

    /// <summary>
    /// Restores every table that has a usable snapshot into the stores, strings first. Call it once, at start, before
    /// any session is opened on the stores and before anything interns a string.
    /// </summary>
    /// <param name="watermarks">Per table, its topic's partitions with their current watermarks; null (or a throw)
    /// when they cannot be had, which reads that table from the beginning.</param>
    /// <exception cref="InvalidOperationException">Strings were interned already.</exception>
    public void Restore(Func<SnapshotTable, IReadOnlyList<PartitionWatermarks>?> watermarks)
    {
        ArgumentNullException.ThrowIfNull(watermarks);
        if (_stores.Strings.Count != 1)
        {
            throw new InvalidOperationException("Table snapshots are restored before anything interns a string.");
        }

        var clock = Stopwatch.StartNew();
        var picked = new Dictionary<SnapshotTable, TableSnapshotManifest>();
        foreach (var table in AllTables)
        {
            if (Pick(table, watermarks) is { } manifest)
            {
                picked[table] = manifest;
            }
        }

        // The longest string list all picked snapshots agree with (each is a prefix of it).
        var strings = SavedStrings.Empty;
        foreach (var (table, manifest) in picked.OrderByDescending(p => p.Value.Strings).ToList())
        {
            var saved = TryReadStrings(table, manifest);
            if (saved is null)
            {
                picked.Remove(table);
                Log.Discarded(_logger, table, manifest.Sequence, "its strings file cannot be read");
            }
            else if (strings.Count == 0)
            {
                strings = saved;
            }
            else if (!saved.IsPrefixOf(strings))
            {
                picked.Remove(table);
                Log.Discarded(_logger, table, manifest.Sequence, "its strings disagree with the other tables' snapshots");
            }
        }

        _stores.Strings.Restore(strings);
        foreach (var (table, manifest) in picked)
        {
            try
            {
                RestoreStore(table, manifest);
                _restored[(int)table] = manifest;
                Log.Restored(_logger, table, manifest.Sequence, manifest.Entries, manifest.Offsets);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // FASTER reports damaged checkpoint files with assorted exceptions, before it changes the store.
                Log.Discarded(_logger, table, manifest.Sequence, "its store cannot be recovered: " + e.Message);
            }
        }

        // The store's log is written on from what was restored (or from its start): snapshots newer than the restored
        // one (or all of them) no longer match it, so none of them may be restored later.
        foreach (var table in AllTables)
        {
            DeleteNewerThan(table, _restored[(int)table]?.Sequence ?? 0);
        }

        Log.RestoreDone(_logger, picked.Count, strings.Count, clock.ElapsedMilliseconds);
    }

    /// <summary>
    /// Where the follower of <paramref name="table"/> starts (the restored snapshot's offsets, or the beginning) and the
    /// callback that snapshots the table on the follower's thread every <see cref="Interval"/> and at a clean stop.
    /// </summary>
    public TableFollowerStart StartOf(SnapshotTable table) => new()
    {
        Offsets = _restored[(int)table]?.Offsets,
        BetweenRecords = offsets => Take(table, offsets),
        Interval = Interval,
    };

    /// <summary>
    /// Takes and commits a snapshot of <paramref name="table"/> as of <paramref name="nextOffsets"/>, then drops all but
    /// the newest two. Call it on the table's only writing thread, between two records.
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="nextOffsets">Per partition, the offset after the last record applied.</param>
    /// <returns>The committed manifest.</returns>
    public TableSnapshotManifest Take(SnapshotTable table, IReadOnlyList<long> nextOffsets)
    {
        ArgumentNullException.ThrowIfNull(nextOffsets);
        var clock = Stopwatch.StartNew();
        var sequence = Interlocked.Increment(ref _sequences[(int)table]);
        Guid? token = null;
        long entries;
        long dataBytes = 0;
        switch (table)
        {
            case SnapshotTable.Watchlist:
                entries = _stores.Watchlist.Count;
                token = _stores.Watchlist.Checkpoint();
                using (var data = Create(PathOf(table, sequence, ".data")))
                {
                    _stores.Watchlist.Filter.WriteTo(data);
                    dataBytes = Sync(data);
                }

                break;
            case SnapshotTable.Register:
                entries = _stores.Register.SubjectsApplied;
                token = _stores.Register.Checkpoint();
                break;
            default:
                using (var data = Create(PathOf(table, sequence, ".data")))
                {
                    using (var writer = new BinaryWriter(data, Encoding.UTF8, leaveOpen: true))
                    {
                        entries = _stores.Cells.WriteTo(writer);
                    }

                    dataBytes = Sync(data);
                }

                break;
        }

        // After the store: every string the store refers to was interned before, so it is in the list.
        var strings = _stores.Strings.Count;
        long stringsBytes;
        using (var file = Create(PathOf(table, sequence, ".strings")))
        {
            using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(strings - 1);
            }

            _stores.Strings.WriteTo(file, 1, strings);
            stringsBytes = Sync(file);
        }

        var manifest = new TableSnapshotManifest
        {
            Sequence = sequence,
            CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Table = table,
            Offsets = nextOffsets.ToArray(),
            Store = token,
            Entries = entries,
            Strings = strings - 1,
            StringsBytes = stringsBytes,
            DataBytes = dataBytes,
        };
        var name = PathOf(table, sequence, ".json");
        using (var file = Create(name + ".tmp"))
        {
            JsonSerializer.Serialize(file, manifest, Json);
            Sync(file);
        }

        File.Move(name + ".tmp", name, overwrite: true);
        Interlocked.Increment(ref _taken[(int)table]);
        Prune(table);
        Log.Taken(_logger, table, sequence, entries, clock.ElapsedMilliseconds);
        return manifest;
    }

    private TableSnapshotManifest? Pick(SnapshotTable table, Func<SnapshotTable, IReadOnlyList<PartitionWatermarks>?> watermarks)
    {
        var manifests = Manifests(table).ToList();
        if (manifests.Count == 0)
        {
            return null;
        }

        IReadOnlyList<PartitionWatermarks>? partitions;
        try
        {
            partitions = watermarks(table);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.Discarded(_logger, table, manifests[0].Sequence, "the topic's watermarks cannot be queried: " + e.Message);
            return null;
        }

        if (partitions is null)
        {
            Log.Discarded(_logger, table, manifests[0].Sequence, "the topic's watermarks are unknown");
            return null;
        }

        foreach (var manifest in manifests)
        {
            var why = Unusable(table, manifest, partitions);
            if (why is null)
            {
                return manifest;
            }

            Log.Discarded(_logger, table, manifest.Sequence, why);
        }

        return null;
    }

    private string? Unusable(SnapshotTable table, TableSnapshotManifest manifest, IReadOnlyList<PartitionWatermarks> partitions)
    {
        var age = TimeSpan.FromMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - manifest.CreatedMs);
        if (age > MaxAge)
        {
            return $"it is {age.TotalHours:F1} h old, more than {MaxAge.TotalHours:F1} h (tombstones since may be compacted away)";
        }

        if (manifest.Offsets.Count != partitions.Count)
        {
            return $"it has {manifest.Offsets.Count} partitions, the topic now {partitions.Count}";
        }

        for (var p = 0; p < partitions.Count; p++)
        {
            var offset = manifest.Offsets[p];
            if (offset < partitions[p].Low || offset > partitions[p].High)
            {
                return $"partition {p} offset {offset} is outside the topic's [{partitions[p].Low}, {partitions[p].High}] (recreated or compacted past it)";
            }
        }

        if (Length(PathOf(table, manifest.Sequence, ".strings")) != manifest.StringsBytes)
        {
            return "its strings file is missing or torn";
        }

        if (table != SnapshotTable.Register && Length(PathOf(table, manifest.Sequence, ".data")) != manifest.DataBytes)
        {
            return "its data file is missing or torn";
        }

        if (table == SnapshotTable.Watchlist && manifest.DataBytes != _stores.Watchlist.Filter.SizeBytes)
        {
            return $"its filter has {manifest.DataBytes} bytes, this store's {_stores.Watchlist.Filter.SizeBytes} (expected entries changed)";
        }

        if (table != SnapshotTable.Cells && manifest.Store is null)
        {
            return "it names no store checkpoint";
        }

        var hasCheckpoint = table switch
        {
            SnapshotTable.Watchlist => _stores.Watchlist.HasCheckpoint(manifest.Store!.Value),
            SnapshotTable.Register => _stores.Register.HasCheckpoint(manifest.Store!.Value),
            _ => true,
        };
        if (!hasCheckpoint)
        {
            return "its store checkpoint is missing or torn";
        }

        return null;
    }

    private void RestoreStore(SnapshotTable table, TableSnapshotManifest manifest)
    {
        switch (table)
        {
            case SnapshotTable.Watchlist:
                using (var data = File.OpenRead(PathOf(table, manifest.Sequence, ".data")))
                {
                    _stores.Watchlist.Filter.ReadFrom(data);
                }

                _stores.Watchlist.Recover(manifest.Store!.Value, manifest.Entries);
                break;
            case SnapshotTable.Register:
                _stores.Register.Recover(manifest.Store!.Value, manifest.Entries);
                break;
            default:
                using (var data = File.OpenRead(PathOf(table, manifest.Sequence, ".data")))
                using (var reader = new BinaryReader(data, Encoding.UTF8))
                {
                    _stores.Cells.ReadFrom(reader);
                }

                break;
        }
    }

    // The snapshot's strings file: a count, then the strings as the table stores them.
    private SavedStrings? TryReadStrings(SnapshotTable table, TableSnapshotManifest manifest)
    {
        try
        {
            using var file = new FileStream(PathOf(table, manifest.Sequence, ".strings"), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> header = stackalloc byte[sizeof(int)];
            file.ReadExactly(header);
            if (BinaryPrimitives.ReadInt32LittleEndian(header) != manifest.Strings || file.Length - file.Position > Array.MaxLength)
            {
                return null;
            }

            var bytes = new byte[file.Length - file.Position];
            file.ReadExactly(bytes);
            return SavedStrings.TryRead(bytes, manifest.Strings);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void Prune(SnapshotTable table)
    {
        var kept = Manifests(table).Take(Kept).ToList();
        if (kept.Count < Kept)
        {
            return;
        }

        var oldestKept = kept[^1].Sequence;
        foreach (var old in Manifests(table).Skip(Kept).ToList())
        {
            if (old.Store is { } token && !kept.Any(k => k.Store == token))
            {
                Purge(table, token);
            }
        }

        // Every file of an older sequence: the manifests dropped and what a torn snapshot left behind.
        foreach (var file in Directory.GetFiles(FolderOf(table), Prefix + "*"))
        {
            if (SequenceOf(file) is var sequence && sequence > 0 && sequence < oldestKept)
            {
                File.Delete(file);
            }
        }
    }

    private void DeleteNewerThan(SnapshotTable table, long sequence)
    {
        foreach (var manifest in Manifests(table).Where(m => m.Sequence > sequence).ToList())
        {
            if (manifest.Store is { } token && _restored[(int)table]?.Store != token)
            {
                Purge(table, token);
            }
        }

        foreach (var file in Directory.GetFiles(FolderOf(table), Prefix + "*"))
        {
            if (SequenceOf(file) > sequence)
            {
                File.Delete(file);
            }
        }
    }

    private void Purge(SnapshotTable table, Guid token)
    {
        try
        {
            if (table == SnapshotTable.Watchlist)
            {
                _stores.Watchlist.Purge(token);
            }
            else
            {
                _stores.Register.Purge(token);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind; the next prune does not see it again, which costs disk only.
        }
    }

    private string FolderOf(SnapshotTable table) => Path.Combine(_directory, table.ToString().ToLowerInvariant());

    private string PathOf(SnapshotTable table, long sequence, string extension) =>
        Path.Combine(FolderOf(table), Prefix + sequence.ToString("D12", CultureInfo.InvariantCulture) + extension);

    private string[] ManifestFiles(SnapshotTable table) => Directory.GetFiles(FolderOf(table), Prefix + "*.json");

    private static long SequenceOf(string file)
    {
        var name = Path.GetFileName(file);
        var digits = name.AsSpan(Prefix.Length, Math.Min(12, Math.Max(0, name.Length - Prefix.Length)));
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : 0;
    }

    private static long Length(string file) => File.Exists(file) ? new FileInfo(file).Length : -1;

    private static FileStream Create(string path) => new(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);

    private static long Sync(FileStream file)
    {
        file.Flush(flushToDisk: true);
        return file.Length;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Table snapshot {Table} #{Sequence} taken: {Entries} entries in {Milliseconds} ms")]
        public static partial void Taken(ILogger logger, SnapshotTable table, long sequence, long entries, long milliseconds);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Table {Table} restored from snapshot #{Sequence} ({Entries} entries); reading on from offsets {Offsets}")]
        public static partial void Restored(ILogger logger, SnapshotTable table, long sequence, long entries, IEnumerable<long> offsets);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Table snapshot {Table} #{Sequence} not used, {Reason}")]
        public static partial void Discarded(ILogger logger, SnapshotTable table, long sequence, string reason);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Table snapshots: {Tables} tables and {Strings} strings restored in {Milliseconds} ms")]
        public static partial void RestoreDone(ILogger logger, int tables, int strings, long milliseconds);
    }
}
