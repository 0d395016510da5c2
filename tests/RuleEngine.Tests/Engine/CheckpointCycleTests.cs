using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// A worker's checkpoints in flight (<see cref="CheckpointCycle"/>), with the stores' writes as tasks the test
/// completes: the commit off the worker's thread, one checkpoint at a time, and the stop path.
/// </summary>
public sealed class CheckpointCycleTests
{
    private static readonly StoreCheckpoint PartiesWritten = StoreCheckpoint.Full(Guid.NewGuid());
    private static readonly StoreCheckpoint PairsWritten = StoreCheckpoint.Full(Guid.NewGuid());

    private readonly List<string> _skipped = [];
    private readonly TaskCompletionSource<StoreCheckpoint> _parties = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<StoreCheckpoint> _pairs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Poll_OnceBothStoresAreWritten_ReturnsAtOnceAndCommitsBothPartsOffTheWorkersThread()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var cycle = new CheckpointCycle(m => { entered.Set(); gate.Wait(TimeSpan.FromSeconds(30)); return m; }, Skipped);

        cycle.Begin(Manifest(7), () => new FasterCheckpoint(_parties.Task), () => new FasterCheckpoint(_pairs.Task));
        _parties.SetResult(PartiesWritten);
        cycle.Poll();
        Assert.False(cycle.Idle); // the pair store is still writing
        _pairs.SetResult(PairsWritten);
        await Poll.UntilAsync(() => { cycle.Poll(); return entered.IsSet; }, "the commit to start"); // Poll returns while it waits at the gate

        Assert.Equal(0, cycle.Taken);
        Assert.False(cycle.Idle);
        gate.Set();
        await Poll.UntilAsync(() => cycle.Taken == 1, "the commit");
        Assert.Equal(7, cycle.Last!.Sequence);
        Assert.Equal(PartiesWritten, cycle.Last.Parties);
        Assert.Equal(PairsWritten, cycle.Last.Pairs);
        Assert.True(cycle.Idle);
        Assert.Empty(_skipped);
    }

    [Fact]
    public void Recent_EachCommittedCheckpoint_WhenItBeganAndHowLongItTook_NotASkippedOne()
    {
        var cycle = new CheckpointCycle(m => m, Skipped);
        var before = DateTimeOffset.UtcNow;
        cycle.Begin(Manifest(1), () => new FasterCheckpoint(_parties.Task), () => new FasterCheckpoint(_pairs.Task));
        var begun = DateTimeOffset.UtcNow;
        _parties.SetResult(PartiesWritten);
        _pairs.SetResult(PairsWritten);
        cycle.Finish();
        var after = DateTimeOffset.UtcNow;

        var window = Assert.Single(cycle.Recent);
        Assert.InRange(window.Began, before, begun);
        Assert.InRange(window.Total, window.Pause, after - before);

        // A checkpoint whose store failed to write is skipped: not in the record.
        var failed = new TaskCompletionSource<StoreCheckpoint>();
        failed.SetException(new IOException("disk full"));
        cycle.Begin(Manifest(2), () => new FasterCheckpoint(failed.Task), () => new FasterCheckpoint(Task.FromResult(PairsWritten)));
        cycle.Finish();
        Assert.Equal(["disk full"], _skipped);
        Assert.Equal(window, Assert.Single(cycle.Recent));
    }

    [Fact]
    public async Task Begin_WhileTheCommitRuns_SkippedUntilItEnds()
    {
        using var gate = new ManualResetEventSlim();
        var cycle = new CheckpointCycle(m => { gate.Wait(TimeSpan.FromSeconds(30)); return m; }, Skipped);
        _parties.SetResult(PartiesWritten);
        _pairs.SetResult(PairsWritten);
        var stores = 0;
        FasterCheckpoint Store(Task<StoreCheckpoint> written)
        {
            stores++;
            return new FasterCheckpoint(written);
        }

        cycle.Begin(Manifest(1), () => Store(_parties.Task), () => Store(_pairs.Task));
        cycle.Poll(); // the commit starts and waits at the gate
        Assert.False(cycle.Idle);
        cycle.Begin(Manifest(2), () => Store(_parties.Task), () => Store(_pairs.Task));

        Assert.Equal(2, stores); // the second begin cut no store's version
        Assert.Equal(["the previous checkpoint is still being written or committed"], _skipped);
        gate.Set();
        await Poll.UntilAsync(() => cycle.Idle, "the commit to end");
        Assert.Equal(1, cycle.Taken);
        Assert.Equal(1, cycle.Last!.Sequence);
    }

    [Fact]
    public void Finish_ABegunCheckpoint_WaitsForTheStoresAndCommitsOnTheCallingThread()
    {
        var committedOn = -1;
        var cycle = new CheckpointCycle(m => { committedOn = Environment.CurrentManagedThreadId; return m; }, Skipped);
        cycle.Begin(Manifest(3), () => new FasterCheckpoint(_parties.Task), () => new FasterCheckpoint(_pairs.Task));
        _ = Task.Run(async () =>
        {
            await Task.Yield();
            _parties.SetResult(PartiesWritten);
            _pairs.SetResult(PairsWritten);
        });

        cycle.Finish();

        Assert.Equal(Environment.CurrentManagedThreadId, committedOn);
        Assert.Equal(1, cycle.Taken);
        Assert.Equal(3, cycle.Last!.Sequence);
    }

    [Fact]
    public async Task Finish_ACommitStillRunning_WaitsForIt()
    {
        using var gate = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var cycle = new CheckpointCycle(m => { entered.Set(); gate.Wait(TimeSpan.FromSeconds(30)); return m; }, Skipped);
        _parties.SetResult(PartiesWritten);
        _pairs.SetResult(PairsWritten);
        cycle.Begin(Manifest(4), () => new FasterCheckpoint(_parties.Task), () => new FasterCheckpoint(_pairs.Task));
        cycle.Poll();
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));

        var finishing = Task.Run(cycle.Finish);
        await Task.WhenAny(finishing, Task.Delay(TimeSpan.FromMilliseconds(100)));
        Assert.False(finishing.IsCompleted, "Finish returned while the commit was still running");
        gate.Set();
        await finishing.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, cycle.Taken);
        Assert.True(cycle.Idle);
        Assert.Empty(_skipped);
    }

    [Fact]
    public async Task Finish_ACommitOutlastingThePatience_ReportedAndNothingBeginsBesideIt()
    {
        using var gate = new ManualResetEventSlim();
        var cycle = new CheckpointCycle(m => { gate.Wait(TimeSpan.FromSeconds(30)); return m; }, Skipped, patience: TimeSpan.FromMilliseconds(100));
        _parties.SetResult(PartiesWritten);
        _pairs.SetResult(PairsWritten);
        cycle.Begin(Manifest(1), () => new FasterCheckpoint(_parties.Task), () => new FasterCheckpoint(_pairs.Task));
        cycle.Poll();

        cycle.Finish();
        var cut = 0;
        cycle.Begin(Manifest(2), () => { cut++; return new FasterCheckpoint(_parties.Task); }, () => { cut++; return new FasterCheckpoint(_pairs.Task); });

        Assert.Equal(0, cut);
        Assert.False(cycle.Idle);
        Assert.Equal(["the previous checkpoint's commit did not end in 0.1 s", "the previous checkpoint is still being written or committed"], _skipped);
        gate.Set();
        await Poll.UntilAsync(() => cycle.Idle, "the commit to end");
        Assert.Equal(1, cycle.Last!.Sequence);
    }

    [Fact]
    public async Task Commit_Fails_ReportedAndThePreviousCheckpointStaysInForce()
    {
        var cycle = new CheckpointCycle(_ => throw new IOException("disk full"), Skipped) { Last = Manifest(5) };
        _parties.SetResult(PartiesWritten);
        _pairs.SetException(new InvalidOperationException("not this one"));
        cycle.Begin(Manifest(6), () => new FasterCheckpoint(_parties.Task), () => new FasterCheckpoint(_pairs.Task));
        cycle.Poll();
        await Poll.UntilAsync(() => cycle.Idle, "the commit to end");
        Assert.Equal(["not this one"], _skipped); // FASTER's failure, before any commit

        cycle.Begin(Manifest(6), () => new FasterCheckpoint(Task.FromResult(PartiesWritten)), () => new FasterCheckpoint(Task.FromResult(PairsWritten)));
        cycle.Finish();

        Assert.Equal(["not this one", "disk full"], _skipped);
        Assert.Equal(0, cycle.Taken);
        Assert.Equal(5, cycle.Last!.Sequence);
    }

    [Fact]
    public void Begin_SecondStoreRefusesAfterTheFirstStoresWriteFailed_ThrowsTheRefusal()
    {
        var cycle = new CheckpointCycle(m => m, Skipped);
        _parties.SetException(new IOException("first store's write failed"));

        var e = Assert.Throws<InvalidOperationException>(() => cycle.Begin(Manifest(1), () => new FasterCheckpoint(_parties.Task), () => throw new InvalidOperationException("one is already running")));

        Assert.Equal("one is already running", e.Message);
        Assert.True(cycle.Idle);
    }

    [Fact]
    public void Begin_SecondStoreRefuses_WaitsForTheFirstStoresWriteAndThrows()
    {
        var cycle = new CheckpointCycle(m => m, Skipped);
        _parties.SetResult(PartiesWritten);

        Assert.Throws<InvalidOperationException>(() => cycle.Begin(Manifest(1), () => new FasterCheckpoint(_parties.Task), () => throw new InvalidOperationException("one is already running")));

        Assert.True(cycle.Idle);
        cycle.Finish();
        Assert.Equal(0, cycle.Taken);
    }

    [Fact]
    public void TryRecover_ACheckpoint_TakenAsLastAndReported()
    {
        var cycle = new CheckpointCycle(m => m, Skipped);
        CheckpointManifest? told = null;

        Assert.True(cycle.TryRecover(() => Manifest(9), _ => Assert.Fail("refused"), m => told = m));

        Assert.Equal(9, cycle.Last!.Sequence);
        Assert.Same(cycle.Last, told);
    }

    [Fact]
    public void TryRecover_NoneOrUntrustedState_NothingTakenAndUntrustedRefused()
    {
        var cycle = new CheckpointCycle(m => m, Skipped);
        var refusals = new List<string>();

        Assert.True(cycle.TryRecover(() => null, e => refusals.Add(e.Message), _ => Assert.Fail("nothing recovered")));
        Assert.False(cycle.TryRecover(() => throw new InvalidOperationException("move the folder away"), e => refusals.Add(e.Message), _ => Assert.Fail("nothing recovered")));

        Assert.Null(cycle.Last);
        Assert.Equal(["move the folder away"], refusals);
    }

    private static CheckpointManifest Manifest(long sequence) => new()
    {
        Sequence = sequence,
        CreatedMs = 0,
        Parties = default,
        Pairs = default,
        Positions = [],
    };

    private void Skipped(string reason)
    {
        lock (_skipped)
        {
            _skipped.Add(reason);
        }
    }
}
