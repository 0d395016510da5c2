using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.State;

// The two-phase checkpoint the engine takes without stopping: BeginCheckpoint cuts the version between two operations,
// the files are written while the writer goes on, and a recovery sees exactly the operations before the cut.
public sealed class FasterCheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fraudshield-tests", $"cpr-{Guid.NewGuid():N}");

    private FasterStoreOptions Options => new() { Directory = _directory, IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 16, FullCheckpointEvery = 30 };

    [Fact]
    public async Task BeginCheckpoint_OperationsAfterTheCut_NotInTheCheckpoint()
    {
        StoreCheckpoint checkpointed;
        using (var store = new FasterStore<long>("cpr", Options))
        using (var session = store.NewSession())
        {
            for (var key = 1L; key <= 10_000; key++)
            {
                session.Upsert(key, key * 10);
            }

            var checkpoint = store.BeginCheckpoint();

            // The writer goes on while the checkpoint is written: overwrite, delete and add.
            for (var key = 1L; key <= 10_000; key++)
            {
                session.Upsert(key, -key);
            }

            session.Delete(5);
            session.Upsert(20_001, 1);
            checkpointed = await checkpoint.Completion.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(session.TryRead(7, out var live));
            Assert.Equal(-7, live);
        }

        using var recovered = new FasterStore<long>("cpr", Options);
        recovered.Recover(checkpointed);
        using var reader = recovered.NewSession();
        for (var key = 1L; key <= 10_000; key++)
        {
            Assert.True(reader.TryRead(key, out var value), $"key {key} missing after recovery");
            Assert.Equal(key * 10, value);
        }

        Assert.False(reader.TryRead(20_001, out _));
    }

    [Fact]
    public async Task Batches_WhileACheckpointIsWritten_CompleteItKeepTheCutAndAllocateNothingPerOperation()
    {
        // Every checkpoint full (a snapshot of the whole log, so its files take a while), and the log's pages allocated
        // up front (the new version's records then take no page on this thread). A million keys, so the snapshot's flush
        // spans many batches: with 200,000 it sometimes fit in the few batches set apart below, and the test passed
        // without batches.
        const int Keys = 1_000_000;
        var options = new FasterStoreOptions { Directory = _directory, IndexBuckets = 1 << 18, MemorySizeBits = 27, PageSizeBits = 20, FullCheckpointEvery = 1, PreallocateLog = true };
        StoreCheckpoint checkpointed;
        Measured measured;
        using (var store = new FasterStore<long>("batch", options))
        using (var session = store.NewSession())
        {
            session.BeginBatch();
            for (var key = 1L; key <= Keys; key++)
            {
                session.Upsert(key, key * 10);
                Assert.True(session.TryRead(key, out _));
            }

            session.EndBatch();
            Assert.Throws<InvalidOperationException>(() =>
            {
                session.BeginBatch();
                try
                {
                    session.BeginBatch();
                }
                finally
                {
                    session.EndBatch();
                }
            });

            // As the engine does: batches of operations (a poll's worth) while the checkpoint's files are written.
            // Outside a batch each operation steps FASTER's checkpoint state machine, which allocates while the
            // snapshot is being flushed (10-28 B per operation measured); in a batch only its start does. The first
            // checkpoint warms up what is allocated once.
            await WriteInBatchesWhileCheckpointing(store, session, sign: 1).Checkpoint.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            measured = WriteInBatchesWhileCheckpointing(store, session, sign: -1);
            checkpointed = await measured.Checkpoint.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(session.TryRead(7, out var live));
            Assert.Equal(-70, live);
        }

        // Per-operation garbage shows in every batch while the snapshot is flushed (3-20 B an operation without batches,
        // measured). A batch's start may instead take one of the checkpoint's phase steps on this thread, when this
        // session is the last to acknowledge that phase: on a loaded box the writer can take the last ones (the metadata
        // files, 20-40 KB) before the completion task's thread runs. That is once per phase per checkpoint, not per
        // operation, so the batches that allocated most, one per phase, are set apart; the rest must stay under a byte
        // per operation (0.01-0.09 measured: FASTER allocates ~40 B at a batch's start while the snapshot is flushed, a
        // closure in SnapshotCheckpointTask.OnThreadState).
        var operations = measured.Batches * (long)BatchSize;
        // At least twice as many batches as are set apart (beside four busy loops on the two cores: 91 or more).
        Assert.True(measured.Batches >= 2 * CheckpointPhaseSteps, $"only {measured.Batches} batches while the checkpoint was written");
        Assert.True(
            measured.Allocated - measured.LargestBatches < operations,
            $"{measured.Allocated - measured.LargestBatches} bytes allocated in {operations} operations during the checkpoint, besides {measured.LargestBatches} in its {CheckpointPhaseSteps} largest batches");
        using var recovered = new FasterStore<long>("batch", options);
        recovered.Recover(checkpointed);
        using var reader = recovered.NewSession();
        for (var key = 1L; key <= Keys; key++)
        {
            Assert.True(reader.TryRead(key, out var value), $"key {key} missing after recovery");
            Assert.Equal(key * 10, value);
        }

        static Measured WriteInBatchesWhileCheckpointing(FasterStore<long> store, FasterSession<long> session, int sign)
        {
            var largest = new long[CheckpointPhaseSteps];
            var checkpoint = store.BeginCheckpoint();
            var begun = System.Diagnostics.Stopwatch.StartNew();
            var (batches, allocated) = (0, 0L);
            var key = 0L;
            do
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                session.BeginBatch();
                for (var i = 0; i < BatchSize; i++)
                {
                    key = (key % Keys) + 1;
                    session.Upsert(key, sign * key * 10);
                }

                session.EndBatch();
                var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                batches++;
                allocated += bytes;
                var smallest = 0;
                for (var i = 1; i < largest.Length; i++)
                {
                    smallest = largest[i] < largest[smallest] ? i : smallest;
                }

                largest[smallest] = Math.Max(largest[smallest], bytes);
            }
            while (!checkpoint.Completion.IsCompleted && begun.Elapsed < TimeSpan.FromSeconds(30));

            return new Measured(checkpoint, batches, allocated, largest.Sum());
        }
    }

    // A full snapshot checkpoint's phases after the one BeginCheckpoint takes: PREPARE, IN_PROGRESS,
    // WAIT_INDEX_CHECKPOINT, WAIT_FLUSH, PERSISTENCE_CALLBACK, REST.
    private const int CheckpointPhaseSteps = 6;

    // A poll's worth of events, as the engine batches them.
    private const int BatchSize = 250;

    private readonly record struct Measured(FasterCheckpoint Checkpoint, int Batches, long Allocated, long LargestBatches);

    [Fact]
    public void Batch_RecordsOnTheDiskPartOfTheLog_ReadWrittenAndDeleted()
    {
        // A log of 64 KiB in memory: most of 20,000 records live on its disk part, so a read goes pending and is
        // completed inside the batch (FASTER's unsafe context waits for the I/O with the epoch released).
        var options = new FasterStoreOptions { Directory = _directory, IndexBuckets = 1 << 12, MemorySizeBits = 16, PageSizeBits = 12 };
        using var store = new FasterStore<long>("spill", options);
        using var session = store.NewSession();
        for (var key = 1L; key <= 20_000; key++)
        {
            session.Upsert(key, key * 3);
        }

        Assert.True(store.LogBytes > 4 * (1L << options.MemorySizeBits), $"log {store.LogBytes} bytes");
        session.BeginBatch();
        for (var key = 1L; key <= 20_000; key += 997)
        {
            Assert.True(session.TryRead(key, out var value), $"key {key} missing");
            Assert.Equal(key * 3, value);
        }

        session.Upsert(1, -1);
        session.Delete(2);
        Assert.False(session.TryRead(20_001, out _));
        session.EndBatch();

        Assert.True(session.TryRead(1, out var updated));
        Assert.Equal(-1, updated);
        Assert.False(session.TryRead(2, out _));
        Assert.True(session.TryRead(3, out var old));
        Assert.Equal(9, old);
    }

    [Fact]
    public async Task BeginCheckpoint_WhileOneRuns_RefusedAndTheNextOneStartsAfter()
    {
        using var store = new FasterStore<long>("cpr2", Options);
        using var session = store.NewSession();
        session.Upsert(1, 1);
        var first = store.BeginCheckpoint();
        FasterCheckpoint? second = null;
        var refused = Record.Exception(() => second = store.BeginCheckpoint());
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        if (second is { } started)
        {
            // The first one had already been written (a fast disk): the second was a new checkpoint of its own.
            var (one, two) = (await first.Completion, await started.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(two.Version > one.Version);
        }
        else
        {
            Assert.IsType<InvalidOperationException>(refused);
        }

        var third = store.BeginCheckpoint();
        Assert.True((await third.Completion.WaitAsync(TimeSpan.FromSeconds(30))).Version > (await first.Completion).Version);
    }

    [Fact]
    public async Task BeginCheckpoint_BetweenFullOnes_WritesOnlyTheChangesAndEachRecoversItsOwnCut()
    {
        var options = Options with { FullCheckpointEvery = 3 };
        var taken = new List<StoreCheckpoint>();
        using (var store = new FasterStore<long>("incr", options))
        using (var session = store.NewSession())
        {
            for (var key = 1L; key <= 10_000; key++)
            {
                session.Upsert(key, 0);
            }

            // Round r sets keys 1..100 to r: a full checkpoint, two incremental ones, then the next full one.
            for (var round = 0L; round < 4; round++)
            {
                for (var key = 1L; key <= 100; key++)
                {
                    session.Upsert(key, round);
                }

                taken.Add(await store.BeginCheckpoint().Completion.WaitAsync(TimeSpan.FromSeconds(30)));
            }
        }

        var (full, first, second, nextFull) = (taken[0], taken[1], taken[2], taken[3]);
        Assert.Equal(full.Index, full.Log);
        Assert.Equal(0, full.DeltaBytes);
        Assert.Equal((full.Index, full.Log), (first.Index, first.Log));
        Assert.Equal((full.Index, full.Log), (second.Index, second.Log));
        Assert.InRange(first.DeltaBytes, 1, second.DeltaBytes - 1);
        Assert.NotEqual(full.Log, nextFull.Log);
        Assert.Equal(nextFull.Index, nextFull.Log);

        // 100 changed records of 10,000: the delta is a small part of the snapshot.
        var snapshot = new FileInfo(Path.Combine(_directory, "incr", "checkpoints", "cpr-checkpoints", full.Log.ToString(), "snapshot.dat.0"));
        Assert.True(first.DeltaBytes * 10 < snapshot.Length, $"delta {first.DeltaBytes} B vs snapshot {snapshot.Length} B");

        // Newest first, so that recovering an older one must cut away the deltas written after it.
        for (var i = taken.Count - 1; i >= 0; i--)
        {
            using var recovered = new FasterStore<long>("incr", options);
            recovered.Recover(taken[i]);
            using var reader = recovered.NewSession();
            Assert.True(reader.TryRead(50, out var changed));
            Assert.Equal(i, changed);
            Assert.True(reader.TryRead(5_000, out var untouched));
            Assert.Equal(0, untouched);
        }
    }

    // A store called name with key 1 written, a full checkpoint, key 1 rewritten and an incremental one.
    private async Task<StoreCheckpoint> FullThenIncrementalAsync(string name)
    {
        using var store = new FasterStore<long>(name, Options);
        using var session = store.NewSession();
        session.Upsert(1, 1);
        await store.BeginCheckpoint().Completion;
        session.Upsert(1, 2);
        return await store.BeginCheckpoint().Completion.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Recover_DeltaFileShorterThanCommitted_Refused()
    {
        var incremental = await FullThenIncrementalAsync("torn");

        Assert.True(incremental.DeltaBytes > 0);
        using var recovered = new FasterStore<long>("torn", Options);
        var error = Assert.Throws<InvalidOperationException>(() => recovered.Recover(incremental with { DeltaBytes = incremental.DeltaBytes + 512 }));
        Assert.Contains("fewer than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeginCheckpoint_AfterRecovery_IsFullUnderANewToken()
    {
        var incremental = await FullThenIncrementalAsync("after");

        using var recovered = new FasterStore<long>("after", Options);
        recovered.Recover(incremental);
        using var session2 = recovered.NewSession();
        session2.Upsert(1, 3);
        var next = await recovered.BeginCheckpoint().Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(incremental.Log, next.Log);
        Assert.Equal(next.Index, next.Log);
        Assert.True(next.Version > incremental.Version);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Temporary files; the OS cleans /tmp.
        }
    }
}
