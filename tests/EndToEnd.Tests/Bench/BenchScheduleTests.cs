using FraudShield.Host.Bench;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>The bench's budget parser and the generator's schedule arithmetic.</summary>
public sealed class BenchScheduleTests
{
    [Theory]
    [InlineData("p99=20ms", "p99", 20)]
    [InlineData("p50=500us", "p50", 0.5)]
    [InlineData("p99.9=1s", "p999", 1000)]
    [InlineData("max=0.001ms", "max", 0.001)]
    public void Parse_ValidBudget_ReturnsMetricAndLimitInMs(string text, string metric, double limitMs)
    {
        var budget = Assert.Single(Budget.Parse([text], out var error)!);
        Assert.Null(error);
        Assert.Equal(metric, budget.Metric);
        Assert.Equal(limitMs, budget.LimitMs, 9);
    }

    [Theory]
    [InlineData("p98=20ms")]
    [InlineData("p99=fast")]
    [InlineData("p99")]
    public void Parse_InvalidBudget_ReturnsNullWithReason(string text)
    {
        Assert.Null(Budget.Parse([text], out var error));
        Assert.Contains(text.Split('=')[0], error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CommaSeparated_ReturnsEach()
    {
        var budgets = Budget.Parse(["p50=5ms,p99=20ms", "p999=50ms"], out _)!;
        Assert.Equal(["p50", "p99", "p999"], budgets.Select(b => b.Metric));
    }

    [Fact]
    public void DueBy_TwoSteps_IsThePiecewiseIntegralOfTheRate()
    {
        LoadStep[] steps = [new(1000, TimeSpan.FromSeconds(2)), new(3000, TimeSpan.FromSeconds(1))];
        Assert.Equal(0, LoadGenerator.DueBy(steps, 0));
        Assert.Equal(1000, LoadGenerator.DueBy(steps, 1));
        Assert.Equal(2000 + 1500, LoadGenerator.DueBy(steps, 2.5));
        Assert.Equal(5000, LoadGenerator.DueBy(steps, 10));
        Assert.Equal(2.0 + (1.0 / 3000), LoadGenerator.ScheduledAt(steps, 2001), 9);
    }

    [Fact]
    public void Steps_FormattedForTheLoadProcess_ParseBackExactly()
    {
        LoadStep[] steps = [new(29516, TimeSpan.FromSeconds(2)), new(1000.0 / 3, TimeSpan.FromSeconds(600)), new(0.5, TimeSpan.FromMilliseconds(1500))];

        var parsed = LoadProcess.ParseSteps(LoadProcess.FormatSteps(steps));

        Assert.Equal(steps, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1000")]
    [InlineData("1000:0")]
    [InlineData("-5:10")]
    [InlineData("1000:10,abc:2")]
    [InlineData("1000:10:3")]
    public void ParseSteps_Malformed_ReturnsNull(string text)
    {
        Assert.Null(LoadProcess.ParseSteps(text));
    }

    [Fact]
    public void BenchClock_OfAnotherProcess_AgreesWithTheAnchorsClock()
    {
        var clock = new BenchClock();
        SpinWait.SpinUntil(() => clock.ElapsedMs > 50);
        var other = new BenchClock(clock.AnchorUnixMs);

        Assert.Equal(clock.AnchorUnixMs, other.AnchorUnixMs);
        Assert.InRange(other.ElapsedMs - clock.ElapsedMs, -1, 1);
    }
}
