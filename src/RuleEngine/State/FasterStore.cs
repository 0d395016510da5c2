using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FASTER.core;

namespace FraudShield.RuleEngine.State;

/// <summary>Sizing of one FASTER store: the hash index and the in-memory part of its log.</summary>
public sealed record FasterStoreOptions
{
    /// <summary>Folder for the log and checkpoints; a temporary folder is used when null.</summary>
    public string? Directory { get; init; }

    /// <summary>Keys per hash index bucket that <see cref="IndexBucketsFor"/> sizes for, at most.</summary>
    public const int KeysPerBucket = 4;

    /// <summary>
    /// Hash index buckets (rounded to a power of two), 64 bytes each, allocated whole when the store is created and
    /// written whole by every full checkpoint. Size it for the keys the store holds with <see cref="IndexBucketsFor"/>:
    /// an index far larger than its keys spreads each lookup's bucket over more memory (a cache and TLB miss per
    /// operation), a smaller one chains overflow buckets. The engine's stores are sized by
    /// <see cref="Engine.StoreCapacity"/>.
    /// </summary>
    public long IndexBuckets { get; init; } = 1L << 18;

    /// <summary>Log memory, as a power of two bytes (28 = 256 MiB). Records beyond it spill to disk.</summary>
    public int MemorySizeBits { get; init; } = 28;

    /// <summary>Log page size, as a power of two bytes.</summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>
    /// Whether the log's whole in-memory part (<see cref="MemorySizeBits"/>) is allocated when the store is created.
    /// Otherwise FASTER allocates each page (a pinned array) on the thread whose write first reaches it, until the log
    /// fills its memory: measured as most of the engine thread's allocation (17 of 19 MB in 20 s at 29,516 events/s),
    /// and pinned heap growth that draws Gen2 collections for the first minutes of a run.
    /// </summary>
    public bool PreallocateLog { get; init; }

    /// <summary>
    /// Keys the store is expected to hold. The <see cref="Watchlist"/> sizes its membership filter from it
    /// (<see cref="BlockedBloomFilter.DefaultBitsPerEntry"/> bits each); beyond it the filter's false-positive rate
    /// rises and lookups stay correct.
    /// </summary>
    public long ExpectedEntries { get; init; } = 1_000_000;

    /// <summary>
    /// Every how many checkpoints of <see cref="FasterStore{TValue}.BeginCheckpoint"/> one is full (the hash index and
    /// the log's whole in-memory part); the ones between are incremental where FASTER can (only the records changed
    /// since, appended to the last snapshot's delta file). 1 (the default) makes every checkpoint full: measured at
    /// 31,000 events/s on the 2-core box, 30 cost ~430 MiB more pinned memory and ~150 B/event more allocation
    /// (FASTER 2.6.5's delta-file writes) for no better latency (bench/results/2026-11-23-soak-10min-incremental.md).
    /// </summary>
    public int FullCheckpointEvery { get; init; } = 1;

    /// <summary>
    /// Index buckets for <paramref name="keys"/> keys: the power of two that holds them at 2 to
    /// <see cref="KeysPerBucket"/> keys a bucket (a FASTER bucket has 7 slots, so few chain an overflow bucket), at
    /// least 2^10.
    /// </summary>
    public static long IndexBucketsFor(long keys) =>
        (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1L << 10, (keys + KeysPerBucket - 1) / KeysPerBucket));

    /// <summary>These options with the hash index sized for <paramref name="keys"/> keys and <see cref="ExpectedEntries"/> set to them.</summary>
    public FasterStoreOptions ForKeys(long keys) => this with { IndexBuckets = IndexBucketsFor(keys), ExpectedEntries = keys };

    /// <summary>
    /// <see cref="ForKeys(long)"/> when the key count is known (a node's <see cref="Engine.StoreCapacity"/>); these
    /// options as they are when it is null (the small stores of tests and backtests).
    /// </summary>
    public FasterStoreOptions ForKeys(long? keys) => keys is { } known ? ForKeys(known) : this;

    /// <summary>
    /// <see cref="ForKeys(long?)"/> for a store written on most events (the per-party and counterparty stores): a sized
    /// one also gets its log memory at start (<see cref="PreallocateLog"/>), so the writing thread does not allocate log
    /// pages as the log grows.
    /// </summary>
    public FasterStoreOptions ForWrittenKeys(long? keys) => keys is { } known ? ForKeys(known) with { PreallocateLog = true } : this;
}

/// <summary>
/// A FASTER key-value store of blittable values keyed by a 64-bit key. The one place FASTER is configured;
/// callers get a <see cref="FasterSession{TValue}"/> per thread (FASTER sessions are single-threaded).
/// </summary>
/// <typeparam name="TValue">A blittable struct; FASTER stores it inline in its log.</typeparam>
public sealed class FasterStore<TValue> : IDisposable
    where TValue : unmanaged
{
    private readonly FasterKV<long, TValue> _kv;
    private readonly IDevice _device;
    private readonly string _directory;
    private readonly bool _ownsDirectory;
    private readonly List<FasterSession<TValue>> _sessions = [];
    private readonly string _checkpointDirectory;
    private readonly DeferredCommitCheckpointManager _checkpoints;
    private readonly int _fullEvery;
    private readonly HashBucketPrefetch _prefetch;
    private ClientSession<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>>? _stepper;
    private Guid _index;
    private int _sinceFull;

    /// <summary>Creates the store in <paramref name="options"/>.Directory, or in a new temporary folder.</summary>
    public FasterStore(string name, FasterStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ownsDirectory = options.Directory is null;
        _directory = options.Directory is null
            ? Path.Combine(Path.GetTempPath(), "fraudshield", $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}")
            : Path.Combine(options.Directory, name);
        System.IO.Directory.CreateDirectory(_directory);
        _checkpointDirectory = Path.Combine(_directory, "checkpoints");
        _fullEvery = Math.Max(1, options.FullCheckpointEvery);
        _device = Devices.CreateLogDevice(Path.Combine(_directory, "hlog.log"), preallocateFile: false, deleteOnClose: _ownsDirectory);
        _checkpoints = new DeferredCommitCheckpointManager(new DeviceLogCommitCheckpointManager(
            new DirectCheckpointDeviceFactory(), new DefaultCheckpointNamingScheme(_checkpointDirectory), removeOutdated: false));
        _kv = new FasterKV<long, TValue>(
            options.IndexBuckets,
            new LogSettings
            {
                LogDevice = _device,
                MemorySizeBits = options.MemorySizeBits,
                PageSizeBits = Math.Min(options.PageSizeBits, options.MemorySizeBits - 1),
                PreallocateLog = options.PreallocateLog,
            },
            new CheckpointSettings { CheckpointManager = _checkpoints });
        _prefetch = new HashBucketPrefetch(_kv);

        // A store sized for its keys holds all its log pages from the start: back them and the index with huge pages.
        if (options.PreallocateLog)
        {
            HugePageBytes = _prefetch.AdviseHugePages();
        }
    }

    /// <summary>Bytes of the index and the preallocated log advised for 2 MiB pages at construction (0 when not preallocated, or elsewhere than Linux).</summary>
    public long HugePageBytes { get; }

    /// <summary>Whether <see cref="PrefetchIndex"/> knows where the index buckets are (see <see cref="HashBucketPrefetch"/>).</summary>
    public bool CanPrefetch => _prefetch.Enabled;

    internal HashBucketPrefetch Prefetcher => _prefetch;

    /// <summary>
    /// A hint to load the hash index bucket of <paramref name="key"/> into the cache ahead of an operation on it; any
    /// thread, no session, no effect on results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchIndex(long key) => _prefetch.Prefetch(key);

    /// <summary>
    /// A hint to load the start of <paramref name="key"/>'s record (its first two cache lines; the rest of a larger
    /// record streams in behind them) into the cache, found through its index bucket: give it once
    /// <see cref="PrefetchIndex"/> has had time to bring the bucket in (else it waits for the bucket itself). Does
    /// nothing for a record on disk, and has no effect on results. Any thread, no session.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void PrefetchRecord(long key)
    {
        var record = RecordOf(key);
        if (record != null)
        {
            Sse.Prefetch0(record);
            Sse.Prefetch0(record + 64);
        }
    }

    /// <summary>Where <see cref="PrefetchRecord"/> finds <paramref name="key"/>'s record (tests read the key there); null when it finds none.</summary>
    internal unsafe byte* RecordOf(long key) => _prefetch.RecordOf(key, _kv.Log.HeadAddress);

    /// <summary>Buckets of the hash index (<see cref="FasterStoreOptions.IndexBuckets"/>, as FASTER allocated them).</summary>
    public long IndexBuckets => _kv.IndexSize;

    /// <summary>Number of records in the in-memory part of the log (including superseded versions).</summary>
    public long LogRecords => _kv.Log.TailAddress - _kv.Log.BeginAddress;

    /// <summary>
    /// Takes a full snapshot checkpoint (index and log) and returns its token: the table snapshots' checkpoint. Call it
    /// from the thread that owns this store's writing session, between operations, so the snapshot reflects exactly
    /// the operations done so far.
    /// </summary>
    public Guid CheckpointFull()
    {
        if (!_kv.TryInitiateFullCheckpoint(out var token, CheckpointType.Snapshot))
        {
            throw new InvalidOperationException($"FASTER could not take a checkpoint of {_directory}: one is already running.");
        }

        StepUntilRestAsync(Stepper()).GetAwaiter().GetResult();
        _checkpoints.Committed().GetAwaiter().GetResult();

        _index = token;
        _sinceFull = 0;
        return token;
    }

    /// <summary>
    /// <see cref="BeginCheckpoint"/> and waits for its files: for a writer that may pause (the counterparty stage).
    /// </summary>
    public StoreCheckpoint Checkpoint() => BeginCheckpoint().Completion.GetAwaiter().GetResult();

    /// <summary>
    /// Starts a snapshot checkpoint without waiting for it to be written: returns as soon as the store has moved to its
    /// next version, so the checkpoint holds exactly the operations done before the call and none after. Call it from
    /// the thread that owns this store's writing session, between operations; keep operating while
    /// <see cref="FasterCheckpoint.Completion"/> writes the files in the background (FASTER's concurrent prefix
    /// recovery: operations of the new version never touch the records being written).
    /// One in <see cref="FasterStoreOptions.FullCheckpointEvery"/> (and the first of a process, and the one after a
    /// failed one) is full: the hash index and the log's whole in-memory part. The others are incremental where FASTER
    /// can (the last snapshot's records have not been flushed to the log since): only the records changed since are
    /// appended to that snapshot's delta file, and the index of the last full checkpoint serves their recovery.
    /// </summary>
    /// <exception cref="InvalidOperationException">A checkpoint is already running, or the version did not move within 30 s.</exception>
    public FasterCheckpoint BeginCheckpoint()
    {
        var version = _kv.SystemState.Version;
        var full = _index == Guid.Empty || Volatile.Read(ref _sinceFull) + 1 >= _fullEvery;
        var started = full
            ? _kv.TryInitiateFullCheckpoint(out var token, CheckpointType.Snapshot)
            : _kv.TryInitiateHybridLogCheckpoint(out token, CheckpointType.Snapshot, tryIncremental: true);
        if (!started)
        {
            throw new InvalidOperationException($"FASTER could not start a checkpoint of {_directory}: one is already running.");
        }

        // The shift to the next version needs no I/O, only every session to acknowledge it (they are all idle, between
        // operations, on the calling thread).
        var spin = default(SpinWait);
        var begun = System.Diagnostics.Stopwatch.GetTimestamp();
        while (_kv.SystemState.Version <= version)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(begun) > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"FASTER did not reach the next version of {_directory} within 30 s.");
            }

            RefreshSessions();
            spin.SpinOnce();
        }

        var stepper = Stepper();
        if (full)
        {
            _index = token;
            Volatile.Write(ref _sinceFull, 0);
        }
        else
        {
            Interlocked.Increment(ref _sinceFull);
        }

        return new FasterCheckpoint(CompleteAsync(stepper, new StoreCheckpoint(_index, token, version)));
    }

    private async Task<StoreCheckpoint> CompleteAsync(ClientSession<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>> stepper, StoreCheckpoint begun)
    {
        try
        {
            await StepUntilRestAsync(stepper).ConfigureAwait(false);
            await _checkpoints.Committed().ConfigureAwait(false);
        }
        catch
        {
            // A delta file may end in a torn write: the next checkpoint starts afresh.
            Volatile.Write(ref _sinceFull, int.MaxValue - 1);
            throw;
        }

        // Nothing else appends to this delta file before the next checkpoint begins, which is after this one completed.
        return begun with { DeltaBytes = DeltaFile(begun.Log) is { Exists: true } delta ? delta.Length : 0 };
    }

    // Opened at the first checkpoint, not at construction: FASTER recovers only a store with no session yet.
    private ClientSession<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>> Stepper() =>
        _stepper ??= _kv.For(new SimpleFunctions<long, TValue>()).NewSession<SimpleFunctions<long, TValue>>();

    /// <summary>
    /// Steps the checkpoint's state machine until it is at rest, once a millisecond, through <paramref name="stepper"/>:
    /// a session of its own that no operation uses, refreshed on whichever pool thread the timer wakes. The writing
    /// sessions step it too, at their next operation or batch; this does it when they are idle or blocked in
    /// <see cref="Checkpoint"/>.
    /// Not FASTER's <c>CompleteCheckpointAsync</c>: between its waits for the disk that loops without pause, a new list
    /// and closure each time round, for the whole of a snapshot's writing (seconds at scale). It kept a pool thread
    /// busy and made three quarters of a node's garbage, so a gen0 collection during a checkpoint promoted enough to
    /// bring on Gen2s (bench/results/2026-12-07-checkpoint-stepping.md).
    /// </summary>
    private async Task StepUntilRestAsync(ClientSession<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>> stepper)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        while (!AtRest(_kv.SystemState.Phase))
        {
            await timer.WaitForNextTickAsync().ConfigureAwait(false);
            stepper.Refresh();
        }

        // The phases CompleteCheckpointAsync stops at: no checkpoint runs in them.
        static bool AtRest(Phase phase) => phase is Phase.REST or Phase.PREPARE_GROW or Phase.IN_PROGRESS_GROW;
    }

    /// <summary>Restores the store to the full checkpoint <paramref name="token"/>; call before any session is opened.</summary>
    public void Recover(Guid token) => Recover(StoreCheckpoint.Full(token));

    /// <summary>
    /// Restores the store to <paramref name="checkpoint"/>; call before any session is opened. The log checkpoint's
    /// delta file is cut back to the bytes the checkpoint covers first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The delta file is shorter than the checkpoint says (torn or replaced), or FASTER recovered another version.</exception>
    public void Recover(StoreCheckpoint checkpoint)
    {
        if (checkpoint.DeltaBytes >= 0 && DeltaFile(checkpoint.Log) is { Exists: true } delta && delta.Length != checkpoint.DeltaBytes)
        {
            if (delta.Length < checkpoint.DeltaBytes)
            {
                throw new InvalidOperationException($"The delta file of checkpoint {checkpoint.Log} holds {delta.Length} bytes, fewer than the {checkpoint.DeltaBytes} it was committed with.");
            }

            using var file = new FileStream(delta.FullName, FileMode.Open, FileAccess.Write, FileShare.None);
            file.SetLength(checkpoint.DeltaBytes);
            file.Flush(flushToDisk: true);
        }
        else if (checkpoint.DeltaBytes > 0 && !DeltaFile(checkpoint.Log).Exists)
        {
            throw new InvalidOperationException($"The delta file of checkpoint {checkpoint.Log} is missing.");
        }

        var recovered = _kv.Recover(checkpoint.Index, checkpoint.Log);
        if (checkpoint.Version >= 0 && recovered != checkpoint.Version)
        {
            throw new InvalidOperationException($"FASTER recovered version {recovered} of checkpoint {checkpoint.Log}, not the committed {checkpoint.Version}.");
        }

        // The next checkpoint is full: it must not extend a delta file another process may have written past this point.
        _prefetch.Refresh();
        _index = checkpoint.Index;
        Volatile.Write(ref _sinceFull, int.MaxValue - 1);
    }

    /// <summary>Deletes the files of checkpoint <paramref name="token"/> (its index and its log checkpoint).</summary>
    public void Purge(Guid token) => _kv.CheckpointManager.Purge(token);

    /// <summary>
    /// The tokens of every index and log checkpoint in this store's folder, whole or torn: the folders named by a GUID
    /// under FASTER's <c>index-checkpoints</c> and <c>cpr-checkpoints</c> (anything else there is not FASTER's, and is
    /// left alone; FASTER's own listing fails on it).
    /// </summary>
    public IReadOnlyCollection<Guid> CheckpointTokens()
    {
        var tokens = new HashSet<Guid>();
        foreach (var kind in (ReadOnlySpan<string>)["index-checkpoints", "cpr-checkpoints"])
        {
            var folder = Path.Combine(_checkpointDirectory, kind);
            if (System.IO.Directory.Exists(folder))
            {
                foreach (var entry in System.IO.Directory.EnumerateDirectories(folder))
                {
                    if (Guid.TryParse(Path.GetFileName(entry), out var token))
                    {
                        tokens.Add(token);
                    }
                }
            }
        }

        return tokens;
    }

    // FASTER's name for a snapshot's delta file (DefaultCheckpointNamingScheme; one segment, the checkpoint devices' default).
    private FileInfo DeltaFile(Guid log) => new(Path.Combine(_checkpointDirectory, "cpr-checkpoints", log.ToString(), "delta.dat.0"));

    /// <summary>Bytes of log written since the log began, in memory and on disk (records, including superseded versions).</summary>
    internal long LogBytes => _kv.Log.TailAddress - _kv.Log.BeginAddress;

    /// <summary>Bytes of the log held in memory: the pages between the head and the tail.</summary>
    internal long InMemoryLogBytes => _kv.Log.TailAddress - _kv.Log.HeadAddress;

    /// <summary>Bytes of the hash index: main buckets plus overflow buckets, 64 bytes each.</summary>
    internal long IndexBytes => (_kv.IndexSize + _kv.OverflowBucketCount) * 64;

    /// <summary>A new session for the calling thread.</summary>
    public FasterSession<TValue> NewSession()
    {
        var session = new FasterSession<TValue>(_kv.For(new SimpleFunctions<long, TValue>()).NewSession<SimpleFunctions<long, TValue>>(), this);
        lock (_sessions)
        {
            _sessions.Add(session);
        }

        return session;
    }

    /// <summary>
    /// Lets every open session acknowledge a checkpoint phase. Sessions are single-threaded: call it from the thread
    /// that uses them (the engine thread owns every session of the per-party stores).
    /// </summary>
    public void RefreshSessions()
    {
        lock (_sessions)
        {
            foreach (var session in _sessions)
            {
                session.Refresh();
            }
        }
    }

    internal void Closed(FasterSession<TValue> session)
    {
        lock (_sessions)
        {
            _sessions.Remove(session);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stepper?.Dispose();
        _kv.Dispose();
        _checkpoints.Dispose(); // not FASTER's to dispose: it was given the manager
        _device.Dispose();
        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is harmless; the OS cleans /tmp.
            }
        }
    }
}

/// <summary>A checkpoint begun by <see cref="FasterStore{TValue}.BeginCheckpoint"/>.</summary>
/// <param name="Completion">
/// Completes when the checkpoint's files are written, with what recovers it (<see cref="FasterStore{TValue}.Recover(StoreCheckpoint)"/>);
/// faults when writing failed.
/// </param>
public readonly record struct FasterCheckpoint(Task<StoreCheckpoint> Completion);

/// <summary>
/// How many times the calling thread's FASTER sessions have waited for the disk (an operation on a record below the
/// log's in-memory part): a thread that holds several stores' epochs in batches renews them after an operation that
/// waited, so the other stores' checkpoints and writers are held up by one operation's waits, not by a batch's.
/// </summary>
public static class StoreDiskWaits
{
    [ThreadStatic]
    private static long t_count;

    /// <summary>Waits by this thread's sessions so far.</summary>
    public static long OnThisThread => t_count;

    internal static void Count() => t_count++;
}

/// <summary>One thread's handle on a <see cref="FasterStore{TValue}"/>. Not thread-safe, by FASTER's design.</summary>
/// <typeparam name="TValue">The store's value type.</typeparam>
public sealed class FasterSession<TValue> : IDisposable
    where TValue : unmanaged
{
    private readonly ClientSession<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>> _session;
    private readonly UnsafeContext<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>> _batch;
    private readonly FasterStore<TValue> _store;
    private bool _inBatch;

    // Scratch input and output of FASTER operations: SimpleFunctions never reads the input, and the output of an upsert is unused.
    private TValue _input;
    private TValue _output;

    internal FasterSession(ClientSession<long, TValue, TValue, TValue, Empty, SimpleFunctions<long, TValue>> session, FasterStore<TValue> store)
    {
        _session = session;
        _batch = session.UnsafeContext;
        _store = store;
    }

    /// <summary>
    /// Starts a batch of operations under one hold of the store's epoch. Outside a batch every operation takes and
    /// releases the epoch itself and first acknowledges any checkpoint phase in progress; inside one, operations do
    /// neither (FASTER's unsafe context), so the checkpoint state machine is stepped once per batch instead of once per
    /// operation. That step allocates while a snapshot is being written (a closure object in FASTER's
    /// <c>SnapshotCheckpointTask.OnThreadState</c>), which made most of the engine thread's garbage.
    /// Keep batches short (a poll's worth of events, and renewed after a wait for the disk, see
    /// <see cref="StoreDiskWaits"/>): a checkpoint's phase change, and other threads' writes that need
    /// a new log page, wait for every session holding the epoch to end its batch. Nothing else may use this store on
    /// this thread inside a batch (no other session, iterator or checkpoint call).
    /// </summary>
    /// <exception cref="InvalidOperationException">A batch is already open.</exception>
    public void BeginBatch()
    {
        if (_inBatch)
        {
            throw new InvalidOperationException("A batch of this FASTER session is already open.");
        }

        _batch.BeginUnsafe();
        _inBatch = true;
    }

    /// <summary>Ends the batch begun by <see cref="BeginBatch"/>; nothing happens when none is open.</summary>
    public void EndBatch()
    {
        if (_inBatch)
        {
            _inBatch = false;
            _batch.EndUnsafe();
        }
    }

    /// <summary>Acknowledges pending checkpoint phases (operations outside a batch do it too).</summary>
    public void Refresh()
    {
        if (_inBatch)
        {
            _batch.Refresh();
        }
        else
        {
            _session.Refresh();
        }
    }

    /// <summary>Reads the value of <paramref name="key"/>; false when absent.</summary>
    /// <remarks>
    /// No value is zeroed on the way: <see cref="SimpleFunctions{Key, Value}"/> writes the whole output when the key is
    /// found and nothing else (input and output of an operation are this session's scratch fields), and a miss zeroes
    /// <paramref name="value"/> once. The party state is 536 bytes; zeroing the default input, output and value
    /// locals of the plain overloads was ~2 % of the engine's per-event time in <c>perf</c>.
    /// </remarks>
    [SkipLocalsInit]
    public bool TryRead(long key, out TValue value)
    {
        Unsafe.SkipInit(out value);
        var status = _inBatch ? _batch.Read(ref key, ref _input, ref value) : _session.Read(ref key, ref _input, ref value);
        if (status.IsPending)
        {
            return CompletePendingRead(out value);
        }

        if (!status.Found)
        {
            value = default;
            return false;
        }

        return true;
    }

    /// <summary>Inserts or replaces the value of <paramref name="key"/>.</summary>
    /// <remarks><see cref="SimpleFunctions{Key, Value}"/> only reads the desired value, so it is passed by reference, not copied.</remarks>
    [SkipLocalsInit]
    public void Upsert(long key, in TValue value)
    {
        var status = _inBatch
            ? _batch.Upsert(ref key, ref _input, ref Unsafe.AsRef(in value), ref _output)
            : _session.Upsert(ref key, ref _input, ref Unsafe.AsRef(in value), ref _output);
        if (status.IsPending)
        {
            CompletePending();
        }
    }

    /// <summary>Removes <paramref name="key"/> if present.</summary>
    public void Delete(long key)
    {
        var status = _inBatch ? _batch.Delete(ref key) : _session.Delete(ref key);
        if (status.IsPending)
        {
            CompletePending();
        }
    }

    // Cold: only when the record lives on the disk part of the log.
    private void CompletePending()
    {
        StoreDiskWaits.Count();
        if (_inBatch)
        {
            _batch.CompletePending(wait: true);
        }
        else
        {
            _session.CompletePending(wait: true);
        }
    }

    // Cold: only when the record lives on the disk part of the log.
    private bool CompletePendingRead(out TValue value)
    {
        StoreDiskWaits.Count();
        CompletedOutputIterator<long, TValue, TValue, TValue, Empty> outputs;
        if (_inBatch)
        {
            _batch.CompletePendingWithOutputs(out outputs, wait: true);
        }
        else
        {
            _session.CompletePendingWithOutputs(out outputs, wait: true);
        }

        using (outputs)
        {
            while (outputs.Next())
            {
                ref var completed = ref outputs.Current;
                if (completed.Status.Found)
                {
                    value = completed.Output;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        EndBatch();
        _store.Closed(this);
        _session.Dispose();
    }
}
