using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Spectre.Console;

namespace FraudShield.Host.Runtime;

/// <summary>A case action from the console's keys.</summary>
internal enum CaseAction
{
    /// <summary>Sign for the alert (Ack).</summary>
    Ack,

    /// <summary>Status CONTACTED.</summary>
    Contacted,

    /// <summary>Status ON_SITE.</summary>
    OnSite,

    /// <summary>Outcome DISSUADED.</summary>
    Dissuaded,

    /// <summary>Outcome ALREADY_DEFRAUDED.</summary>
    AlreadyDefrauded,

    /// <summary>Outcome FALSE_POSITIVE.</summary>
    FalsePositive,
}

/// <summary>
/// Shows alerts as they arrive over gRPC: a live Spectre.Console table (newest first, with level, rules, masked
/// victim, station/grid, the current station when the victim is away, and event-to-screen latency), or one JSON object
/// per line for scripts. Records latencies. With case actions, keys act on the selected row: arrows or 1-9 select,
/// a signs (Ack), c / s set CONTACTED / ON_SITE, d / x / f report DISSUADED / ALREADY_DEFRAUDED / FALSE_POSITIVE.
/// </summary>
internal sealed class AlertPresenter
{
    /// <summary>The key legend shown under the table.</summary>
    public const string KeyHelp = "keys: ↑/↓ or 1-9 select  a sign  c contacted  s on site  d dissuaded  x defrauded  f false positive";

    private const int Rows = 18;
    private readonly bool _json;
    private readonly string _title;
    private readonly Func<string> _status;
    private readonly Func<string, CaseAction, CancellationToken, Task<string>>? _act;
    private int _selected;
    private string _lastAction = string.Empty;
    private readonly ConcurrentQueue<(Alert Alert, long LatencyMs)> _incoming = new();
    private readonly LinkedList<(Alert Alert, long LatencyMs)> _shown = new();

    // The newest version shown of each incident this session: a replay (a reconnect after a dispatch restart) re-delivers
    // versions the console had, possibly after newer ones.
    private readonly Dictionary<string, int> _versions = new(StringComparer.Ordinal);
    private readonly List<long> _latencies = [];
    private readonly Lock _gate = new();

    /// <param name="json">One JSON object per alert on stdout instead of the live table.</param>
    /// <param name="title">The table's title.</param>
    /// <param name="status">The connection status line.</param>
    /// <param name="act">Runs a case action on an alert id and returns a one-line result; null: no action keys.</param>
    public AlertPresenter(bool json, string title, Func<string> status, Func<string, CaseAction, CancellationToken, Task<string>>? act = null)
    {
        _json = json;
        _title = title;
        _status = status;
        _act = act;
    }

    /// <summary>The alert id of the selected row, or null when no row is shown.</summary>
    public string? SelectedAlertId => _shown.Count == 0 ? null : _shown.ElementAt(Math.Clamp(_selected, 0, _shown.Count - 1)).Alert.AlertId;

    /// <summary>The result line of the last case action.</summary>
    public string LastAction => _lastAction;

    /// <summary>The key a console key press maps to: a selection move, a row number, or an action.</summary>
    public static CaseAction? ActionOf(ConsoleKeyInfo key) => char.ToLowerInvariant(key.KeyChar) switch
    {
        'a' => CaseAction.Ack,
        'c' => CaseAction.Contacted,
        's' => CaseAction.OnSite,
        'd' => CaseAction.Dissuaded,
        'x' => CaseAction.AlreadyDefrauded,
        'f' => CaseAction.FalsePositive,
        _ => null,
    };

    /// <summary>Moves the selection or runs the action of <paramref name="key"/> on the selected alert.</summary>
    public async Task HandleKeyAsync(ConsoleKeyInfo key, CancellationToken cancellationToken)
    {
        if (key.Key == ConsoleKey.UpArrow)
        {
            _selected = Math.Max(0, _selected - 1);
            return;
        }

        if (key.Key == ConsoleKey.DownArrow)
        {
            _selected = Math.Min(Math.Max(0, _shown.Count - 1), _selected + 1);
            return;
        }

        if (key.KeyChar is >= '1' and <= '9')
        {
            var row = key.KeyChar - '1';
            if (row < _shown.Count)
            {
                _selected = row;
            }

            return;
        }

        if (_act is null || ActionOf(key) is not { } action || SelectedAlertId is not { } alertId)
        {
            return;
        }

        try
        {
            _lastAction = await _act(alertId, action, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _lastAction = $"{alertId}: {action} failed: {e.Message}";
        }
    }

    /// <summary>Queues an alert for the table (the next render shows it).</summary>
    public void Accept(Alert alert, long latencyMs) => _incoming.Enqueue((alert, latencyMs));

    /// <summary>Takes the alerts received so far into a new table, as the live view shows it.</summary>
    public Table Snapshot()
    {
        var table = NewTable();
        Render(table);
        return table;
    }

    public int Received
    {
        get
        {
            lock (_gate)
            {
                return _latencies.Count;
            }
        }
    }

    /// <summary>The p-th percentile (0-100) of event-to-screen latency in ms, or -1 when nothing was received.</summary>
    public long Percentile(double p)
    {
        lock (_gate)
        {
            if (_latencies.Count == 0)
            {
                return -1;
            }

            var sorted = _latencies.ToArray();
            Array.Sort(sorted);
            return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }

    public async Task RunAsync(IAsyncEnumerable<AlertDelivery> deliveries, CancellationToken cancellationToken)
    {
        var reader = ReadAsync(deliveries, cancellationToken);
        if (_json)
        {
            await reader;
            return;
        }

        var table = NewTable();
        var keys = _act is not null && !Console.IsInputRedirected;
        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            while (!reader.IsCompleted)
            {
                while (keys && Console.KeyAvailable)
                {
                    await HandleKeyAsync(Console.ReadKey(intercept: true), cancellationToken);
                }

                Render(table);
                ctx.Refresh();
                await Task.WhenAny(reader, Task.Delay(keys ? 100 : 250, CancellationToken.None));
            }

            Render(table);
            ctx.Refresh();
        });
        await reader;
    }

    private async Task ReadAsync(IAsyncEnumerable<AlertDelivery> deliveries, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var delivery in deliveries.WithCancellation(cancellationToken))
            {
                var alert = delivery.Alert;
                var latency = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - alert.SourceEventMs;
                lock (_gate)
                {
                    _latencies.Add(latency);
                }

                if (_json)
                {
                    WriteJson(alert, latency);
                }
                else
                {
                    Accept(alert, latency);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Done.
        }
    }

    private static void WriteJson(Alert alert, long latencyMs)
    {
        using var stream = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("alert_id", alert.AlertId);
            w.WriteNumber("version", alert.Version);
            w.WriteString("severity", Level(alert.Severity));
            w.WriteStartArray("rule_ids");
            foreach (var rule in alert.RuleIds)
            {
                w.WriteStringValue(rule);
            }

            w.WriteEndArray();
            w.WriteString("typology", alert.Typology);
            w.WriteString("subject", alert.Subject?.MsisdnMasked ?? string.Empty);
            w.WriteString("station", alert.Home?.StationId ?? string.Empty);
            w.WriteString("grid", alert.Home?.GridId ?? string.Empty);
            if (alert.Current is { } current)
            {
                w.WriteString("current_station", current.StationId);
                w.WriteString("current_grid", current.GridId);
            }
            w.WriteNumber("amount_at_risk_minor", alert.AmountAtRiskMinor);
            w.WriteNumber("latency_ms", latencyMs);
            w.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        stream.Flush();
    }

    private Table NewTable()
    {
        var table = new Table().Border(TableBorder.Rounded).Title(_title);
        foreach (var column in new[] { "#", "time", "level", "v", "rules", "typology", "victim", "station / grid", "at risk", "latency" })
        {
            table.AddColumn(column);
        }

        return table;
    }

    private void Render(Table table)
    {
        while (_incoming.TryDequeue(out var item))
        {
            // A version already shown, or older than one shown, changes nothing.
            if (_versions.TryGetValue(item.Alert.AlertId, out var shown) && shown >= item.Alert.Version)
            {
                continue;
            }

            _versions[item.Alert.AlertId] = item.Alert.Version;

            // An update of an incident replaces its row.
            for (var node = _shown.First; node is not null; node = node.Next)
            {
                if (node.Value.Alert.AlertId == item.Alert.AlertId)
                {
                    _shown.Remove(node);
                    break;
                }
            }

            _shown.AddFirst(item);
            if (_shown.Count > Rows)
            {
                _shown.RemoveLast();
            }
        }

        table.Rows.Clear();
        _selected = Math.Clamp(_selected, 0, Math.Max(0, _shown.Count - 1));
        var row = 0;
        foreach (var (alert, latency) in _shown)
        {
            var where = alert.Current is { StationId.Length: > 0 } current
                ? $"{alert.Home?.StationId} / {alert.Home?.GridId} -> {current.StationId} (cell)"
                : $"{alert.Home?.StationId} / {alert.Home?.GridId}";
            table.AddRow(
                _act is not null && row == _selected ? $"[invert]{row + 1}[/]" : (row + 1).ToString(CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(alert.EmittedMs).ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                $"[{Colour(alert.Severity)}]{Level(alert.Severity)}[/]",
                alert.Version.ToString(CultureInfo.InvariantCulture),
                string.Join('+', alert.RuleIds),
                Markup.Escape(alert.Typology),
                alert.Subject?.MsisdnMasked ?? string.Empty,
                Markup.Escape(where),
                (alert.AmountAtRiskMinor / 100).ToString("N0", CultureInfo.InvariantCulture),
                $"{latency} ms");
            row++;
        }

        var caption = Markup.Escape(_status()) + $"  alerts shown: {Received}  latency p50 {Percentile(50)} ms, p99 {Percentile(99)} ms";
        if (_act is not null)
        {
            caption += "\n" + Markup.Escape(KeyHelp) + (_lastAction.Length > 0 ? "\n" + Markup.Escape(_lastAction) : string.Empty);
        }

        table.Caption(caption);
    }

    private static string Level(Severity severity) => severity switch
    {
        Severity.L1 => "L1",
        Severity.L2 => "L2",
        Severity.L3 => "L3",
        Severity.L4 => "L4",
        _ => "?",
    };

    private static string Colour(Severity severity) => severity switch
    {
        Severity.L1 => "red bold",
        Severity.L2 => "darkorange",
        Severity.L3 => "yellow",
        _ => "blue",
    };
}
