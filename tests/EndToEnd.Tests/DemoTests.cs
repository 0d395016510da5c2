using System.Text.Json;
using System.Text.RegularExpressions;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>`fraudshield demo --json` as a user runs it: the simulated city with the seed scenario injected.</summary>
public sealed partial class DemoTests
{
    [Fact]
    public async Task Demo_WithSimulator_PrintsSeedScenarioAlertsAsJsonAndASummary()
    {
        await using var demo = TestProcess.Start("dotnet", [HostProcess.Dll, "demo", "--json", "--grpc-port", "0", "--duration", "12", "--rate", "300", "--scenario-every", "2", "--residents", "2000", "--seed", "5"]);

        var alerts = new List<JsonElement>();
        while (true)
        {
            string line;
            try
            {
                line = await demo.ReadLineAsync(TimeSpan.FromSeconds(60));
            }
            catch (InvalidOperationException)
            {
                break; // end of output: the demo finished
            }

            alerts.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.NotEmpty(alerts);
        foreach (var a in alerts)
        {
            Assert.Matches("^A-[0-9a-f]{16}$", a.GetProperty("alert_id").GetString());
            Assert.Matches(@"^861\*{6}\d{4}$", a.GetProperty("subject").GetString());
            Assert.Matches("^S0[1-8]$", a.GetProperty("station").GetString());
            Assert.Matches("^S0[1-8]-G0[1-6]$", a.GetProperty("grid").GetString());
            Assert.True(a.GetProperty("latency_ms").GetInt64() >= 0);
        }

        // Every injected scenario ends in an L1 that cites the listed mule account (R08); benign traffic raises nothing else.
        var l1 = alerts.Where(a => a.GetProperty("severity").GetString() == "L1").ToList();
        Assert.True(l1.Count >= 2, $"expected L1 alerts from the injected scenarios, got {alerts.Count} alerts");
        Assert.All(alerts, a => Assert.Contains(a.GetProperty("rule_ids").EnumerateArray().Select(r => r.GetString()), r => r is "R01" or "R02" or "R08"));
        var summary = Summary().Match(demo.StandardError);
        Assert.True(summary.Success, demo.StandardError);
        Assert.True(long.Parse(summary.Groups["events"].Value, System.Globalization.CultureInfo.InvariantCulture) > 1000, summary.Value);
        Assert.Equal("0", summary.Groups["dlq"].Value);
    }

    [GeneratedRegex(@"fraudshield demo: [\d.]+ s, (?<events>\d+) events \(\d+/s\), \d+ alerts, dead-lettered (?<dlq>\d+), event-to-screen latency p50 -?\d+ ms p99 -?\d+ ms")]
    private static partial Regex Summary();
}

/// <summary>No personal data in logs: a whole demo run, logging at Information, scanned for numbers and accounts.</summary>
public sealed partial class LogPrivacyTests
{
    [Fact]
    public async Task Demo_VerboseRunWithScenariosAndBadInput_LogsNoUnmaskedNumberOrAccount()
    {
        await using var demo = TestProcess.Start("dotnet", [HostProcess.Dll, "demo", "--json", "--verbose", "--grpc-port", "0", "--duration", "10", "--rate", "300", "--scenario-every", "2", "--residents", "500"]);
        var alerts = 0;
        try
        {
            while (true)
            {
                await demo.ReadLineAsync(TimeSpan.FromSeconds(60));
                alerts++;
            }
        }
        catch (InvalidOperationException)
        {
            // End of output.
        }

        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var log = demo.StandardError;
        Assert.True(alerts > 0, "the run must have raised alerts for the scan to mean something");
        Assert.Contains("info:", log, StringComparison.Ordinal);
        Assert.DoesNotMatch(PhoneNumber(), log);
        Assert.DoesNotMatch(Account(), log);
    }

    // Simulated residents are 86138xxxxxxxx, listed numbers 44207946xxxx, accounts 6217/6222 + 12 digits.
    [GeneratedRegex(@"(?<![\d.:])(\+?86\s?1\d{10}|1[3-9]\d{9}|\+?44\s?20\s?7946\s?\d{4})(?!\d)")]
    private static partial Regex PhoneNumber();

    [GeneratedRegex(@"62(17|22)\d{12}")]
    private static partial Regex Account();
}
