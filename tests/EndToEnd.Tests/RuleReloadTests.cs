using System.Text.Json;
using System.Text.RegularExpressions;
using FraudShield.Contracts;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Hot reload and backtest on the real host: `fraudshield rules deploy` and `fraudshield replay` as processes against
/// a `fraudshield demo` process, events produced by kcat.
/// </summary>
public sealed partial class RuleReloadTests
{
    private const string Mule = "6222880000000042";
    private const string Fraudster = "442079460001";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static string DefaultYaml => File.ReadAllText(Path.Combine(RepoPaths.Root, "rules", "default.yaml"));

    [Fact]
    public async Task Deploy_CandidateLowersR08Threshold_EngineSwitchesAtEffectiveTimeAndKeepsState_InvalidRefused()
    {
        await using var host = await HostProcess.StartDemoAsync("--verbose");
        using var dir = new TempDirectory();
        const string a = "8613800138011";
        const string b = "8613800138012";
        const string c = "8613800138013";
        host.Produce(Topics.Registry,
            ("P-11", Events.Subject("P-11", "+" + a, "S01", "S01-G01")),
            ("P-12", Events.Subject("P-12", "+" + b, "S02", "S02-G01")),
            ("P-13", Events.Subject("P-13", "+" + c, "S03", "S03-G01")));
        host.Produce(Topics.Watchlist, ("ACCOUNT:" + Mule, Events.ListedAccount(Mule)));
        await host.WaitForTablesAsync(watchlistRecords: 1, registryRecords: 3);

        // Before the deploy: 5,000 RMB to a listed account is below the shipped L1 threshold (10,000): L2.
        host.Produce(Topics.Txns, (a, Transfer("txn-r-1", a, 500_000)));
        var before = await NextAlertAsync(host);
        Assert.Equal(("861******8011", "L2", 1), (Subject(before), Severity(before), Version(before)));
        Assert.Contains("R08", Rules(before));

        // Deploy a candidate that lowers the L1 threshold to 1,000 RMB.
        var candidate = Path.Combine(dir.Path, "lower-r08.yaml");
        File.WriteAllText(candidate, Replace(DefaultYaml, "large_amount_minor: 1000000", "large_amount_minor: 100000"));
        var (deployCode, deployOut, deployErr) = await RunAsync("rules", "deploy", candidate, "--bootstrap", host.Bootstrap, "--margin-ms", "1000");
        Assert.True(deployCode == 0, deployErr);
        var deployed = Deployed().Match(deployOut);
        Assert.True(deployed.Success, deployOut);
        var version = deployed.Groups["version"].Value;
        var effective = long.Parse(deployed.Groups["effective"].Value, System.Globalization.CultureInfo.InvariantCulture);

        // The engine has the set before any event stamped at or after its effective time is produced.
        await Poll.UntilAsync(() => host.Process.StandardError.Contains($"Rule set {version} received from fs.rules", StringComparison.Ordinal), "the engine to receive the rule set", Timeout);
        await Poll.UntilAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > effective, "the effective time to pass", Timeout);

        // After: the same party's open incident is updated (same id, next version) and now L1; a new party gets L1.
        host.Produce(Topics.Txns, (a, Transfer("txn-r-2", a, 500_000)), (b, Transfer("txn-r-3", b, 500_000)));
        var after = new[] { await NextAlertAsync(host), await NextAlertAsync(host) };
        var aAfter = after.Single(x => Subject(x) == "861******8011");
        var bAfter = after.Single(x => Subject(x) == "861******8012");
        Assert.Equal(AlertId(before), AlertId(aAfter));
        Assert.Equal((2, "L1"), (Version(aAfter), Severity(aAfter)));
        Assert.Equal((1, "L1"), (Version(bAfter), Severity(bAfter)));
        await Poll.UntilAsync(() => host.Process.StandardError.Contains($"Rule set {version} active from event time {effective}", StringComparison.Ordinal), "the switch to be logged", Timeout);

        // An invalid file is refused before anything is published: exit 1, file:line errors.
        var bad = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(bad, Replace(DefaultYaml, "large_amount_minor: 1000000", "large_amount_minor: lots"));
        var (badCode, badOut, badErr) = await RunAsync("rules", "deploy", bad, "--bootstrap", host.Bootstrap);
        Assert.Equal(1, badCode);
        Assert.Matches($@"(?m)^{Regex.Escape(bad)}:\d+: rule R08: parameter large_amount_minor: ", badErr);
        Assert.DoesNotContain("deployed", badOut, StringComparison.Ordinal);

        // An invalid record that bypassed the command is refused by the engine, which keeps the set it runs.
        host.Produce(Topics.Rules, ("active", """{"version":"r-000000000000","effective_from_ms":0,"source":"forged.yaml","yaml":"rules: 7"}"""));
        await Poll.UntilAsync(() => host.Process.StandardError.Contains("Refused a rule set from fs.rules", StringComparison.Ordinal), "the engine to refuse the forged record", Timeout);
        host.Produce(Topics.Txns, (c, Transfer("txn-r-4", c, 500_000)));
        var third = await NextAlertAsync(host);
        Assert.Equal(("861******8013", "L1"), (Subject(third), Severity(third)));
        var status = await host.StatusAsync();
        Assert.Equal(0, status.EventsDeadLettered);
        Assert.Equal(4, status.EventsProcessed);
        Assert.Contains(status.Tables, t => t.Topic == Topics.Rules && t.RecordsApplied == 2);
        Assert.Equal(version, status.RulesVersion);
    }

    [Fact]
    public async Task Replay_CandidateDisablesR08_JsonShowsR08RemovedAndNoOtherChange()
    {
        await using var host = await HostProcess.StartDemoAsync();
        using var dir = new TempDirectory();
        string[] payers = ["8613800138021", "8613800138022", "8613800138023"];
        const string callee = "8613800138024";
        host.Produce(Topics.Registry, [.. payers.Append(callee).Select((n, i) => ($"P-2{i}", Events.Subject($"P-2{i}", "+" + n, "S04", "S04-G01")))]);
        host.Produce(Topics.Watchlist, ("ACCOUNT:" + Mule, Events.ListedAccount(Mule)), ("MSISDN:+" + Fraudster, Events.ListedNumber(Fraudster)));
        await host.WaitForTablesAsync(watchlistRecords: 2, registryRecords: 4);

        var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
        var now = from;
        host.Produce(Topics.Txns, [.. payers.Select((p, i) => (p, Transfer($"txn-b-{i}", p, 8_000_000)))]);
        host.Produce(Topics.Calls, (callee, Events.OverseasCall("cdr-b-1", "+" + Fraudster, "+" + callee, now)));

        // The live engine raised its alerts: 3 for R08, 1 for the call (R01, R02; R17 for the elderly callee).
        for (var i = 0; i < 4; i++)
        {
            await NextAlertAsync(host);
        }

        var to = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1;
        var candidate = Path.Combine(dir.Path, "no-r08.yaml");
        File.WriteAllText(candidate, Replace(DefaultYaml, "name: PAY_TO_WATCHLISTED_ACCOUNT\n    severity: L2\n    enabled: true", "name: PAY_TO_WATCHLISTED_ACCOUNT\n    severity: L2\n    enabled: false"));
        var (code, stdout, stderr) = await RunAsync("replay", "--rules", candidate, "--from", from.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--to", to.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bootstrap", host.Bootstrap, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("events").GetInt64());
        Assert.Equal(0, root.GetProperty("outcomes_known").GetInt32());
        Assert.EndsWith("default.yaml", root.GetProperty("deployed").GetProperty("source").GetString(), StringComparison.Ordinal);
        var rules = root.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("rule").GetString()!);
        var r08 = rules["R08"];
        Assert.Equal((3, 0, 0, 3), (r08.GetProperty("deployed").GetInt32(), r08.GetProperty("candidate").GetInt32(), r08.GetProperty("added").GetInt32(), r08.GetProperty("removed").GetInt32()));
        Assert.Equal(JsonValueKind.Null, r08.GetProperty("candidate_precision").ValueKind);
        var r01 = rules["R01"];
        Assert.Equal((1, 1), (r01.GetProperty("deployed").GetInt32(), r01.GetProperty("candidate").GetInt32()));
        Assert.All(rules.Values.Where(r => r.GetProperty("rule").GetString() != "R08"), r =>
            Assert.Equal((0, 0), (r.GetProperty("added").GetInt32(), r.GetProperty("removed").GetInt32())));
        var total = root.GetProperty("total");
        Assert.Equal((4, 1, 3), (total.GetProperty("deployed").GetInt32(), total.GetProperty("candidate").GetInt32(), total.GetProperty("removed").GetInt32()));

        // Without --json: the Spectre table with the same numbers, and precision unknown.
        var (tableCode, table, tableErr) = await RunAsync("replay", "--rules", candidate, "--from", from.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--to", to.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bootstrap", host.Bootstrap);
        Assert.True(tableCode == 0, tableErr);
        Assert.Contains("precision unknown", table, StringComparison.Ordinal);
        var plain = Regex.Replace(table, @"\x1b\[[0-9;]*m", "");
        Assert.True(Regex.IsMatch(plain, @"R08\W+3\W+0\W+0\W+-3\W"), plain);
    }

    private static string Transfer(string id, string payer, long amountMinor) =>
        $$"""{"txn_id":"{{id}}","ts_ms":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}},"type":"TRANSFER","payer":{"account":"ACC-{{payer}}","msisdn":"{{payer}}"},"payee":{"account":"{{Mule}}","kind":"PERSON"},"amount_minor":{{amountMinor}},"currency":"CNY"}""";

    private static async Task<JsonElement> NextAlertAsync(HostProcess host)
    {
        using var doc = JsonDocument.Parse(await host.Process.ReadLineAsync(Timeout));
        return doc.RootElement.Clone();
    }

    private static string Subject(JsonElement a) => a.GetProperty("subject").GetString()!;

    private static string Severity(JsonElement a) => a.GetProperty("severity").GetString()!;

    private static int Version(JsonElement a) => a.GetProperty("version").GetInt32();

    private static string AlertId(JsonElement a) => a.GetProperty("alert_id").GetString()!;

    private static string[] Rules(JsonElement a) => [.. a.GetProperty("rule_ids").EnumerateArray().Select(r => r.GetString()!)];

    private static string Replace(string text, string from, string to)
    {
        Assert.Contains(from, text, StringComparison.Ordinal);
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    // `fraudshield args...` to its exit: code, stdout, stderr.
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        await using var process = TestProcess.Start("dotnet", [HostProcess.Dll, .. arguments]);
        var lines = new List<string>();
        try
        {
            while (true)
            {
                lines.Add(await process.ReadLineAsync(TimeSpan.FromSeconds(120)));
            }
        }
        catch (InvalidOperationException)
        {
            // End of output.
        }

        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return (code, string.Join('\n', lines), process.StandardError);
    }

    [GeneratedRegex(@"deployed (?<version>r-[0-9a-f]{12}) from \S+: effective_from_ms=(?<effective>\d+)")]
    private static partial Regex Deployed();
}
