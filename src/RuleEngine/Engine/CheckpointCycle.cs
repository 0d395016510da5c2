using System.Diagnostics;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// A worker's checkpoints over its two FASTER stores, one at a time: begun on the worker's thread between two records
/// (both stores cut their version there, <see cref="FasterStore{TValue}.BeginCheckpoint"/>), written by FASTER while
/// the worker goes on, then committed (strings, manifest, fsyncs, deletion of older checkpoints) on the thread pool:
/// on the worker's thread that commit took 25-230 ms every 10 s, during which nothing was judged. A checkpoint
/// begins only when the previous commit has ended, so a commit never deletes the files of a checkpoint in progress
/// and the next manifest follows the last. The one implementation behind <see cref="EngineWorker"/> and the
/// counterparty aggregator (which takes each checkpoint whole on its thread: <see cref="Begin"/>, then
/// <see cref="Finish"/>).
/// </summary>
internal sealed class CheckpointCycle
{
    // Checkpoints whose windows Recent keeps: 42 minutes of them at the default 10 s.
    private const int RecentCapacity = 256;

    private readonly Queue<CheckpointWindow> _recent = new();
    private readonly Func<CheckpointManifest, CheckpointManifest> _commit;
    private readonly Action<string> _skipped;
    private readonly Action<CheckpointManifest, TimeSpan, TimeSpan>? _taken;
    private readonly TimeSpan _patience;
    private Pending? _pending;
    private Task? _committing;
    private CheckpointManifest? _last;
    private long _committedCount;

    /// <param name="commit">Commits a manifest whose store checkpoints are written; returns it as committed.</param>
    /// <param name="skipped">Told why a checkpoint was not taken (the previous one stays in force).</param>
    /// <param name="taken">Told of each checkpoint committed, with the worker's pause to begin it and the time from begin to commit.</param>
    /// <param name="patience">How long each wait of <see cref="Finish"/> (and of a refused <see cref="Begin"/>) lasts at most; default 60 s.</param>
    public CheckpointCycle(Func<CheckpointManifest, CheckpointManifest> commit, Action<string> skipped, Action<CheckpointManifest, TimeSpan, TimeSpan>? taken = null, TimeSpan? patience = null)
    {
        _patience = patience ?? TimeSpan.FromSeconds(60);
        _commit = commit;
        _skipped = skipped;
        _taken = taken;
    }

    /// <summary>The checkpoint recovered at start (set by the worker), or the last one committed.</summary>
    public CheckpointManifest? Last
    {
        get => Volatile.Read(ref _last);
        set => Volatile.Write(ref _last, value);
    }

    /// <summary>
    /// Recovers the worker's newest whole checkpoint through <paramref name="recover"/>, before any session opens on its
    /// stores, and takes it as <see cref="Last"/>. State that cannot be trusted (<paramref name="recover"/> throws
    /// <see cref="InvalidOperationException"/>) refuses the start: the error goes to <paramref name="refused"/>.
    /// </summary>
    /// <param name="recover">The worker's checkpoints' recovery over its stores; null when none was found.</param>
    /// <param name="refused">Told why the start is refused (the worker logs it and faults its start).</param>
    /// <param name="recovered">Told of the checkpoint recovered.</param>
    /// <returns>False when the start is refused.</returns>
    public bool TryRecover(Func<CheckpointManifest?> recover, Action<InvalidOperationException> refused, Action<CheckpointManifest> recovered)
    {
        CheckpointManifest? manifest;
        try
        {
            manifest = recover();
        }
        catch (InvalidOperationException e)
        {
            refused(e);
            return false;
        }

        if (manifest is not null)
        {
            Last = manifest;
            recovered(manifest);
        }

        return true;
    }

    /// <summary>Checkpoints committed.</summary>
    public long Taken => Interlocked.Read(ref _committedCount);

    /// <summary>The last 256 checkpoints committed, oldest first: when each began and how long it took.</summary>
    public IReadOnlyList<CheckpointWindow> Recent
    {
        get
        {
            lock (_recent)
            {
                return [.. _recent];
            }
        }
    }

    /// <summary>True when none is begun and no commit runs: a new checkpoint may begin.</summary>
    public bool Idle => _pending is null && _committing is not { IsCompleted: false };

    /// <summary>
    /// Begins a checkpoint, on the worker's thread between two records: cuts <paramref name="first"/>'s version, then
    /// <paramref name="second"/>'s; <paramref name="manifest"/> (its stores' parts left default) is committed once
    /// both are written. Skipped (and reported) while the previous one is still in flight.
    /// </summary>
    /// <exception cref="InvalidOperationException">A store could not start a checkpoint (the previous one stays in force).</exception>
    public void Begin(CheckpointManifest manifest, Func<FasterCheckpoint> first, Func<FasterCheckpoint> second)
    {
        if (!Idle)
        {
            _skipped("the previous checkpoint is still being written or committed");
            return;
        }

        _committing = null;
        var began = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var one = first();
        FasterCheckpoint two;
        try
        {
            two = second();
        }
        catch (InvalidOperationException)
        {
            try
            {
                one.Completion.Wait(_patience);
            }
            catch (AggregateException)
            {
                // The first store's write failed too; the refusal is what is reported.
            }

            throw;
        }

        _pending = new Pending(manifest, one.Completion, two.Completion, began, started, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>On the worker's thread: hands a written checkpoint to the thread pool for its commit.</summary>
    public void Poll()
    {
        if (_pending is { Completion.IsCompleted: true } pending)
        {
            _pending = null;
            _committing = Task.Run(() => Commit(pending));
        }
    }

    /// <summary>
    /// The stop path: waits (up to the patience, 60 s, each) for a commit still running, or for the begun checkpoint
    /// to be written, and commits it here. A commit still running after the wait stays in flight: the cycle is not
    /// idle, so no checkpoint begins (and no second commit runs) beside it.
    /// </summary>
    public void Finish()
    {
        if (_committing is { } committing)
        {
            try
            {
                if (!committing.Wait(_patience))
                {
                    _skipped(FormattableString.Invariant($"the previous checkpoint's commit did not end in {_patience.TotalSeconds:0.#} s"));
                    return;
                }
            }
            catch (AggregateException)
            {
                // Reported by the commit itself.
            }

            _committing = null;
        }

        if (_pending is not { } pending)
        {
            return;
        }

        try
        {
            pending.Completion.Wait(_patience);
        }
        catch (AggregateException)
        {
            // Reported by the commit.
        }

        _pending = null;
        Commit(pending);
    }

    private void Commit(Pending pending)
    {
        try
        {
            if (!pending.Completion.IsCompletedSuccessfully)
            {
                _skipped(pending.Completion.Exception?.GetBaseException().Message ?? "FASTER did not finish writing the checkpoint in time");
                return;
            }

            var committed = _commit(pending.Manifest with { Parties = pending.First.Result, Pairs = pending.Second.Result });
            Last = committed;
            Interlocked.Increment(ref _committedCount);
            var total = Stopwatch.GetElapsedTime(pending.Started);
            lock (_recent)
            {
                if (_recent.Count == RecentCapacity)
                {
                    _recent.Dequeue();
                }

                _recent.Enqueue(new CheckpointWindow(pending.Began, pending.Pause, total));
            }

            _taken?.Invoke(committed, pending.Pause, total);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong, the previous checkpoint stays in force; on the thread pool nobody else would see it.
            _skipped(e.Message);
        }
    }

    // A checkpoint whose version cut is made and whose files FASTER is writing.
    private sealed record Pending(CheckpointManifest Manifest, Task<StoreCheckpoint> First, Task<StoreCheckpoint> Second, DateTimeOffset Began, long Started, TimeSpan Pause)
    {
        public Task Completion { get; } = Task.WhenAll(First, Second);
    }
}

/// <summary>One committed checkpoint of a worker, in time.</summary>
/// <param name="Began">When the worker began it.</param>
/// <param name="Pause">The worker's pause to begin it (both stores' version cut).</param>
/// <param name="Total">From its beginning to its commit: while FASTER wrote its files, and their commit.</param>
public readonly record struct CheckpointWindow(DateTimeOffset Began, TimeSpan Pause, TimeSpan Total);
