using FraudShield.Host.Bench;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>
/// The report's machine section (the load the run started on, so a run beside other work reads as such) and its
/// slowest alerts.
/// </summary>
public sealed class BenchReportTests
{
    [Fact]
    public void Report_LoadAverageAtStart_Written()
    {
        var step = new StepResult { OfferedRate = 1_000, Seconds = 10, Events = 10_000, Throughput = 1_000 };
        var result = new BenchResult { Settings = new BenchSettings { Name = "load", Rules = new RulePackOptions() }, Steps = [step], LoadAtStart = new LoadAverage(1.5, 0.75, 0.25) };
        var directory = Path.Combine(Path.GetTempPath(), "fraudshield-tests", $"bench-report-{Guid.NewGuid():N}");
        try
        {
            Assert.Contains("- Load average at the start: 1.50 0.75 0.25; at the end: ", File.ReadAllText(BenchReport.Write(result, [], directory)), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Report_SlowestAlerts_EachWithItsPartsAndTheCollectionsAndCheckpointsMeanwhile()
    {
        var step = new StepResult { OfferedRate = 1_000, Seconds = 10, Events = 10_000, Throughput = 1_000, Alerts = 2 };
        var result = new BenchResult
        {
            Settings = new BenchSettings { Name = "slowest", Rules = new RulePackOptions() },
            Steps = [step],
            SlowestAlerts = [new SlowAlert(12.0, 240.5, 31, 7.2, 202.3, "R01+R02"), new SlowAlert(40.0, 9.5, 5, 2.5, -1, "R01")],
            Collections =
            [
                new GcRecord(11.9, 7, 1, "AllocSmall", "blocking", -1, -1, -1, -1),
                new GcRecord(12.2, 8, 1, "AllocSmall", "blocking", -1, -1, -1, -1),
                new GcRecord(12.23, 9, 2, "AllocSmall", "background", -1, -1, -1, 4),
            ],
            Checkpoints = [new CheckpointSpan("engine", 11.0, 1.5, 2_000), new CheckpointSpan("counterparty", 12.1, 3, 1_000), new CheckpointSpan("engine", 21.0, 1.5, 4_000)],
        };
        var directory = Path.Combine(Path.GetTempPath(), "fraudshield-tests", $"bench-report-{Guid.NewGuid():N}");
        try
        {
            var report = File.ReadAllText(BenchReport.Write(result, [], directory));
            Assert.Contains("## The slowest alerts", report, StringComparison.Ordinal);
            Assert.Contains("| 12.0 | 240.5 | 31 | 7.2 | 202.3 | gen1 at 12.2 s, gen2 at 12.2 s | engine (11.0, 2.0), counterparty (12.1, 1.0) | R01+R02 |", report, StringComparison.Ordinal);
            Assert.Contains("| 40.0 | 9.5 | 5 | 2.5 | - | - | - | R01 |", report, StringComparison.Ordinal);
            Assert.Contains("- engine checkpoints while the load ran: 2, written in 3.0 s on average (at most 4.0 s): one was being written 60 % of the time; the stage paused 1.5 ms on average to begin one (at most 1.5 ms).", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void SlowestAlerts_ManyOffered_KeepsTheSlowestSlowestFirst()
    {
        var kept = new SlowestAlerts(capacity: 3);
        foreach (var total in new[] { 5.0, 50, 1, 70, 20, 60, 3 })
        {
            kept.Offer(new SlowAlert(total, total, 0, 0, 0, "R01"));
        }

        Assert.Equal([70.0, 60, 50], kept.Slowest().Select(x => x.TotalMs));
    }

    [Fact]
    public void Read_ThisLinuxBox_ThreeNonNegativeAverages()
    {
        var load = LoadAverage.Read();
        Assert.NotNull(load);
        Assert.True(load.Value.OneMinute >= 0 && load.Value.FiveMinutes >= 0 && load.Value.FifteenMinutes >= 0, load.ToString());
    }
}
