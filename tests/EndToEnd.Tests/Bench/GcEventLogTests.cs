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

        // The listener's session starts asynchronously: induce until the runtime's events reach it.
        var gen2 = WaitFor(log, () => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true), x => x.Generation == 2 && x.Reason.StartsWith("Induced", StringComparison.Ordinal));
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

        throw new TimeoutException("no matching collection recorded in " + Timeout);
    }
}
