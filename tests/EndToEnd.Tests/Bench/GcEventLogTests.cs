using FraudShield.Host.Bench;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>The bench's record of gen1 and gen2 collections, from the runtime's own GC events.</summary>
public sealed class GcEventLogTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void InducedCollections_RecordedWithGenerationReasonAndTheGen2sFigures()
    {
        using var log = new GcEventLog();

        // The listener's session starts asynchronously: induce until the runtime's events reach it. A Gen2 whose
        // figures were overtaken by the next one's (-1) is recorded too; the first with figures is checked.
        var gen2 = WaitFor(log, () => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true), x => x.Generation == 2 && x.Reason.StartsWith("Induced", StringComparison.Ordinal) && x.Gen2BytesAfter >= 0);
        Assert.Equal("blocking", gen2.Type);
        Assert.True(gen2.PauseMs > 0, $"pause {gen2.PauseMs}");
        Assert.True(gen2.Gen2BytesAfter > 0, $"gen2 after {gen2.Gen2BytesAfter}");
        Assert.True(gen2.AtSeconds >= 0 && gen2.AtSeconds <= log.Now, $"at {gen2.AtSeconds} of {log.Now}");

        var gen1 = WaitFor(log, () => GC.Collect(1, GCCollectionMode.Forced, blocking: true), x => x.Generation == 1 && x.Reason.StartsWith("Induced", StringComparison.Ordinal));
        Assert.True(gen1.Index > gen2.Index);
        Assert.Equal(-1, gen1.Gen2BytesAfter); // figures are kept for Gen2s only

        // Gen0 collections are not recorded.
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        WaitFor(log, () => GC.Collect(1, GCCollectionMode.Forced, blocking: true), x => x.Index > gen1.Index);
        Assert.DoesNotContain(log.Records, x => x.Generation == 0);
    }

    [Fact]
    public void BackgroundGen2_EndingAfterCollectionsBesideIt_RecordedByItsNumber()
    {
        // The runtime's events as a background Gen2 (number 1,000,000,000; far above this process's own) sees a gen1 and a gen0 start and end
        // while it marks, then ends. GC.Collect cannot start one on demand (an induced non-blocking Gen2 runs blocking).
        const long Big = 1_000_000_000;
        using var log = new GcEventLog();
        var at = DateTime.UtcNow;
        log.Started(Big, depth: 2, reason: 0, type: 1, at);
        log.Started(Big + 1, depth: 1, reason: 0, type: 0, at.AddMilliseconds(5));
        log.Ended(Big + 1);
        log.Started(Big + 2, depth: 0, reason: 0, type: 0, at.AddMilliseconds(9));
        log.Ended(Big + 2);
        log.Ended(Big);
        log.Ended(Big); // an end seen twice, or one whose start came before the log, is ignored

        var records = log.Records.Where(x => x.Index >= Big).ToList();
        Assert.Equal([(Big + 1, 1, "AllocSmall", "blocking"), (Big, 2, "AllocSmall", "background")], records.Select(x => (x.Index, x.Generation, x.Reason, x.Type)));
        Assert.InRange(records[1].AtSeconds - records[0].AtSeconds, -0.006, -0.004);
        Assert.Equal(-1, records[1].Gen2BytesAfter); // not the runtime's last background collection: figures unknown
    }

    [Fact]
    public void Collection_ItsStartSeenAgainAfterItEnded_RecordedOnce()
    {
        const long Big = 2_000_000_000;
        using var log = new GcEventLog();
        var at = DateTime.UtcNow;
        log.Started(Big, depth: 2, reason: 0, type: 1, at);
        log.Ended(Big);

        // The same collection's events a second time, stamped minutes later; then the next collection.
        log.Started(Big, depth: 2, reason: 0, type: 1, at.AddMinutes(6));
        log.Ended(Big);
        log.Started(Big + 1, depth: 1, reason: 0, type: 0, at.AddMinutes(7));
        log.Ended(Big + 1);

        Assert.Equal([(Big, 2), (Big + 1, 1)], log.Records.Where(x => x.Index >= Big).Select(x => (x.Index, x.Generation)));
        Assert.InRange(log.Records.Single(x => x.Index == Big).AtSeconds, log.Now - 5, log.Now + 1);
    }

    [Theory]
    [InlineData(0, "AllocSmall")]
    [InlineData(1, "Induced")]
    [InlineData(4, "AllocLarge")]
    [InlineData(99, "reason 99")]
    public void ReasonName_TheRuntimesNames(int reason, string name) => Assert.Equal(name, GcEventLog.ReasonName(reason));

    private static GcRecord WaitFor(GcEventLog log, Action induce, Func<GcRecord, bool> match)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            induce();
            var settle = DateTime.UtcNow + TimeSpan.FromMilliseconds(200);
            while (DateTime.UtcNow < settle)
            {
                if (log.Records.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                Thread.Sleep(5);
            }
        }

        throw new TimeoutException($"no matching collection recorded in {Timeout}; recorded: {string.Join(", ", log.Records.Take(20).Select(x => $"gen{x.Generation} {x.Reason} {x.Type}"))}");
    }
}
