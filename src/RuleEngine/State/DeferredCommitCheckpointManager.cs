using FASTER.core;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// FASTER's checkpoint manager for a <see cref="FasterStore{TValue}"/>, with a checkpoint's two metadata commits (the
/// index's and the log's) written on the thread pool instead of on the thread that moves the checkpoint to its
/// completion phase.
/// </summary>
/// <remarks>
/// FASTER moves a checkpoint on from whichever thread's session notices that every session has acknowledged the
/// current phase: for the per-party stores that is often the engine's consume thread, between two verdicts. Entering
/// the completion phase, FASTER commits the metadata through this manager: for each of the two, a new file opened
/// write-through, a sector written and waited for, the file closed. Measured on the engine thread at 28,851 events/s:
/// passes of 10-20 ms with a few dozen verdicts in them, at every checkpoint's end. Here the commits are queued (and
/// written one after the other, as FASTER made them), and
/// <see cref="Committed"/>, which the store's checkpoint completion awaits, finishes once both are on the disk, so
/// a checkpoint still completes only with its metadata written. Everything else is the inner manager's, unchanged;
/// what reads checkpoints (recovery, listing, purging) first waits for any commit still queued.
/// Incremental commits stay synchronous: FASTER writes them into the delta log it is still using.
/// </remarks>
internal sealed class DeferredCommitCheckpointManager(ICheckpointManager inner) : ICheckpointManager
{
    private readonly Lock _gate = new();
    private readonly List<Task> _pending = [];
    private Task _last = Task.CompletedTask;

    /// <summary>
    /// Completes when every metadata commit queued so far is written; faults with the first failure among them. Each
    /// failure is reported once, to the first caller after it.
    /// </summary>
    public Task Committed()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return Task.CompletedTask;
            }

            var all = Task.WhenAll(_pending);
            _pending.Clear();
            return all;
        }
    }

    /// <summary>Queues the index's metadata commit (see the remarks).</summary>
    public void CommitIndexCheckpoint(Guid indexToken, byte[] commitMetadata) =>
        Defer(() => inner.CommitIndexCheckpoint(indexToken, commitMetadata));

    /// <summary>Queues the log's metadata commit (see the remarks).</summary>
    public void CommitLogCheckpoint(Guid logToken, byte[] commitMetadata) =>
        Defer(() => inner.CommitLogCheckpoint(logToken, commitMetadata));

    /// <inheritdoc />
    public void CommitLogIncrementalCheckpoint(Guid logToken, long version, byte[] commitMetadata, DeltaLog deltaLog) =>
        inner.CommitLogIncrementalCheckpoint(logToken, version, commitMetadata, deltaLog);

    /// <inheritdoc />
    public void InitializeIndexCheckpoint(Guid indexToken) => inner.InitializeIndexCheckpoint(indexToken);

    /// <inheritdoc />
    public void InitializeLogCheckpoint(Guid logToken) => inner.InitializeLogCheckpoint(logToken);

    /// <inheritdoc />
    public void CheckpointVersionShift(long oldVersion, long newVersion) => inner.CheckpointVersionShift(oldVersion, newVersion);

    /// <inheritdoc />
    public byte[] GetIndexCheckpointMetadata(Guid indexToken)
    {
        WaitForCommits();
        return inner.GetIndexCheckpointMetadata(indexToken);
    }

    /// <inheritdoc />
    public byte[] GetLogCheckpointMetadata(Guid logToken, DeltaLog deltaLog, bool scanDelta, long recoverTo)
    {
        WaitForCommits();
        return inner.GetLogCheckpointMetadata(logToken, deltaLog, scanDelta, recoverTo);
    }

    /// <inheritdoc />
    public IEnumerable<Guid> GetIndexCheckpointTokens()
    {
        WaitForCommits();
        return inner.GetIndexCheckpointTokens();
    }

    /// <inheritdoc />
    public IEnumerable<Guid> GetLogCheckpointTokens()
    {
        WaitForCommits();
        return inner.GetLogCheckpointTokens();
    }

    /// <inheritdoc />
    public IDevice GetIndexDevice(Guid indexToken) => inner.GetIndexDevice(indexToken);

    /// <inheritdoc />
    public IDevice GetSnapshotLogDevice(Guid token) => inner.GetSnapshotLogDevice(token);

    /// <inheritdoc />
    public IDevice GetSnapshotObjectLogDevice(Guid token) => inner.GetSnapshotObjectLogDevice(token);

    /// <inheritdoc />
    public IDevice GetDeltaLogDevice(Guid token) => inner.GetDeltaLogDevice(token);

    /// <inheritdoc />
    public void Purge(Guid token)
    {
        WaitForCommits();
        inner.Purge(token);
    }

    /// <inheritdoc />
    public void PurgeAll()
    {
        WaitForCommits();
        inner.PurgeAll();
    }

    /// <inheritdoc />
    public void OnRecovery(Guid indexToken, Guid logToken) => inner.OnRecovery(indexToken, logToken);

    /// <summary>Waits for the commits still queued (their failures are the checkpoint's to report), then disposes the inner manager.</summary>
    public void Dispose()
    {
        WaitForCommits();
        inner.Dispose();
    }

    // One after the other, in the order FASTER made them: the inner manager writes each through one buffer pool and
    // one semaphore of its own, so two commits at once would take each other's completions.
    private void Defer(Action commit)
    {
        lock (_gate)
        {
            _last = _last.ContinueWith(_ => commit(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            _pending.Add(_last);
        }
    }

    // Readers wait for the files to be whole: for the last commit queued, which runs after every earlier one (also
    // those Committed has already handed out). A failed commit is reported by Committed, to the checkpoint it belongs to.
    private void WaitForCommits()
    {
        Task last;
        lock (_gate)
        {
            last = _last;
        }

        try
        {
            last.Wait();
        }
        catch (AggregateException)
        {
            // Reported by Committed.
        }
    }
}
