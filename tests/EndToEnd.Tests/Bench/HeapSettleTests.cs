using FraudShield.Host.Bench;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>The bench's settling of the heap before its measured window.</summary>
public sealed class HeapSettleTests
{
    [Fact]
    public void Run_AnObjectJustAllocated_InGen2AfterwardsWithThePausesAndGen2Reported()
    {
        var survivor = new byte[64];
        var gen2Before = GC.CollectionCount(2);

        var settle = HeapSettle.Run(12.5);

        // One full collection promotes a young object one generation; the two move it into gen2, as the warm-up's survivors.
        Assert.Equal(2, GC.GetGeneration(survivor));
        Assert.True(GC.CollectionCount(2) - gen2Before >= 2, $"{GC.CollectionCount(2) - gen2Before} full collections");
        Assert.Equal(12.5, settle.AtSeconds);
        Assert.True(settle.PauseMs > 0, $"pause {settle.PauseMs}");
        Assert.True(settle.Gen2BytesAfter > 0, $"gen2 after {settle.Gen2BytesAfter}");
        GC.KeepAlive(survivor);
    }

    [Theory]
    [InlineData(30_000, 5_000)]
    [InlineData(2_000, 500)]
    [InlineData(0, 0)]
    public void LeadMs_TheLastQuarterOfTheWarmUpAtMostFiveSeconds(double warmupMs, double leadMs) => Assert.Equal(leadMs, HeapSettle.LeadMs(warmupMs));
}
