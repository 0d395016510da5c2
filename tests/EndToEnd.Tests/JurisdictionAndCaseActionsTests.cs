using System.Text.Json;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Serving cells imported with `fraudshield watchlist import --table cells`, the current jurisdiction on a live alert,
/// the console's case actions (`console ack|status|outcome`), and the outcome turned into an approved watchlist entry.
/// </summary>
public sealed class JurisdictionAndCaseActionsTests
{
    private const string Victim = "8613800138001";
    private const string Fraudster = "442079460001";

    private static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(params string[] arguments)
    {
        await using var run = TestProcess.Start("dotnet", [HostProcess.Dll, .. arguments]);
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var stdout = new List<string>();
        try
        {
            while (true)
            {
                stdout.Add(await run.ReadLineAsync(TimeSpan.FromSeconds(5)));
            }
        }
        catch (InvalidOperationException)
        {
            // End of output.
        }

        return (code, string.Join('\n', stdout), run.StandardError);
    }

    private static async Task<Alert> FirstAlertAsync(HostProcess host, Action produce)
    {
        using var client = new AlertStreamClient(host.Grpc);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stream = client.SubscribeAsync(new SubscribeRequest { All = true }, stop.Token).GetAsyncEnumerator(stop.Token);
        try
        {
            var next = stream.MoveNextAsync().AsTask();

            // A subscription without a token starts live: produce only once the server has opened the stream.
            await Poll.UntilAsync(() => client.LastResumeToken is not null, "the subscription to open", TimeSpan.FromSeconds(30));
            produce();
            Assert.True(await next.WithTimeout(TimeSpan.FromSeconds(30)), "the alert stream ended");
            return stream.Current.Alert;
        }
        catch (OperationCanceledException e)
        {
            Assert.Fail($"No alert within 30 s; engine status: {await host.StatusAsync()}; host stderr: {host.Process.StandardError}; {e.Message}");
            throw;
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await stream.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
                // The subscription was cancelled on purpose.
            }
        }
    }

    private static string CallFromCell(string id, string from, string to, long endMs, string cell) =>
        $$"""{"event_id":"{{id}}","calling":"+{{from}}","called":"+{{to}}","direction":"IN","start_ms":{{endMs - 1_500_000}},"end_ms":{{endMs}},"duration_s":1500,"answered":true,"origin":"INTERNATIONAL","cell_id":"{{cell}}"}""";

    [Fact]
    public async Task CellsImport_ResidentAwayFromHome_AlertHomeFromAddressCurrentFromCell()
    {
        await using var host = await HostProcess.StartDemoAsync();
        using var dir = new TempDirectory();
        var csv = Path.Combine(dir.Path, "cells.csv");
        File.WriteAllLines(csv, ["cell_id,station_id,grid_id,area", "CELL-S05-7,S05,S05-G02,Harbour", "CELL-S01-1,S01,S01-G01,Old town"]);

        var (code, _, stderr) = await RunAsync("watchlist", "import", csv, "--table", "cells", "--bootstrap", host.Bootstrap);
        Assert.True(code == 0, stderr);
        Assert.Contains("imported 2 entries into fs.cells", stderr, StringComparison.Ordinal);
        await Poll.UntilAsync(
            () => host.StatusAsync().GetAwaiter().GetResult().Tables.Single(t => t.Topic == Topics.Cells) is { CaughtUp: true, RecordsApplied: >= 2 },
            "fs.cells to be applied",
            TimeSpan.FromSeconds(30));
        host.Produce(Topics.Registry, ("P-1", Events.Subject("P-1", "+" + Victim, "S01", "S01-G01")));
        await host.WaitForTablesAsync(watchlistRecords: 0, registryRecords: 1);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var alert = await FirstAlertAsync(host, () => host.Produce(Topics.Calls, (Victim, CallFromCell("cdr-cell-1", Fraudster, Victim, now, "CELL-S05-7"))));

        Assert.Equal("S01", alert.Home.StationId);
        Assert.Equal(JurisdictionSource.Address, alert.Home.Source);
        Assert.Equal("S05", alert.Current?.StationId);
        Assert.Equal("S05-G02", alert.Current?.GridId);
        Assert.Equal(JurisdictionSource.Cell, alert.Current?.Source);
    }

    [Fact]
    public async Task CellsImport_InvalidLine_NothingImported()
    {
        await using var host = await HostProcess.StartDemoAsync();
        using var dir = new TempDirectory();
        var jsonl = Path.Combine(dir.Path, "cells.jsonl");
        File.WriteAllLines(jsonl, ["""{"cell_id":"CELL-1","station_id":"S05"}""", """{"cell_id":"CELL-2"}"""]);

        var (code, _, stderr) = await RunAsync("watchlist", "import", jsonl, "--table", "cells", "--bootstrap", host.Bootstrap);

        Assert.Equal(1, code);
        Assert.Contains("cells.jsonl:2: MissingField(station_id)", stderr, StringComparison.Ordinal);
        Assert.Contains("nothing imported", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleActions_SignContactOnSiteDissuaded_OutcomeProposesCallerForWatchlist()
    {
        await using var host = await HostProcess.StartDemoAsync();
        var server = host.Grpc.ToString();
        host.Produce(Topics.Registry, ("P-1", Events.Subject("P-1", "+" + Victim, "S01", "S01-G01")));
        await host.WaitForTablesAsync(watchlistRecords: 0, registryRecords: 1);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var alert = await FirstAlertAsync(host, () => host.Produce(Topics.Calls, (Victim, Events.OverseasCall("cdr-case-1", "+" + Fraudster, "+" + Victim, now))));
        Assert.Equal(Fraudster, alert.Evidence.Facts["counterpart_msisdn"]);

        var (code, stdout, stderr) = await RunAsync("console", "outcome", alert.AlertId, "DISSUADED", "--server", server);
        Assert.True(code == 1, $"an outcome before signing must be refused: {code} {stdout} {stderr}");

        (code, stdout, stderr) = await RunAsync("console", "ack", alert.AlertId, "--server", server, "--operator", "OFF-7");
        Assert.True(code == 0, stderr);
        Assert.Contains($"{alert.AlertId} SIGNED", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync("console", "status", alert.AlertId, "CONTACTED", "--server", server);
        Assert.True(code == 0, stderr);
        Assert.Contains("CONTACTED", stdout, StringComparison.Ordinal);
        (code, stdout, stderr) = await RunAsync("console", "status", alert.AlertId, "ON_SITE", "--server", server);
        Assert.True(code == 0, stderr);
        Assert.Contains("ON_SITE", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync("console", "outcome", alert.AlertId, "DISSUADED", "--loss-prevented", "500000", "--server", server, "--json");
        Assert.True(code == 0, stderr);
        using (var state = JsonDocument.Parse(stdout))
        {
            Assert.Equal("OUTCOME_DISSUADED", state.RootElement.GetProperty("outcome").GetString());
            Assert.Equal("500000", state.RootElement.GetProperty("lossPreventedMinor").GetString());
        }

        (code, _, stderr) = await RunAsync("console", "ack", "A-0000000000000000", "--server", server);
        Assert.Equal(1, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);

        // The outcome reaches fs.outcomes; the proposal names the caller, SUSPECTED (dissuaded, no loss).
        string? proposalId = null;
        await Poll.UntilAsync(
            () =>
            {
                var (c, o, _) = RunAsync("watchlist", "proposals", "--json", "--bootstrap", host.Bootstrap).GetAwaiter().GetResult();
                var line = c == 0 ? o.Split('\n').FirstOrDefault(l => l.Contains(Fraudster, StringComparison.Ordinal)) : null;
                if (line is null)
                {
                    return false;
                }

                using var proposal = JsonDocument.Parse(line);
                Assert.Equal("MSISDN", proposal.RootElement.GetProperty("key_type").GetString());
                Assert.Equal("+" + Fraudster, proposal.RootElement.GetProperty("key").GetString());
                Assert.Equal("SUSPECTED", proposal.RootElement.GetProperty("level").GetString());
                Assert.Equal(alert.AlertId, proposal.RootElement.GetProperty("alert_ids")[0].GetString());
                proposalId = proposal.RootElement.GetProperty("proposal_id").GetString();
                return true;
            },
            "a watchlist proposal for the caller",
            TimeSpan.FromSeconds(60));

        (code, _, stderr) = await RunAsync("watchlist", "approve", proposalId!, "--bootstrap", host.Bootstrap);
        Assert.True(code == 0, stderr);
        Assert.Contains("approved", stderr, StringComparison.Ordinal);
        await host.WaitForTablesAsync(watchlistRecords: 1, registryRecords: 1);

        (code, _, stderr) = await RunAsync("watchlist", "approve", "WP-nosuchthing", "--bootstrap", host.Bootstrap);
        Assert.Equal(2, code);
    }
}
