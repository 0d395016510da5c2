using FASTER.core;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.State;

// A checkpoint's metadata commits leave the thread that completes the checkpoint, and the checkpoint still completes
// only once they are written. The inner manager is a fake whose commits wait at a gate (the disk held up).
public sealed class DeferredCommitCheckpointManagerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Commits_DiskHeldUp_ReturnAtOnceAreWrittenOneAfterTheOtherAndCommittedWaitsForBoth()
    {
        var inner = new GatedManager();
        using var manager = new DeferredCommitCheckpointManager(inner);
        var token = Guid.NewGuid();

        var returned = Task.Run(() =>
        {
            manager.CommitIndexCheckpoint(token, [1]);
            manager.CommitLogCheckpoint(token, [2]);
        });
        await returned.WaitAsync(Patience); // the gate is still shut: neither call waited for its write

        var committed = manager.Committed();
        Assert.True(inner.OneStarted.Wait(Patience), "the queued commits never reached the inner manager");
        Assert.False(committed.IsCompleted);

        inner.Gate.Set();
        await committed.WaitAsync(Patience);
        Assert.Equal([$"index {token}", $"log {token}"], inner.Written); // in the order FASTER made them
        Assert.Equal(1, inner.MostAtOnce); // the inner manager's one buffer pool and semaphore are never shared
        Assert.True(manager.Committed().IsCompleted); // nothing left queued
    }

    [Fact]
    public async Task Committed_ACommitFailed_FaultsWithItsError()
    {
        var inner = new GatedManager { Failure = new IOException("disk full") };
        inner.Gate.Set();
        using var manager = new DeferredCommitCheckpointManager(inner);

        manager.CommitLogCheckpoint(Guid.NewGuid(), [2]);

        var error = await Assert.ThrowsAsync<IOException>(() => manager.Committed().WaitAsync(Patience));
        Assert.Equal("disk full", error.Message);
        Assert.True(manager.Committed().IsCompleted); // reported once, to the checkpoint it belonged to
    }

    [Fact]
    public async Task ReadingMetadata_ACommitQueuedOrHandedOut_WaitsForIt()
    {
        var inner = new GatedManager();
        using var manager = new DeferredCommitCheckpointManager(inner);
        var token = Guid.NewGuid();
        manager.CommitLogCheckpoint(token, [7]);
        var committed = manager.Committed(); // handed out to the checkpoint: the reader must still wait for it

        var read = Task.Run(() => manager.GetLogCheckpointMetadata(token, null!, scanDelta: false, recoverTo: -1));
        Assert.True(inner.OneStarted.Wait(Patience));
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.NotSame(read, first); // the metadata was not read before its commit was written

        inner.Gate.Set();
        Assert.Equal([7], await read.WaitAsync(Patience));
        await committed.WaitAsync(Patience);
    }

    // Commits wait at Gate; metadata reads answer what was committed.
    private sealed class GatedManager : ICheckpointManager
    {
        private readonly Dictionary<string, byte[]> _files = [];
        private int _inFlight;
        private int _mostAtOnce;

        public ManualResetEventSlim Gate { get; } = new();

        public ManualResetEventSlim OneStarted { get; } = new();

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public Exception? Failure { get; init; }

        public List<string> Written { get; } = [];

        public void CommitIndexCheckpoint(Guid indexToken, byte[] commitMetadata) => Commit($"index {indexToken}", commitMetadata);

        public void CommitLogCheckpoint(Guid logToken, byte[] commitMetadata) => Commit($"log {logToken}", commitMetadata);

        public byte[] GetLogCheckpointMetadata(Guid logToken, DeltaLog deltaLog, bool scanDelta, long recoverTo)
        {
            lock (_files)
            {
                return _files[$"log {logToken}"];
            }
        }

        private void Commit(string name, byte[] metadata)
        {
            var inFlight = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref _mostAtOnce, inFlight);
            OneStarted.Set();
            try
            {
                if (!Gate.Wait(Patience))
                {
                    throw new TimeoutException("the test never opened the gate");
                }

                if (Failure is not null)
                {
                    throw Failure;
                }

                lock (_files)
                {
                    _files[name] = metadata;
                    Written.Add(name);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static void InterlockedMax(ref int location, int value)
        {
            var current = Volatile.Read(ref location);
            while (value > current && Interlocked.CompareExchange(ref location, value, current) is var seen && seen != current)
            {
                current = seen;
            }
        }

        public void CommitLogIncrementalCheckpoint(Guid logToken, long version, byte[] commitMetadata, DeltaLog deltaLog) => throw new NotSupportedException();

        public void InitializeIndexCheckpoint(Guid indexToken)
        {
        }

        public void InitializeLogCheckpoint(Guid logToken)
        {
        }

        public void CheckpointVersionShift(long oldVersion, long newVersion)
        {
        }

        public byte[] GetIndexCheckpointMetadata(Guid indexToken) => throw new NotSupportedException();

        public IEnumerable<Guid> GetIndexCheckpointTokens() => [];

        public IEnumerable<Guid> GetLogCheckpointTokens() => [];

        public IDevice GetIndexDevice(Guid indexToken) => throw new NotSupportedException();

        public IDevice GetSnapshotLogDevice(Guid token) => throw new NotSupportedException();

        public IDevice GetSnapshotObjectLogDevice(Guid token) => throw new NotSupportedException();

        public IDevice GetDeltaLogDevice(Guid token) => throw new NotSupportedException();

        public void Purge(Guid token)
        {
        }

        public void PurgeAll()
        {
        }

        public void OnRecovery(Guid indexToken, Guid logToken)
        {
        }

        public void Dispose()
        {
        }
    }
}
