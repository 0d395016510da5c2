using FraudShield.Host.Bench;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>The report's machine section: the load the run started on, so a run beside other work reads as such.</summary>
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
    public void Read_ThisLinuxBox_ThreeNonNegativeAverages()
    {
        var load = LoadAverage.Read();
        Assert.NotNull(load);
        Assert.True(load.Value.OneMinute >= 0 && load.Value.FiveMinutes >= 0 && load.Value.FifteenMinutes >= 0, load.ToString());
    }
}
