using System.Text;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.Engine;

public sealed class TableSnapshotsTests
{
    private const long Now = 1_790_000_000_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal static EngineStores NewStores(string directory) =>
        new(new FasterStoreOptions { Directory = directory, IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18, ExpectedEntries = 10_000 });

    internal static string WatchJson(string msisdn, string typology, string level = "CONFIRMED") =>
        $$"""{"key_type":"MSISDN","key":"{{msisdn}}","level":"{{level}}","typology":"{{typology}}"}""";

    private static void Watch(TableApplier applier, string json) =>
        Assert.True(applier.ApplyWatchlist(default, Encoding.UTF8.GetBytes(json), tombstone: false, out var error), error.ToString());

    private static void Unwatch(TableApplier applier, string recordKey) =>
        Assert.True(applier.ApplyWatchlist(Encoding.UTF8.GetBytes(recordKey), default, tombstone: true, out var error), error.ToString());

    private static void Cell(TableApplier applier, string cell, string station, string grid) =>
        Assert.True(applier.ApplyCell(Encoding.UTF8.GetBytes(cell), Encoding.UTF8.GetBytes($$"""{"cell_id":"{{cell}}","station_id":"{{station}}","grid_id":"{{grid}}","area":"North"}"""), tombstone: false, out var error), error.ToString());

    private static Func<SnapshotTable, IReadOnlyList<PartitionWatermarks>?> Watermarks(params (long Low, long High)[] partitions) =>
        _ => partitions.Select((w, p) => new PartitionWatermarks(p, w.Low, w.High)).ToArray();

    private static WatchHit? Lookup(EngineStores stores, string msisdn)
    {
        using var session = stores.Watchlist.NewSession();
        return session.TryLookup(WatchKeyType.Msisdn, ulong.Parse(msisdn.TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture), Now, out var hit) ? hit : null;
    }

    [Fact]
    public async Task Restore_AfterTake_WatchlistFilterRegisterCellsAndStringsRoundTrip()
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        int stringsBefore;
        string fraudTypologyBefore;
        using (var stores = NewStores(dir.Path))
        {
            new TableSnapshots(tables, stores).Restore(Watermarks((0, 0), (0, 0)));
            using var applier = new TableApplier(stores);
            for (var i = 0; i < 200; i++)
            {
                Watch(applier, WatchJson($"+86138000{i:D5}", i % 2 == 0 ? "SCAM_CALLER" : "MONEY_MULE", i % 3 == 0 ? "SUSPECTED" : "CONFIRMED"));
            }

            Unwatch(applier, "MSISDN:+8613800000007");
            Assert.True(applier.ApplyRegistry(Encoding.UTF8.GetBytes("""{"person_id":"P-1","msisdns":["+8613900000001"],"accounts":["6222000000000009"],"birth_year":1950,"station_id":"S05","beat_id":"S05-B1","grid_id":"S05-G02","grid_worker_id":"W-1"}"""), tombstone: false, out var error), error.ToString());
            Cell(applier, "460-00-1-1", "S07", "S07-G01");
            Cell(applier, "460-00-1-2", "S08", "S08-G01");
            Assert.True(applier.ApplyCell("460-00-1-2"u8, default, tombstone: true, out error), error.ToString());

            // An engine thread's idle read session on the watchlist does not hold up the follower's FASTER checkpoint.
            using var reader = await Task.Run(() => stores.Watchlist.NewSession()).WaitAsync(Timeout);
            Assert.True(reader.TryLookup(WatchKeyType.Msisdn, 8613800000000UL, Now, out _));

            var snapshots = new TableSnapshots(tables, stores);
            var watch = snapshots.Take(SnapshotTable.Watchlist, [120, 81]);
            snapshots.Take(SnapshotTable.Register, [1, 0]);
            snapshots.Take(SnapshotTable.Cells, [0, 3]);
            Assert.Equal(199, watch.Entries);
            stringsBefore = stores.Strings.Count;
            fraudTypologyBefore = stores.Strings[Lookup(stores, "+8613800000000")!.Value.Typology];
        }

        using var restored = NewStores(dir.Path);
        var again = new TableSnapshots(tables, restored);
        again.Restore(Watermarks((0, 200), (0, 200)));

        Assert.Equal([120L, 81L], again.Restored(SnapshotTable.Watchlist)!.Offsets);
        Assert.Equal([1L, 0L], again.StartOf(SnapshotTable.Register).Offsets);
        Assert.Equal([0L, 3L], again.StartOf(SnapshotTable.Cells).Offsets);
        Assert.Equal(stringsBefore, restored.Strings.Count);

        // Watchlist: entries, levels and typology strings; the removed one stays removed; the filter came back.
        Assert.Equal(199, restored.Watchlist.Count);
        var hit = Lookup(restored, "+8613800000000")!.Value;
        Assert.Equal(WatchLevel.Suspected, hit.Level);
        Assert.Equal("SCAM_CALLER", restored.Strings[hit.Typology]);
        Assert.Equal(fraudTypologyBefore, restored.Strings[hit.Typology]);
        Assert.Equal("MONEY_MULE", restored.Strings[Lookup(restored, "+8613800000199")!.Value.Typology]);
        Assert.Null(Lookup(restored, "+8613800000007"));
        Assert.Null(Lookup(restored, "+8613800000200"));
        using (var session = restored.Watchlist.NewSession())
        {
            // The filter is not rebuilt from the store: without its bits every restored key would be a filter miss.
            for (var i = 0; i < 200; i++)
            {
                Assert.Equal(i != 7, session.TryLookup(WatchKeyType.Msisdn, 8613800000000UL + (ulong)i, Now, out _));
            }
        }

        // Register: by number and by account, with its strings.
        using (var register = restored.Register.NewSession())
        {
            Assert.True(register.TryGetByNumber(8613900000001UL, out var subject));
            Assert.Equal("S05", restored.Strings[subject.Station]);
            Assert.Equal("S05-G02", restored.Strings[subject.Grid]);
            Assert.Equal(1950, subject.BirthYear);
            Assert.True(register.TryGetByAccount("6222000000000009"u8, out var byAccount));
            Assert.Equal("P-1", restored.Strings[byAccount.Person]);
            Assert.Equal(1, restored.Register.SubjectsApplied);
        }

        // Cells: the live one, not the removed one.
        Assert.Equal(1, restored.Cells.Count);
        Assert.True(restored.Cells.TryGet("460-00-1-1"u8, out var cell));
        Assert.Equal("S07", restored.Strings[cell.Station]);
        Assert.False(restored.Cells.TryGet("460-00-1-2"u8, out _));

        // New strings continue after the restored ones; old ones keep their ids.
        Assert.Equal(stringsBefore, restored.Strings.Intern("NEW_TYPOLOGY"));
        Assert.Equal(hit.Typology, restored.Strings.Intern("SCAM_CALLER"));

        // Writing on after the restore: the store and its filter take new entries and tombstones.
        using var applier2 = new TableApplier(restored);
        Watch(applier2, WatchJson("+8613800000500", "NEW_TYPOLOGY"));
        Unwatch(applier2, "MSISDN:+8613800000001");
        Assert.Equal("NEW_TYPOLOGY", restored.Strings[Lookup(restored, "+8613800000500")!.Value.Typology]);
        Assert.Null(Lookup(restored, "+8613800000001"));
        Assert.Equal(199, restored.Watchlist.Count);
    }

    public static TheoryData<string> TornNewest => ["manifest garbage", "manifest cut short", "strings file cut short", "filter file missing", "store checkpoint missing"];

    [Theory]
    [MemberData(nameof(TornNewest))]
    public void Restore_NewestSnapshotTorn_FallsBackToPrevious(string damage)
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        var folder = Path.Combine(tables, "watchlist");
        using (var stores = NewStores(dir.Path))
        {
            var snapshots = new TableSnapshots(tables, stores);
            snapshots.Restore(Watermarks((0, 0)));
            using var applier = new TableApplier(stores);
            Watch(applier, WatchJson("+8613800000001", "FIRST"));
            snapshots.Take(SnapshotTable.Watchlist, [1]);
            Watch(applier, WatchJson("+8613800000002", "SECOND"));
            var newest = snapshots.Take(SnapshotTable.Watchlist, [2]);

            // A snapshot cut short before its manifest was renamed into place leaves only a temp file.
            File.WriteAllText(Path.Combine(folder, "snapshot-000000000003.json.tmp"), "{\"sequence\":3,");
            var file = Path.Combine(folder, "snapshot-000000000002");
            switch (damage)
            {
                case "manifest garbage":
                    File.WriteAllText(file + ".json", "not json");
                    break;
                case "manifest cut short":
                    File.WriteAllText(file + ".json", File.ReadAllText(file + ".json")[..40]);
                    break;
                case "strings file cut short":
                    using (var strings = new FileStream(file + ".strings", FileMode.Open))
                    {
                        strings.SetLength(strings.Length - 3);
                    }

                    break;
                case "filter file missing":
                    File.Delete(file + ".data");
                    break;
                default:
                    stores.Watchlist.Purge(newest.Store!.Value);
                    break;
            }
        }

        using var restored = NewStores(dir.Path);
        var again = new TableSnapshots(tables, restored);
        again.Restore(Watermarks((0, 2)));

        Assert.Equal(1, again.Restored(SnapshotTable.Watchlist)!.Sequence);
        Assert.Equal([1L], again.StartOf(SnapshotTable.Watchlist).Offsets);
        Assert.Equal("FIRST", restored.Strings[Lookup(restored, "+8613800000001")!.Value.Typology]);
        Assert.Null(Lookup(restored, "+8613800000002"));
        Assert.Equal(1, restored.Watchlist.Count);
    }

    public static TheoryData<string, long, long, int> OutOfRange => new()
    {
        { "topic recreated: the saved offset is past the high watermark", 0, 3, 2 },
        { "compacted or deleted past the saved offset", 6, 9, 2 },
        { "partition count changed", 0, 9, 3 },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Restore_OffsetsOutsideWatermarksOrPartitionsChanged_ReadsFromTheBeginning(string why, long low, long high, int partitions)
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        using (var stores = NewStores(dir.Path))
        {
            var snapshots = new TableSnapshots(tables, stores);
            snapshots.Restore(Watermarks((0, 0), (0, 0)));
            using var applier = new TableApplier(stores);
            Watch(applier, WatchJson("+8613800000001", "OLD"));
            Cell(applier, "460-00-1-1", "S07", "S07-G01");
            snapshots.Take(SnapshotTable.Watchlist, [5, 4]);
            snapshots.Take(SnapshotTable.Cells, [5, 4]);
        }

        using var restored = NewStores(dir.Path);
        var again = new TableSnapshots(tables, restored);
        again.Restore(_ => Enumerable.Range(0, partitions).Select(p => new PartitionWatermarks(p, low, high)).ToArray());

        Assert.True(again.Restored(SnapshotTable.Watchlist) is null, why);
        Assert.Null(again.StartOf(SnapshotTable.Watchlist).Offsets);
        Assert.Null(again.StartOf(SnapshotTable.Cells).Offsets);
        Assert.Equal(0, restored.Watchlist.Count);
        Assert.Null(Lookup(restored, "+8613800000001"));
        Assert.Equal(0, restored.Cells.Count);
    }

    [Fact]
    public void Restore_SnapshotOlderThanMaxAge_ReadsFromTheBeginning()
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        using (var stores = NewStores(dir.Path))
        {
            var snapshots = new TableSnapshots(tables, stores);
            using var applier = new TableApplier(stores);
            Watch(applier, WatchJson("+8613800000001", "OLD"));
            snapshots.Take(SnapshotTable.Watchlist, [1]);
        }

        // Taken 13 h ago (the node was down that long): past the default 12 h.
        var manifest = Path.Combine(tables, "watchlist", "snapshot-000000000001.json");
        var thirteenHoursAgo = DateTimeOffset.UtcNow.AddHours(-13).ToUnixTimeMilliseconds();
        File.WriteAllText(manifest, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(manifest), "\"created_ms\": \\d+", $"\"created_ms\": {thirteenHoursAgo}"));

        using var restored = NewStores(dir.Path);
        var again = new TableSnapshots(tables, restored);
        Assert.Equal(thirteenHoursAgo, Assert.Single(again.Manifests(SnapshotTable.Watchlist)).CreatedMs);
        again.Restore(Watermarks((0, 1)));

        Assert.Null(again.Restored(SnapshotTable.Watchlist));
        Assert.Equal(0, restored.Watchlist.Count);
        Assert.Empty(again.Manifests(SnapshotTable.Watchlist));
    }

    [Fact]
    public void Restore_WatermarksUnavailable_ReadsFromTheBeginning()
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        using (var stores = NewStores(dir.Path))
        {
            var snapshots = new TableSnapshots(tables, stores);
            using var applier = new TableApplier(stores);
            Watch(applier, WatchJson("+8613800000001", "OLD"));
            snapshots.Take(SnapshotTable.Watchlist, [1]);
        }

        using var restored = NewStores(dir.Path);
        var again = new TableSnapshots(tables, restored);
        again.Restore(_ => throw new TimeoutException("no broker"));

        Assert.Null(again.Restored(SnapshotTable.Watchlist));
        Assert.Equal(0, restored.Watchlist.Count);
    }

    [Fact]
    public void Restore_AfterSomethingInterned_Throws()
    {
        using var dir = new TempDirectory();
        using var stores = NewStores(dir.Path);
        stores.Strings.Intern("early");

        Assert.Throws<InvalidOperationException>(() => new TableSnapshots(Path.Combine(dir.Path, "tables"), stores).Restore(Watermarks((0, 0))));
    }

    [Fact]
    public void Take_FourTimes_KeepsTheNewestTwo()
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        using var stores = NewStores(dir.Path);
        var snapshots = new TableSnapshots(tables, stores);
        using var applier = new TableApplier(stores);
        for (var i = 1; i <= 4; i++)
        {
            Watch(applier, WatchJson($"+861380000000{i}", "T" + i));
            snapshots.Take(SnapshotTable.Watchlist, [i]);
        }

        Assert.Equal([4L, 3L], snapshots.Manifests(SnapshotTable.Watchlist).Select(m => m.Sequence));
        string[] files = Directory.GetFiles(Path.Combine(tables, "watchlist")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            ["snapshot-000000000003.data", "snapshot-000000000003.json", "snapshot-000000000003.strings", "snapshot-000000000004.data", "snapshot-000000000004.json", "snapshot-000000000004.strings"],
            files);

        // A new instance continues the sequence.
        Assert.Equal(5, new TableSnapshots(tables, stores).Take(SnapshotTable.Watchlist, [5]).Sequence);
    }

    [Fact]
    public void Restore_StringsOfOneTableDisagree_DiscardsThatTable()
    {
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        using (var stores = NewStores(dir.Path))
        {
            var snapshots = new TableSnapshots(tables, stores);
            using var applier = new TableApplier(stores);
            Watch(applier, WatchJson("+8613800000001", "A"));
            Cell(applier, "460-00-1-1", "S07", "S07-G01");
            snapshots.Take(SnapshotTable.Watchlist, [1]);
            snapshots.Take(SnapshotTable.Cells, [1]);
        }

        // Another lineage's cells snapshot: same length of strings, other strings.
        using (var other = NewStores(Path.Combine(dir.Path, "other")))
        {
            var otherTables = Path.Combine(dir.Path, "other-tables");
            using var applier = new TableApplier(other);
            Cell(applier, "460-00-1-9", "X", "Y");
            new TableSnapshots(otherTables, other).Take(SnapshotTable.Cells, [1]);
            foreach (var file in Directory.GetFiles(Path.Combine(tables, "cells")))
            {
                File.Delete(file);
            }

            foreach (var file in Directory.GetFiles(Path.Combine(otherTables, "cells")))
            {
                File.Copy(file, Path.Combine(tables, "cells", Path.GetFileName(file)));
            }
        }

        using var restored = NewStores(dir.Path);
        var again = new TableSnapshots(tables, restored);
        again.Restore(Watermarks((0, 1)));

        Assert.NotNull(again.Restored(SnapshotTable.Watchlist));
        Assert.Null(again.Restored(SnapshotTable.Cells));
        Assert.Equal(0, restored.Cells.Count);
        Assert.Equal("A", restored.Strings[Lookup(restored, "+8613800000001")!.Value.Typology]);
    }
}
