using FraudShield.RuleEngine.Engine;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// When the engine loop begins a due checkpoint (<see cref="EngineWorker.CheckpointBegins"/>): at a pass where every
/// output is already acknowledged, so it need not stop to flush, and otherwise once the patience is out.
/// </summary>
public sealed class CheckpointPatienceTests
{
    private static readonly DateTime Due = new(2026, 12, 8, 6, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NotYetDue_NeverBegins(bool allAcknowledged) =>
        Assert.False(EngineWorker.CheckpointBegins(Due.AddMilliseconds(-1), Due, allAcknowledged));

    [Fact]
    public void Due_EveryOutputAcknowledged_BeginsAtOnce() =>
        Assert.True(EngineWorker.CheckpointBegins(Due, Due, allAcknowledged: true));

    [Fact]
    public void Due_AnOutputInFlight_WaitsThroughThePatience()
    {
        Assert.False(EngineWorker.CheckpointBegins(Due, Due, allAcknowledged: false));
        Assert.False(EngineWorker.CheckpointBegins(Due + EngineWorker.CheckpointPatience - TimeSpan.FromTicks(1), Due, allAcknowledged: false));
    }

    [Fact]
    public void Due_OutputsStillInFlightWhenThePatienceIsOut_BeginsAnyway()
    {
        // A steady stream of alerts, never all acknowledged at a pass, cannot hold the checkpoint off.
        Assert.True(EngineWorker.CheckpointBegins(Due + EngineWorker.CheckpointPatience, Due, allAcknowledged: false));
        Assert.True(EngineWorker.CheckpointBegins(Due + TimeSpan.FromMinutes(1), Due, allAcknowledged: false));
    }
}
