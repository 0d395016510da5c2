using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Spectre.Console;

namespace FraudShield.Host.Runtime;

/// <summary>
/// Shows alerts as they arrive over gRPC: a live Spectre.Console table (newest first, with level, rules, masked
/// victim, station/grid and event-to-screen latency), or one JSON object per line for scripts. Records latencies.
/// </summary>
internal sealed class AlertPresenter
{
    private const int Rows = 18;
    private readonly bool _json;
    private readonly string _title;
    private readonly Func<string> _status;
    private readonly ConcurrentQueue<(Alert Alert, long LatencyMs)> _incoming = new();
    private readonly LinkedList<(Alert Alert, long LatencyMs)> _shown = new();
    private readonly List<long> _latencies = [];
    private readonly Lock _gate = new();

    public AlertPresenter(bool json, string title, Func<string> status)
    {
        _json = json;
        _title = title;
        _status = status;
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
        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            while (!reader.IsCompleted)
            {
                Render(table);
                ctx.Refresh();
                await Task.WhenAny(reader, Task.Delay(250, CancellationToken.None));
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
                    _incoming.Enqueue((alert, latency));
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
        foreach (var column in new[] { "time", "level", "v", "rules", "typology", "victim", "station / grid", "at risk", "latency" })
        {
            table.AddColumn(column);
        }

        return table;
    }

    private void Render(Table table)
    {
        while (_incoming.TryDequeue(out var item))
        {
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
        foreach (var (alert, latency) in _shown)
        {
            table.AddRow(
                DateTimeOffset.FromUnixTimeMilliseconds(alert.EmittedMs).ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                $"[{Colour(alert.Severity)}]{Level(alert.Severity)}[/]",
                alert.Version.ToString(CultureInfo.InvariantCulture),
                string.Join('+', alert.RuleIds),
                Markup.Escape(alert.Typology),
                alert.Subject?.MsisdnMasked ?? string.Empty,
                Markup.Escape($"{alert.Home?.StationId} / {alert.Home?.GridId}"),
                (alert.AmountAtRiskMinor / 100).ToString("N0", CultureInfo.InvariantCulture),
                $"{latency} ms");
        }

        table.Caption(Markup.Escape(_status()) + $"  alerts shown: {Received}  latency p50 {Percentile(50)} ms, p99 {Percentile(99)} ms");
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
