using Confluent.Kafka;
using FraudShield.Host.Bench;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>
/// The bench's detection of a consumer that fell behind the cluster's retention (librdkafka resets it to the log start
/// and the records in between are never read): the line is recognised, and a step with one is not sustained.
/// </summary>
public sealed class OffsetResetTests
{
    // As librdkafka 2.16 wrote it in a bench run with 4 partitions (bench/results/2026-12-07-alert-handoff.md).
    private const string ResetLine = "[thrd:main]: fs.calls [2]: offset reset (at offset 56760 (leader epoch 0), broker 3) to cached BEGINNING offset offset 58489 (leader epoch -1): fetch failed due to requested offset not available on the broker: Broker: Offset out of range";

    [Fact]
    public void IsOffsetReset_TheOutOfRangeResetLine_True() =>
        Assert.True(BenchRunner.IsOffsetReset(new LogMessage("fraudshield#consumer-8", SyslogLevel.Warning, "OFFSET", ResetLine)));

    [Theory]
    [InlineData("OFFSET", "[thrd:main]: fs.calls [2]: offset reset (at offset INVALID, broker 3) to BEGINNING: no previously committed offset available: Local: No offset stored")]
    [InlineData("FETCH", ResetLine)]
    [InlineData("OFFSET", "[thrd:main]: Topic fs.calls [2]: stored offset 100, committed offset 90")]
    public void IsOffsetReset_OtherLines_False(string facility, string line) =>
        Assert.False(BenchRunner.IsOffsetReset(new LogMessage("fraudshield#consumer-8", SyslogLevel.Warning, facility, line)));

    [Fact]
    public void Sustained_AStepOtherwiseSustainedWithAnOffsetReset_False()
    {
        var kept = new StepResult { OfferedRate = 1_000, Seconds = 10, Events = 10_000, Throughput = 1_000 };
        Assert.True(kept.Sustained);
        Assert.False((kept with { OffsetResets = 1 }).Sustained);
    }

    [Fact]
    public void Report_ARunThatLostInput_NamesTheStepItStoppedAt()
    {
        var kept = new StepResult { OfferedRate = 1_000, Seconds = 10, Events = 10_000, Throughput = 1_000 };
        var clean = new BenchResult { Settings = new BenchSettings { Name = "clean", Rules = new FraudShield.RuleEngine.Rules.RulePackOptions() }, Steps = [kept, kept] };
        var lost = clean with { Settings = new BenchSettings { Name = "lost", Rules = new FraudShield.RuleEngine.Rules.RulePackOptions() }, Steps = [kept, kept with { OffsetResets = 41 }] };
        Assert.Equal(0, clean.LostInputStep);
        Assert.Equal(2, lost.LostInputStep);

        var directory = Path.Combine(Path.GetTempPath(), "fraudshield-tests", $"bench-report-{Guid.NewGuid():N}");
        try
        {
            Assert.DoesNotContain("The run stopped", File.ReadAllText(BenchReport.Write(clean, [], directory)), StringComparison.Ordinal);
            Assert.Contains("The run stopped at step 2 of 2: a consumer fell behind the cluster's retention and skipped records (41 offset resets)", File.ReadAllText(BenchReport.Write(lost, [], directory)), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
