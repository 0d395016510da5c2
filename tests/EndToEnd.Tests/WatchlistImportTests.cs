using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>`fraudshield watchlist import` against a running host's cluster.</summary>
public sealed class WatchlistImportTests
{
    private static async Task<(int ExitCode, string StandardError)> ImportAsync(HostProcess host, string file, params string[] extra)
    {
        await using var import = TestProcess.Start("dotnet", [HostProcess.Dll, "watchlist", "import", file, "--bootstrap", host.Bootstrap, .. extra]);
        var code = await import.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, import.StandardError);
    }

    [Fact]
    public async Task Import_ValidCsvAndJsonl_EntriesReachTheEngine()
    {
        await using var host = await HostProcess.StartDemoAsync();
        using var dir = new TempDirectory();
        var csv = Path.Combine(dir.Path, "numbers.csv");
        File.WriteAllLines(csv,
        [
            "key_type,key,level,typology,source,case_ref,valid_from_ms,valid_to_ms",
            "MSISDN,+44 20 7946 0001,CONFIRMED,IMPERSONATE_AUTHORITY,provincial,C-1,,",
            "ACCOUNT,6222880000000042,SUSPECTED,FAKE_INVESTMENT,bank,C-2,1700000000000,",
            "APP_PKG,com.fake.case,CONFIRMED,IMPERSONATE_AUTHORITY,analyst,C-3,,",
        ]);
        var jsonl = Path.Combine(dir.Path, "more.jsonl");
        File.WriteAllLines(jsonl, ["""{"key_type":"URL","key":"safe-account.example","level":"CONFIRMED"}"""]);

        var (code, stderr) = await ImportAsync(host, csv);
        Assert.True(code == 0, stderr);
        Assert.Contains("imported 3 entries", stderr, StringComparison.Ordinal);
        (code, stderr) = await ImportAsync(host, jsonl);
        Assert.True(code == 0, stderr);

        await host.WaitForTablesAsync(watchlistRecords: 4, registryRecords: 0);
    }

    [Fact]
    public async Task Import_InvalidLines_RefusedWithFileLineAndField_NothingImported()
    {
        await using var host = await HostProcess.StartDemoAsync();
        using var dir = new TempDirectory();
        var csv = Path.Combine(dir.Path, "bad.csv");
        File.WriteAllLines(csv,
        [
            "key_type,key,level",
            "MSISDN,+44 20 7946 0001,CONFIRMED",
            "MSISDN,not-a-number,CONFIRMED",
            "ACCOUNT,6222880000000042,MAYBE",
        ]);

        var (code, stderr) = await ImportAsync(host, csv);

        Assert.Equal(1, code);
        Assert.Contains("bad.csv:3: InvalidPhoneNumber", stderr, StringComparison.Ordinal);
        Assert.Contains("bad.csv:4: InvalidValue", stderr, StringComparison.Ordinal);
        Assert.Contains("level", stderr, StringComparison.Ordinal);
        Assert.Contains("nothing imported", stderr, StringComparison.Ordinal);
        var status = await host.StatusAsync();
        Assert.Equal(0, status.Tables.Single(t => t.Topic == "fs.watchlist").RecordsApplied);
    }
}
