using FraudShield.Contracts.Alerts.V1;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

public sealed class CheckpointTests
{
    private const string Victim = "8613800000031";

    private static CheckpointManifest Take(EngineHarness engine, EngineCheckpoints checkpoints, long sequence, params PartitionPosition[] positions)
    {
        var manifest = new CheckpointManifest
        {
            Sequence = sequence,
            CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            Parties = engine.Stores.Parties.Checkpoint(),
            Pairs = engine.Stores.Pairs.Checkpoint(),
            Positions = positions,
        };
        return checkpoints.Commit(manifest, engine.Stores);
    }

    // A call that opens the victim's incident, then checkpoints 1 and 2 after it.
    private static void TakeTwo(EngineHarness engine, EngineCheckpoints checkpoints)
    {
        engine.Call("c1", "+12025550100", Victim, T0, 1500);
        Take(engine, checkpoints, 1, new PartitionPosition("fs.calls", 0, 1));
        Take(engine, checkpoints, 2, new PartitionPosition("fs.calls", 0, 2));
    }

    // Overwrites manifest <sequence> with a torn one (cut mid-object).
    private static void DamageManifest(string folder, long sequence) =>
        File.WriteAllText(Path.Combine(folder, $"checkpoint-{sequence:D12}.json"), $"{{ \"sequence\": {sequence}, \"parties\": ");

    // Rewrites the folder's only manifest as manifests were written before the strings file: without its count, bytes
    // and hash, and with the string table inline when given.
    private static void RewriteAsPreStringsFile(string folder, string[]? inlineStrings)
    {
        var path = Directory.GetFiles(folder, "*.json").Single();
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json.Remove("string_count");
        json.Remove("strings_bytes");
        json.Remove("strings_hash");
        if (inlineStrings is not null)
        {
            json["strings"] = new System.Text.Json.Nodes.JsonArray([.. inlineStrings.Select(t => (System.Text.Json.Nodes.JsonNode?)t)]);
        }

        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void Recover_AfterCheckpoint_StateContinuesTheIncident()
    {
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        string alertId;
        using (var before = new EngineHarness(directory: dir.Path))
        {
            before.Call("c1", "+12025550100", Victim, T0, 1500);
            alertId = Assert.Single(before.Alerts).AlertId;
            Take(before, checkpoints, 1, new PartitionPosition("fs.calls", 0, 42));
        }

        using var after = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);
        after.Transfer("t1", Victim, "6222000000000001", T0 + (30 * Minute), 8_000_000);

        Assert.NotNull(after.Recovered);
        Assert.Equal([new PartitionPosition("fs.calls", 0, 42)], after.Recovered.Positions);
        var alert = Assert.Single(after.Alerts);
        Assert.Equal(alertId, alert.AlertId);
        Assert.Equal(2, alert.Version);
        Assert.Equal(Severity.L1, alert.Severity);
        Assert.Contains("R07", alert.RuleIds);
    }

    [Fact]
    public void Recover_ReplayAfterCheckpoint_SameIdsAndVersions()
    {
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        List<(string, int)> original;
        using (var first = new EngineHarness(directory: dir.Path))
        {
            first.Call("c1", "+12025550100", Victim, T0, 1500);
            Take(first, checkpoints, 1);
            first.Transfer("t1", Victim, "6222000000000001", T0 + (30 * Minute), 8_000_000);
            original = first.Alerts.Select(a => (a.AlertId, a.Version)).ToList();
        }

        // A crash after the transfer but before the next checkpoint: the transfer is read again after recovery.
        using var again = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);
        again.Transfer("t1", Victim, "6222000000000001", T0 + (30 * Minute), 8_000_000);

        Assert.Equal(original[1], (again.Alerts[0].AlertId, again.Alerts[0].Version));
    }

    [Fact]
    public void Recover_NewestManifestTorn_FallsBackToPrevious()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        using (var engine = new EngineHarness(directory: dir.Path))
        {
            TakeTwo(engine, checkpoints);
        }

        // A manifest damaged after the fact, and the temp file of a checkpoint that never committed.
        DamageManifest(folder, 2);
        File.WriteAllText(Path.Combine(folder, "checkpoint-000000000003.json.tmp"), "{}");
        using var recovered = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);

        Assert.Equal(1, recovered.Recovered!.Sequence);
    }

    [Fact]
    public void Commit_ManyCheckpoints_KeepsNewestTwo()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        using var engine = new EngineHarness(directory: dir.Path);
        for (var i = 1; i <= 5; i++)
        {
            engine.Call($"c{i}", "+12025550100", Victim, T0 + (i * Hour * 10), 100);
            Take(engine, checkpoints, i);
        }

        Assert.Equal([5L, 4L], checkpoints.Manifests().Select(m => m.Sequence));
    }

    [Fact]
    public void Commit_PreviousManifestDamagedSinceItWasWritten_KeepsTheOneBeforeAsFallback()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        using (var engine = new EngineHarness(directory: dir.Path))
        {
            TakeTwo(engine, checkpoints);

            // The same process wrote (and knows) manifest 2; it is damaged on disk before the next commit. That commit
            // must not count it as the fallback and drop checkpoint 1, the only other one that recovers.
            DamageManifest(folder, 2);
            Take(engine, checkpoints, 3, new PartitionPosition("fs.calls", 0, 3));
        }

        Assert.Equal([3L, 1L], checkpoints.Manifests().Select(m => m.Sequence));
        File.Delete(Path.Combine(folder, "checkpoint-000000000003.json"));
        using var recovered = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);
        Assert.Equal(1, recovered.Recovered!.Sequence);
    }

    [Fact]
    public void Commit_AfterRecoveryPassedOverANewerCheckpoint_NumbersAboveItAndDeletesItsFiles()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        CheckpointManifest second;
        using (var engine = new EngineHarness(directory: dir.Path))
        {
            TakeTwo(engine, checkpoints);
            second = checkpoints.Manifests().First();
        }

        // Checkpoint 2's party snapshot is lost: its manifest reads, but recovery falls back to 1.
        Directory.Delete(Path.Combine(StoreCheckpoints(dir.Path, "parties"), "cpr-checkpoints", second.Parties.Log.ToString()), recursive: true);
        File.WriteAllText(Path.Combine(folder, "checkpoint-000000000002.json.tmp"), "{}");
        var passedOver = new List<(long Sequence, string Reason)>();
        using var recovered = new EngineHarness(directory: dir.Path, recover: stores => checkpoints.Recover(stores, (sequence, reason) => passedOver.Add((sequence, reason))));
        Assert.Equal(1, recovered.Recovered!.Sequence);
        Assert.Equal(2, Assert.Single(passedOver).Sequence);
        Assert.StartsWith("its store snapshots cannot be recovered", passedOver[0].Reason, StringComparison.Ordinal);

        // The next checkpoint follows 1 (its caller numbers it 2); it must not overwrite 2 and leak 2's pair snapshot.
        Assert.Equal(3, Take(recovered, checkpoints, recovered.Recovered.Sequence + 1).Sequence);
        Assert.Equal([3L, 1L], checkpoints.Manifests().Select(m => m.Sequence));
        Assert.Equal(["checkpoint-000000000001.json", "checkpoint-000000000003.json"], Directory.GetFiles(folder, "checkpoint-*").Select(Path.GetFileName).Order());
        Assert.DoesNotContain(second.Pairs.Log, StoreTokens(dir.Path, "pairs"));
        Assert.Equal(Named(checkpoints, m => m.Parties), StoreTokens(dir.Path, "parties"));
        Assert.Equal(Named(checkpoints, m => m.Pairs), StoreTokens(dir.Path, "pairs"));
    }

    [Fact]
    public void Recover_SecondStoreOfNewestCheckpointLost_FirstStoreRecoveredAgainFromThePreviousOne()
    {
        const string other = "8613800000032";
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        CheckpointManifest second;
        using (var before = new EngineHarness(directory: dir.Path))
        {
            before.Call("c1", "+12025550100", Victim, T0, 1500);
            Take(before, checkpoints, 1, new PartitionPosition("fs.calls", 0, 1));
            before.Call("c2", "+12025550100", other, T0 + Minute, 1500);
            second = Take(before, checkpoints, 2, new PartitionPosition("fs.calls", 0, 2));
            Assert.Equal(2, before.Alerts.Count);
        }

        // The party store recovers checkpoint 2, the pair store cannot: the party store must go back to checkpoint 1.
        Directory.Delete(Path.Combine(StoreCheckpoints(dir.Path, "pairs"), "cpr-checkpoints", second.Pairs.Log.ToString()), recursive: true);
        using var after = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);
        Assert.Equal(1, after.Recovered?.Sequence);

        // The victim's incident (before checkpoint 1) continues; the other party's call (after it) is not in the state.
        after.Transfer("t1", Victim, "6222000000000001", T0 + (30 * Minute), 8_000_000);
        after.Transfer("t2", other, "6222000000000002", T0 + (31 * Minute), 8_000_000);
        var alert = Assert.Single(after.Alerts);
        Assert.Contains("R07", alert.RuleIds);
        Assert.Equal(2, alert.Version);
    }

    [Fact]
    public void Commit_NewestManifestUnreadable_DeletedWithTheStoreCheckpointsNoManifestNames()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        using (var engine = new EngineHarness(directory: dir.Path))
        {
            TakeTwo(engine, checkpoints);

            // A crash between the stores' checkpoint and its manifest: snapshots no manifest names.
            engine.Stores.Parties.Checkpoint();
            engine.Stores.Pairs.Checkpoint();
        }

        DamageManifest(folder, 2);
        var passedOver = new List<(long Sequence, string Reason)>();
        using var recovered = new EngineHarness(directory: dir.Path, recover: stores => checkpoints.Recover(stores, (sequence, reason) => passedOver.Add((sequence, reason))));
        Assert.Equal(1, recovered.Recovered!.Sequence);
        Assert.Equal([(2L, "its manifest cannot be read")], passedOver);
        Assert.Equal(3, StoreTokens(dir.Path, "parties").Count);

        Take(recovered, checkpoints, 2);

        Assert.Equal([3L, 1L], checkpoints.Manifests().Select(m => m.Sequence));
        Assert.Equal(2, Directory.GetFiles(folder, "checkpoint-*").Length);
        Assert.Equal(Named(checkpoints, m => m.Parties), StoreTokens(dir.Path, "parties"));
        Assert.Equal(Named(checkpoints, m => m.Pairs), StoreTokens(dir.Path, "pairs"));
    }

    [Fact]
    public void Recover_OnlyOneStoreOfTheOnlyCheckpointRecovers_RefusedNamingTheFolder()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        CheckpointManifest only;
        using (var engine = new EngineHarness(directory: dir.Path))
        {
            engine.Call("c1", "+12025550100", Victim, T0, 1500);
            only = Take(engine, checkpoints, 1);
        }

        // The party store would hold checkpoint 1's state, the pair store none: a replay from the beginning on top of
        // that would apply events twice.
        Directory.Delete(Path.Combine(StoreCheckpoints(dir.Path, "pairs"), "cpr-checkpoints", only.Pairs.Log.ToString()), recursive: true);
        using var stores = new EngineStores(new FasterStoreOptions { Directory = dir.Path, IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20 });
        var refused = Assert.Throws<InvalidOperationException>(() => checkpoints.Recover(stores));
        Assert.Contains("Checkpoint 1", refused.Message, StringComparison.Ordinal);
        Assert.Contains(folder, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Commit_AfterRecoveryFoundNothing_KeepsNoFallback()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        List<CheckpointManifest> taken = [];
        using (var engine = new EngineHarness(directory: dir.Path))
        {
            engine.Call("c1", "+12025550100", Victim, T0, 1500);
            taken.Add(Take(engine, checkpoints, 1));
            taken.Add(Take(engine, checkpoints, 2));
        }

        // Neither party snapshot recovers: the process starts empty, and its log overwrites what theirs relied on.
        foreach (var manifest in taken)
        {
            Directory.Delete(Path.Combine(StoreCheckpoints(dir.Path, "parties"), "cpr-checkpoints", manifest.Parties.Log.ToString()), recursive: true);
        }

        using var fresh = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);
        Assert.Null(fresh.Recovered);
        Take(fresh, checkpoints, 1);

        Assert.Equal([3L], checkpoints.Manifests().Select(m => m.Sequence));
        Assert.Equal(Named(checkpoints, m => m.Parties), StoreTokens(dir.Path, "parties"));
        Assert.Equal(Named(checkpoints, m => m.Pairs), StoreTokens(dir.Path, "pairs"));
    }

    [Fact]
    public void Commit_ForeignEntriesInAStoreCheckpointFolder_LeftAlone()
    {
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        using var engine = new EngineHarness(directory: dir.Path);
        Take(engine, checkpoints, 1);

        // An editor's backup file and a folder that is no FASTER token (FASTER's own listing throws on both).
        var cpr = Path.Combine(StoreCheckpoints(dir.Path, "parties"), "cpr-checkpoints");
        File.WriteAllText(Path.Combine(cpr, "notes.txt~"), "x");
        Directory.CreateDirectory(Path.Combine(cpr, "old"));
        Take(engine, checkpoints, 2);
        Take(engine, checkpoints, 3);

        Assert.Equal([3L, 2L], checkpoints.Manifests().Select(m => m.Sequence));
        Assert.True(File.Exists(Path.Combine(cpr, "notes.txt~")));
        Assert.True(Directory.Exists(Path.Combine(cpr, "old")));
        Assert.Equal(Named(checkpoints, m => m.Parties), StoreTokens(dir.Path, "parties"));
    }

    private static string StoreCheckpoints(string directory, string store) => Path.Combine(directory, store, "checkpoints");

    // Tokens of the store checkpoints on disk (index and log folders), sorted.
    private static List<Guid> StoreTokens(string directory, string store) =>
        [.. new[] { "cpr-checkpoints", "index-checkpoints" }
            .Select(kind => Path.Combine(StoreCheckpoints(directory, store), kind))
            .Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .Where(d => Guid.TryParse(Path.GetFileName(d), out _))
            .Select(d => Guid.Parse(Path.GetFileName(d)))
            .Distinct()
            .Order()];

    // Tokens the manifests on disk name for one store, sorted.
    private static List<Guid> Named(EngineCheckpoints checkpoints, Func<CheckpointManifest, StoreCheckpoint> store) =>
        [.. checkpoints.Manifests().Select(store).SelectMany(c => new[] { c.Index, c.Log }).Distinct().Order()];

    [Fact]
    public void Recover_NoCheckpoint_Null()
    {
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        using var engine = new EngineHarness(directory: dir.Path, recover: checkpoints.Recover);

        Assert.Null(engine.Recovered);
    }

    [Theory]
    [InlineData(new string[0], new[] { "A", "B" }, true, new[] { "A", "B" })]
    [InlineData(new[] { "A" }, new[] { "A", "B" }, true, new[] { "A", "B" })]
    [InlineData(new[] { "A", "B", "C" }, new[] { "A", "B" }, true, new[] { "A", "B", "C" })]
    [InlineData(new[] { "A", "C" }, new[] { "A", "B" }, false, new[] { "A", "C" })]
    public void AlignStrings_TablePrefixExtended_DisagreementRefused(string[] table, string[] saved, bool aligned, string[] after)
    {
        var strings = new StringTable();
        foreach (var value in table)
        {
            strings.Intern(value);
        }

        Assert.Equal(aligned, EngineCheckpoints.TryAlignStrings(strings, SavedStrings.From(saved)));
        Assert.Equal(after, strings.Snapshot());
    }

    [Fact]
    public void Commit_SavesOnlyNewStrings_RecoveryRestoresThemInOrder()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        var file = Path.Combine(folder, CheckpointStrings.FileName);
        CheckpointManifest second;
        using (var before = new EngineHarness(directory: dir.Path))
        {
            var first = checkpoints.Commit(Take(before, checkpoints, 1) with { Sequence = 2 }, before.Stores);
            var length = new FileInfo(file).Length;
            Assert.Equal(before.Stores.Strings.Count - 1, first.StringCount);
            Assert.Equal(length, first.StringsBytes);

            before.Stores.Strings.Intern("station-new");
            second = checkpoints.Commit(Take(before, checkpoints, 3) with { Sequence = 4 }, before.Stores);

            // One length-prefixed string more, not the table again.
            Assert.Equal(length + 1 + "station-new".Length, new FileInfo(file).Length);
            Assert.Equal(first.StringCount + 1, second.StringCount);
        }

        using var after = new EngineHarness(directory: dir.Path, recover: new EngineCheckpoints(folder).Recover);
        Assert.Equal(4, after.Recovered?.Sequence);
        Assert.Equal(second.StringCount, after.Stores.Strings.Count - 1);
        Assert.Equal("station-new", after.Stores.Strings[second.StringCount]);
    }

    [Fact]
    public void Recover_StringsRewrittenDifferentlyByALaterProcess_OlderCheckpointRefused()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var strings = new CheckpointStrings(folder);
        Directory.CreateDirectory(folder);
        var table = new StringTable();
        table.Intern("A");
        table.Intern("B");
        var (count, bytes, hash) = strings.Save(table);
        var old = new CheckpointManifest { Sequence = 1, CreatedMs = 0, Parties = default, Pairs = default, Positions = [], StringCount = count, StringsBytes = bytes, StringsHash = hash };
        Assert.Equal(["A", "B"], Decoded(strings.TryRead(old)));

        // A new process whose table disagrees after "A" rewrites the file on its first save.
        var other = new StringTable();
        other.Intern("A");
        other.Intern("C");
        new CheckpointStrings(folder).Save(other);

        Assert.Null(strings.TryRead(old));
        Assert.Null(strings.TryRead(old with { StringsHash = 0 }));
        Assert.Equal(["A"], Decoded(strings.TryRead(old with { StringCount = 1, StringsBytes = 2, StringsHash = System.IO.Hashing.XxHash3.HashToUInt64([1, (byte)'A']) })));
    }

    private static string[] Decoded(SavedStrings? saved)
    {
        Assert.NotNull(saved);
        return Enumerable.Range(0, saved.Count).Select(i => System.Text.Encoding.UTF8.GetString(saved[i])).ToArray();
    }

    [Fact]
    public void Recover_ManifestWithoutStrings_Refused()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        using (var before = new EngineHarness(directory: dir.Path))
        {
            before.Stores.Strings.Intern("station-1");
            Take(before, checkpoints, 1);
        }

        // As a manifest written before the strings file existed reads: no strings, no hash.
        RewriteAsPreStringsFile(folder, inlineStrings: null);

        using var after = new EngineHarness(directory: dir.Path, recover: new EngineCheckpoints(folder).Recover);
        Assert.Null(after.Recovered);
    }

    [Fact]
    public void Recover_ManifestWithInlineStrings_StillRecovers()
    {
        using var dir = new TempDirectory();
        var folder = Path.Combine(dir.Path, "checkpoints");
        var checkpoints = new EngineCheckpoints(folder);
        string[] table;
        using (var before = new EngineHarness(directory: dir.Path))
        {
            before.Stores.Strings.Intern("station-1");
            table = before.Stores.Strings.Snapshot();
            Take(before, checkpoints, 1);
        }

        // As a manifest written before the strings file existed reads: the table inline, no count, bytes or hash.
        RewriteAsPreStringsFile(folder, inlineStrings: table);
        File.Delete(Path.Combine(folder, CheckpointStrings.FileName));

        using var after = new EngineHarness(directory: dir.Path, recover: new EngineCheckpoints(folder).Recover);
        Assert.Equal(1, after.Recovered?.Sequence);
        Assert.Equal(table, after.Stores.Strings.Snapshot());
    }
}
