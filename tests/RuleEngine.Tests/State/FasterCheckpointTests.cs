using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.State;

// The two-phase checkpoint the engine takes without stopping: BeginCheckpoint cuts the version between two operations,
// the files are written while the writer goes on, and a recovery sees exactly the operations before the cut.
public sealed class FasterCheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fraudshield-tests", $"cpr-{Guid.NewGuid():N}");

    private FasterStoreOptions Options => new() { Directory = _directory, IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 16 };

    [Fact]
    public async Task BeginCheckpoint_OperationsAfterTheCut_NotInTheCheckpoint()
    {
        Guid token;
        using (var store = new FasterStore<long>("cpr", Options))
        using (var session = store.NewSession())
        {
            for (var key = 1L; key <= 10_000; key++)
            {
                session.Upsert(key, key * 10);
            }

            var checkpoint = store.BeginCheckpoint();
            token = checkpoint.Token;

            // The writer goes on while the checkpoint is written: overwrite, delete and add.
            for (var key = 1L; key <= 10_000; key++)
            {
                session.Upsert(key, -key);
            }

            session.Delete(5);
            session.Upsert(20_001, 1);
            await checkpoint.Completion.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(session.TryRead(7, out var live));
            Assert.Equal(-7, live);
        }

        using var recovered = new FasterStore<long>("cpr", Options);
        recovered.Recover(token);
        using var reader = recovered.NewSession();
        for (var key = 1L; key <= 10_000; key++)
        {
            Assert.True(reader.TryRead(key, out var value), $"key {key} missing after recovery");
            Assert.Equal(key * 10, value);
        }

        Assert.False(reader.TryRead(20_001, out _));
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
            await started.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(first.Token, started.Token);
        }
        else
        {
            Assert.IsType<InvalidOperationException>(refused);
        }

        var third = store.BeginCheckpoint();
        await third.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(first.Token, third.Token);
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
