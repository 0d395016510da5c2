using FraudShield.Contracts.Alerts.V1;
using FraudShield.Host.Runtime;
using FraudShield.Tests.Shared;
using Spectre.Console;

namespace FraudShield.EndToEnd.Tests;

/// <summary>The live console's keys: selection by arrows and row numbers, case actions on the selected alert.</summary>
public sealed class AlertPresenterKeysTests
{
    private static ConsoleKeyInfo Key(char c, ConsoleKey key = default) => new(c, key, shift: false, alt: false, control: false);

    private static Alert NewAlert(string id, string station = "S01", string? currentStation = null)
    {
        var alert = new Alert
        {
            AlertId = id,
            Version = 1,
            Severity = Severity.L2,
            Typology = "IMPERSONATE_AUTHORITY",
            Subject = new Subject { MsisdnMasked = "861******8000" },
            Home = new Jurisdiction { StationId = station, GridId = station + "-G01", Source = JurisdictionSource.Address },
        };
        if (currentStation is not null)
        {
            alert.Current = new Jurisdiction { StationId = currentStation, Source = JurisdictionSource.Cell };
        }

        return alert;
    }

    private static string Text(Table table)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        console.Write(table);
        return writer.ToString();
    }

    [Fact]
    public void Snapshot_OlderOrRepeatedVersionAfterANewer_RowKeepsTheNewest()
    {
        var presenter = new AlertPresenter(json: false, "test", () => "server test");
        var v2 = NewAlert("A-1");
        v2.Version = 2;
        v2.Severity = Severity.L1;
        presenter.Accept(NewAlert("A-2"), 10);
        presenter.Accept(v2, 10);
        presenter.Accept(NewAlert("A-1"), 10); // version 1 replayed after version 2
        presenter.Accept(NewAlert("A-2"), 10); // version 1 of A-2 again

        var text = Text(presenter.Snapshot());

        var rows = text.Split('\n').Where(l => l.Contains("IMPERSONATE_AUTHORITY", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains(" L1 ", rows[0], StringComparison.Ordinal); // A-1 at version 2, still the newest row
        Assert.Contains(" L2 ", rows[1], StringComparison.Ordinal); // A-2, not moved up by its repeat
        Assert.Equal("A-1", presenter.SelectedAlertId);
    }

    [Fact]
    public async Task HandleKey_SelectThenAct_ActionRunsOnSelectedAlert()
    {
        var calls = new List<(string Id, CaseAction Action)>();
        var presenter = new AlertPresenter(json: false, "test", () => "server test", (id, action, _) =>
        {
            calls.Add((id, action));
            return Task.FromResult($"{id}: done");
        });
        presenter.Accept(NewAlert("A-1"), 10);
        presenter.Accept(NewAlert("A-2"), 10);
        presenter.Snapshot();
        Assert.Equal("A-2", presenter.SelectedAlertId); // newest first

        await presenter.HandleKeyAsync(Key('\0', ConsoleKey.DownArrow), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('a', ConsoleKey.A), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('1', ConsoleKey.D1), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('c', ConsoleKey.C), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('s', ConsoleKey.S), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('d', ConsoleKey.D), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('9', ConsoleKey.D9), CancellationToken.None).WithTimeout(); // no row 9: stays
        await presenter.HandleKeyAsync(Key('x', ConsoleKey.X), CancellationToken.None).WithTimeout();
        await presenter.HandleKeyAsync(Key('q', ConsoleKey.Q), CancellationToken.None).WithTimeout(); // not an action

        Assert.Equal(
            [("A-1", CaseAction.Ack), ("A-2", CaseAction.Contacted), ("A-2", CaseAction.OnSite), ("A-2", CaseAction.Dissuaded), ("A-2", CaseAction.AlreadyDefrauded)],
            calls);
        Assert.Equal("A-2: done", presenter.LastAction);
        Assert.Contains("A-2: done", Text(presenter.Snapshot()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleKey_ActionFails_ReportedInCaption()
    {
        var presenter = new AlertPresenter(json: false, "test", () => "server test", (_, _, _) => throw new InvalidOperationException("boom"));
        presenter.Accept(NewAlert("A-1"), 10);
        presenter.Snapshot();

        await presenter.HandleKeyAsync(Key('f', ConsoleKey.F), CancellationToken.None).WithTimeout();

        Assert.Equal("A-1: FalsePositive failed: boom", presenter.LastAction);
    }

    [Fact]
    public async Task HandleKey_NoRowsOrNoActions_Nothing()
    {
        var calls = 0;
        var empty = new AlertPresenter(json: false, "test", () => "server test", (_, _, _) => Task.FromResult(calls++.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await empty.HandleKeyAsync(Key('a', ConsoleKey.A), CancellationToken.None).WithTimeout();
        Assert.Equal(0, calls);
        Assert.Null(empty.SelectedAlertId);

        var readOnly = new AlertPresenter(json: false, "test", () => "server test");
        readOnly.Accept(NewAlert("A-1"), 10);
        await readOnly.HandleKeyAsync(Key('a', ConsoleKey.A), CancellationToken.None).WithTimeout();
        Assert.DoesNotContain("keys:", Text(readOnly.Snapshot()), StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_AlertAwayFromHome_ShowsCurrentStation()
    {
        var presenter = new AlertPresenter(json: false, "test", () => "server test", (_, _, _) => Task.FromResult(string.Empty));
        presenter.Accept(NewAlert("A-1", "S01", currentStation: "S05"), 10);

        var text = Text(presenter.Snapshot());

        Assert.Contains("S01 / S01-G01 -> S05 (cell)", text, StringComparison.Ordinal);
        Assert.Contains("keys:", text, StringComparison.Ordinal);
    }
}
