using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.State;

public sealed class StoreDiskWaitsTests
{
    [Fact]
    public void OnThisThread_CountsReadsThatWaitedForTheDisk_InAndOutOfBatches()
    {
        using var dir = new TempDirectory();
        using var store = new FasterStore<long>("waits", new FasterStoreOptions { Directory = dir.Path, IndexBuckets = 1 << 16, MemorySizeBits = 20, PageSizeBits = 16 });
        using var session = store.NewSession();

        // 24-byte records, 4 MB of them through a 1 MB log buffer: the first ones are on disk only.
        for (var key = 1L; key <= 170_000; key++)
        {
            session.Upsert(key, -key);
        }

        var before = StoreDiskWaits.OnThisThread;
        Assert.True(session.TryRead(170_000, out var recent));
        Assert.Equal(-170_000, recent);
        Assert.Equal(before, StoreDiskWaits.OnThisThread);

        Assert.True(session.TryRead(1, out var old));
        Assert.Equal(-1, old);
        Assert.Equal(before + 1, StoreDiskWaits.OnThisThread);

        session.BeginBatch();
        Assert.True(session.TryRead(2, out var inBatch));
        session.EndBatch();
        Assert.Equal(-2, inBatch);
        Assert.Equal(before + 2, StoreDiskWaits.OnThisThread);

        // Another thread's sessions count on that thread.
        var other = -1L;
        var thread = new Thread(() =>
        {
            using var second = store.NewSession();
            var start = StoreDiskWaits.OnThisThread;
            second.TryRead(3, out _);
            other = StoreDiskWaits.OnThisThread - start;
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, other);
        Assert.Equal(before + 2, StoreDiskWaits.OnThisThread);
    }
}
