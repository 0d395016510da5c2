using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// `fraudshield watchlist import` (watchlist and `--table cells`) with bad files: refused with file:line and the
/// reason before any connection is made (the bootstrap address is a closed port), exit non-zero.
/// </summary>
public sealed class ImportFileErrorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    // Each case: table, file name, content, expected exit code, and what stderr must contain.
    public static TheoryData<string, string, string, int, string[]> BadFiles() => new()
    {
        { "watchlist", "no-level.csv", "key_type,key\nMSISDN,+44 20 7946 0001\n", 2, ["no-level.csv:1: the header must name key_type, key, level"] },
        { "watchlist", "extra-column.csv", "key_type,key,level,colour\nMSISDN,+44 20 7946 0001,CONFIRMED,red\n", 2, ["extra-column.csv:1: the header must name", "only columns of: key_type,key,level,typology"] },
        {
            "watchlist", "rows.csv", "# comment\nkey_type,key,level,valid_from_ms\nMSISDN,+44 20 7946 0001,CONFIRMED,\nMSISDN,+44 20 7946 0002,CONFIRMED,1,extra\nACCOUNT,6222880000000042,CONFIRMED,soon\nMSISDN,,CONFIRMED,\n", 1,
            ["rows.csv:4: expected 4 columns, found 5", "rows.csv:5: valid_from_ms: 'soon' is not a whole number of milliseconds", "rows.csv:6: ", "rows.csv: 3 invalid lines; nothing imported"]
        },
        {
            "watchlist", "lines.jsonl", "{\"key_type\":\"MSISDN\",\"key\":\"+442079460001\",\"level\":\"CONFIRMED\"}\n{\"key_type\":\"MSISDN\",\"key\":\n{\"key_type\":\"MSISDN\",\"level\":\"CONFIRMED\"}\n{\"key_type\":\"PLANET\",\"key\":\"mars\",\"level\":\"CONFIRMED\"}\n", 1,
            ["lines.jsonl:2: ", "lines.jsonl:3: ", "(key)", "lines.jsonl:4: ", "(key_type)", "lines.jsonl: 3 invalid lines; nothing imported"]
        },
        { "cells", "no-station.csv", "cell_id,grid_id\nC-1,S01-G01\n", 2, ["no-station.csv:1: the header must name cell_id, station_id"] },
        { "cells", "cells.csv", "cell_id,station_id,grid_id\nC-1,S01,S01-G01\nC-2,,S01-G02\nC-3,S01\n", 1, ["cells.csv:3: ", "(station_id)", "cells.csv:4: expected 3 columns, found 2", "cells.csv: 2 invalid lines; nothing imported"] },
        { "cells", "cells.jsonl", "{\"cell_id\":\"C-1\",\"station_id\":\"S01\"}\nnot json\n{\"cell_id\":\"C-3\"}\n", 1, ["cells.jsonl:2: ", "cells.jsonl:3: ", "cells.jsonl: 2 invalid lines; nothing imported"] },
        { "watchlist", "absent.csv", string.Empty, 2, ["absent.csv: no such file"] },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Import_BadFile_RefusedWithFileLineAndReason(string table, string name, string content, int expectedCode, string[] expected)
    {
        var path = Path.Combine(_dir.Path, name);
        if (name != "absent.csv")
        {
            File.WriteAllText(path, content);
        }

        await using var import = TestProcess.Start("dotnet", [HostProcess.Dll, "watchlist", "import", path, "--table", table, "--bootstrap", "127.0.0.1:1"]);
        var code = await import.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var stderr = import.StandardError;
        Assert.True(code == expectedCode, $"exit {code}: {stderr}");
        foreach (var part in expected)
        {
            Assert.Contains(part, stderr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("imported", stderr.Replace("nothing imported", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
