using System.Text;
using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>The case store contract on <see cref="InProcessCaseStore"/>, plus its journal's own guarantees.</summary>
public sealed class InProcessCaseStoreTests : CaseStoreContractTests, IDisposable
{
    private readonly TempDirectory _root = new("fraudshield-cases");
    private readonly Dictionary<ICaseStore, string> _folders = [];

    public void Dispose() => _root.Dispose();

    protected override Task<ICaseStore> CreateAsync()
    {
        var folder = Path.Combine(_root.Path, Guid.NewGuid().ToString("N"));
        var store = InProcessCaseStore.Open(folder);
        _folders[store] = folder;
        return Task.FromResult<ICaseStore>(store);
    }

    protected override async Task<ICaseStore> ReopenAsync(ICaseStore store)
    {
        var folder = _folders[store];
        await store.DisposeAsync();
        var reopened = InProcessCaseStore.Open(folder);
        _folders[reopened] = folder;
        return reopened;
    }

    [Fact]
    public async Task UpdateAsync_ACaseAsTheEngineRaisesIt_DecodesItOnceAndWritesItsLineWithoutAString()
    {
        // A case as the bench's seed scenario leaves it (two hits with their values, two history events). Each change
        // decodes the stored case once (the transition's argument, then the answer's previous state; its current
        // state is what the transition returned) and formats the journal line straight into the journal's writer;
        // decoding it again for each answer and formatting the line into a string first (then copying it into bytes)
        // allocated three times as much.
        var folder = Path.Combine(_root.Path, Guid.NewGuid().ToString("N"));
        await using var store = InProcessCaseStore.Open(folder, flushToDisk: false);
        var alert = TestAlerts.Make("a1");
        alert.RuleIds.Add("R07");
        alert.Evidence = new Evidence();
        alert.Evidence.EventIds.Add(["t1-649193", "c1-649192"]);
        alert.Evidence.Facts.Add(new Dictionary<string, string> { ["notify_family"] = "1", ["event_time_ms"] = "1796672072890", ["counterpart_msisdn"] = "442079460137", ["payee_account"] = "6222880000000090" });
        foreach (var (rule, values) in new[] { ("R07", new[] { "amount_minor", "threshold_minor", "minutes_after_call" }), ("R08", new[] { "amount_minor", "confirmed" }) })
        {
            var hit = new RuleHit { RuleId = rule, Name = rule + "_NAME", Severity = Severity.L1 };
            foreach (var v in values)
            {
                hit.Values[v] = "8000000";
            }

            alert.Hits.Add(hit);
        }

        await store.UpdateAsync("a1", s => CaseTransitions.Open(s, alert, T0, Options)).WithTimeout();
        await store.UpdateAsync("a1", s => CaseTransitions.Deliver(s, T0 + 1, "station:S1")).WithTimeout();
        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        var line = (await File.ReadAllLinesAsync(journal))[^1].Length;
        Assert.InRange(line, 1_000, 4_000);

        // A change that stores nothing (the version already seen), and one that stores a new line, measured after a warm-up.
        for (var i = 0; i < 2; i++)
        {
            await store.UpdateAsync("a1", s => CaseTransitions.Open(s, alert, T0 + 2, Options));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var unchanged = await store.UpdateAsync("a1", s => CaseTransitions.Open(s, alert, T0 + 2, Options));
        var noChange = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(unchanged.Changed);

        before = GC.GetAllocatedBytesForCurrentThread();
        var signed = await store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0 + 3, "station:S1"));
        var change = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(signed.Changed);
        Assert.Equal(AlertStatus.Signed, signed.Current!.Status);
        Assert.Equal(AlertStatus.Delivered, signed.Previous!.Status);

        // Measured with a 1,403-byte line: 11,568 B a change, 4,624 B for none (37,448 and 13,744 B before).
        Assert.True(change < 10 * line, $"a change allocated {change} B for a line of {line} B");
        Assert.True(noChange < 5 * line, $"a change that stores nothing allocated {noChange} B (line {line} B)");
    }

    [Fact]
    public async Task Journal_GrownFourTimesPastItsCompactedSize_RewrittenAsOneLinePerCase_WhileOpen()
    {
        var folder = Path.Combine(_root.Path, Guid.NewGuid().ToString("N"));
        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        var store = InProcessCaseStore.Open(folder, flushToDisk: true, minCompactionBytes: 32 * 1024);
        await OpenAsync(store, "kept");
        await OpenAsync(store, "retired");
        await store.UpdateAsync("retired", s => CaseTransitions.Sign(s, "retired", T0 + 5, "station:S1")).WithTimeout();
        await store.UpdateAsync("retired", s => CaseTransitions.Close(s, "retired", Outcome.FalsePositive, 0, 0, T0 + 9, "station:S1")).WithTimeout();
        Assert.Equal(1, await store.RetireClosedAsync(T0 + 10, 10).AsTask().WithTimeout());

        // New versions of one alert until the journal passes the minimum: every one is a line until the compaction.
        var version = 1;
        while (store.Compactions == 0)
        {
            var next = TestAlerts.Make("kept", version: ++version);
            await store.UpdateAsync("kept", s => CaseTransitions.Open(s, next, T0 + version, Options)).WithTimeout();
            Assert.True(version < 1_000, "no compaction after 1,000 changes");
        }

        var kept = await store.GetAsync("kept").WithTimeout();
        var lines = await File.ReadAllLinesAsync(journal).WithTimeout();
        Assert.Equal(kept!.Revision, Assert.Single(lines.Select(l => Google.Protobuf.JsonParser.Default.Parse<CaseState>(l))).Revision);

        // Appending goes on in the new journal, and a reopen finds every change.
        await store.UpdateAsync("kept", s => CaseTransitions.Sign(s, "kept", T0 + 5_000, "station:S1")).WithTimeout();
        Assert.Equal(2, (await File.ReadAllLinesAsync(journal).WithTimeout()).Length);
        var signed = await store.GetAsync("kept").WithTimeout();
        await store.DisposeAsync();
        await using var reopened = InProcessCaseStore.Open(folder);
        Assert.Equal(signed, await reopened.GetAsync("kept").WithTimeout());
        Assert.Null(await reopened.GetAsync("retired").WithTimeout());
        Assert.Equal(1, reopened.Count);
    }

    [Fact]
    public async Task Open_TornLastLine_DroppedAndEarlierStateKept()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        await OpenAsync(store, "a1");
        await store.DisposeAsync();
        await File.AppendAllTextAsync(Path.Combine(folder, InProcessCaseStore.JournalFileName), "{\"alertId\":\"a2\",\"sta").WithTimeout();

        await using var reopened = InProcessCaseStore.Open(folder);
        Assert.NotNull(await reopened.GetAsync("a1").WithTimeout());
        Assert.Null(await reopened.GetAsync("a2").WithTimeout());
        Assert.Equal(1, reopened.Count);
    }

    [Fact]
    public async Task RetireClosed_WritesARetiredLine_WhichTheNextOpenCompactsAway()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        await OpenAsync(store, "kept");
        await OpenAsync(store, "retired-1");
        await store.UpdateAsync("retired-1", s => CaseTransitions.Sign(s, "retired-1", T0 + 5, "station:S1")).WithTimeout();
        await store.UpdateAsync("retired-1", s => CaseTransitions.Close(s, "retired-1", Outcome.FalsePositive, 0, 0, T0 + 9, "station:S1")).WithTimeout();

        Assert.Equal(1, await store.RetireClosedAsync(T0 + 10, 10).AsTask().WithTimeout());
        Assert.EndsWith("{\"retired\":\"retired-1\"}\n", await File.ReadAllTextAsync(journal).WithTimeout(), StringComparison.Ordinal);
        await store.DisposeAsync();

        await using var reopened = InProcessCaseStore.Open(folder);
        Assert.Equal(1, reopened.Count);
        Assert.DoesNotContain("retired-1", await File.ReadAllTextAsync(journal).WithTimeout(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_MalformedRetiredLineBeforeTheEnd_FailsNamingTheLine()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        await store.DisposeAsync();
        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        await File.WriteAllTextAsync(journal, "{\"alertId\":\"a1\"}\n{\"retired\":42}\n{\"alertId\":\"a2\"}\n", Encoding.UTF8).WithTimeout();

        var ex = Assert.Throws<InvalidDataException>(() => InProcessCaseStore.Open(folder));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("retired", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_CorruptLineBeforeTheEnd_FailsNamingTheLine()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        await store.DisposeAsync();
        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        await File.WriteAllTextAsync(journal, "garbage\n{\"alertId\":\"a1\"}\n", Encoding.UTF8).WithTimeout();

        var ex = Assert.Throws<InvalidDataException>(() => InProcessCaseStore.Open(folder));
        Assert.Contains("line 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_FolderHeldByAnotherStore_Throws()
    {
        await using var store = await CreateAsync();
        Assert.ThrowsAny<IOException>(() => InProcessCaseStore.Open(_folders[store]));
    }

    [Fact]
    public async Task Open_AfterManyChanges_CompactsToOneLinePerCase()
    {
        var store = await CreateAsync();
        var folder = _folders[store];
        for (var i = 0; i < 5; i++)
        {
            await OpenAsync(store, $"a{i}");
            await store.UpdateAsync($"a{i}", s => CaseTransitions.Sign(s, $"a{i}", T0 + 1, "station:S1")).WithTimeout();
        }

        var journal = Path.Combine(folder, InProcessCaseStore.JournalFileName);
        await store.DisposeAsync();
        Assert.Equal(10, (await File.ReadAllLinesAsync(journal).WithTimeout()).Length);

        await using var reopened = InProcessCaseStore.Open(folder);
        Assert.Equal(5, (await File.ReadAllLinesAsync(journal).WithTimeout()).Length);
        Assert.All(await reopened.QueryAsync(new CaseQuery()).WithTimeout(), s => Assert.Equal(AlertStatus.Signed, s.Status));
    }

    [Fact]
    public async Task UpdateRederivable_InTheJournalWithoutADiskFlush_TheNextUpdateFlushesIt()
    {
        var store = (InProcessCaseStore)await CreateAsync();
        var journal = Path.Combine(_folders[store], InProcessCaseStore.JournalFileName);

        var opened = await store.UpdateRederivableAsync("a1", s => CaseTransitions.Open(s, TestAlerts.Make("a1"), T0, Options)).WithTimeout();
        var delivered = await store.UpdateRederivableAsync("a1", s => CaseTransitions.Deliver(s, T0 + 1, "station:S1")).WithTimeout();

        // Stored and in the journal file (the operating system has it, so a crash of the process loses nothing), with
        // no flush to the disk on the alert's path.
        Assert.Equal((1, 2), (opened.Current!.Revision, delivered.Current!.Revision));
        Assert.Equal(0, store.DiskFlushes);
        Assert.Equal(2, await LinesWithAsync(journal, "\"a1\""));

        var signed = await store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0 + 2, "station:S1")).WithTimeout();
        Assert.Equal(3, signed.Current!.Revision);
        Assert.Equal(1, store.DiskFlushes);
        Assert.Equal(3, await LinesWithAsync(journal, "\"a1\""));
        await store.DisposeAsync();
    }

    [Fact]
    public async Task CaseService_AlertPathFlushesNothing_ASignForWaitsForTheDisk()
    {
        var store = (InProcessCaseStore)await CreateAsync();
        using var hub = new AlertHub();
        var cases = new CaseService(store, hub, new InMemoryOutcomeSink(), Options);

        Assert.True(await cases.PublishAsync(TestAlerts.Make("a1", station: "S1")).WithTimeout());
        await cases.MarkDeliveredAsync("a1", "station:S1").WithTimeout();
        Assert.Equal(0, store.DiskFlushes);

        await cases.AckAsync("a1", DispatchCaller.Anonymous).WithTimeout();
        Assert.Equal(1, store.DiskFlushes);
        await store.DisposeAsync();
    }

    [Fact]
    public async Task UpdateAsync_WaitingForTheDisk_HoldsUpNoOtherChange_AndChangesWaitingTogetherShareOneFlush()
    {
        // A signature waits for the disk (1 ms at the median, tens of ms at the tail); the alerts' openings and
        // deliveries meanwhile must not wait behind it for the store's lock.
        var store = (InProcessCaseStore)await CreateAsync();
        foreach (var id in new[] { "a1", "a2", "a3" })
        {
            await store.UpdateRederivableAsync(id, s => CaseTransitions.Open(s, TestAlerts.Make(id), T0, Options)).WithTimeout();
        }

        var flushes = 0;
        using var flushing = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        store.DiskFlushStarting = () =>
        {
            Interlocked.Increment(ref flushes);
            flushing.Release();
            release.Wait(TimeoutExtensions.DefaultTimeout);
        };

        var first = Task.Run(() => store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0 + 1, "station:S1")).AsTask());
        Assert.True(await flushing.WaitAsync(TimeoutExtensions.DefaultTimeout));

        var opened = await store.UpdateRederivableAsync("a4", s => CaseTransitions.Open(s, TestAlerts.Make("a4"), T0 + 2, Options)).WithTimeout();
        var delivered = await store.UpdateRederivableAsync("a2", s => CaseTransitions.Deliver(s, T0 + 3, "station:S1")).WithTimeout();
        Assert.True(opened.Changed && delivered.Changed);

        // Two more signatures written while the first one's flush is held: they wait for the disk behind it, and the
        // flush after it takes both there.
        var later = new[] { "a2", "a3" }.Select(id => Task.Run(() => store.UpdateAsync(id, s => CaseTransitions.Sign(s, id, T0 + 4, "station:S1")).AsTask())).ToArray();
        await Poll.UntilAsync(
            () => store.GetAsync("a2").AsTask().Result?.Status == AlertStatus.Signed && store.GetAsync("a3").AsTask().Result?.Status == AlertStatus.Signed,
            "both later signatures to be stored");
        Assert.False(first.IsCompleted || later.Any(t => t.IsCompleted));

        release.Set();
        await Task.WhenAll(later.Append(first)).WithTimeout();
        Assert.Equal(2, Volatile.Read(ref flushes));
        Assert.Equal(3, store.DiskFlushes);
        await store.DisposeAsync();
    }

    private static async Task<int> LinesWithAsync(string path, string text)
    {
        // The store holds the journal open for appending and lets others read it.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync().WithTimeout()).Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
    }
}
