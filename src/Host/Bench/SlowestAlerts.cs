using FraudShield.RuleEngine.Engine;

namespace FraudShield.Host.Bench;

/// <summary>
/// One of a run's slowest alert versions: when its event was scheduled and where its time went, so a report can say
/// which part of the path a tail came from and what the process was doing then.
/// </summary>
/// <param name="ScheduledAtSeconds">When its event was scheduled, in seconds since the load started.</param>
/// <param name="TotalMs">Scheduled time to the console's receipt.</param>
/// <param name="ToEngineMs">Scheduled time to the engine's emission (Kafka in, the timestamp merge, the rules; the engine's clock is in whole ms).</param>
/// <param name="EmittedToPublishedMs">The engine's emission to the dispatch's publication (fs.alerts, the hand-off, the case's opening); -1 when the delivery carried no publication time.</param>
/// <param name="PublishedToConsoleMs">The dispatch's publication to the console's receipt (the subscriber's writer loop, the gRPC stream, the client); -1 likewise.</param>
/// <param name="Rules">The rules the version carries, joined by '+'.</param>
internal sealed record SlowAlert(double ScheduledAtSeconds, double TotalMs, double ToEngineMs, double EmittedToPublishedMs, double PublishedToConsoleMs, string Rules);

/// <summary>The slowest alerts offered to it, at most <see cref="Capacity"/>; any thread.</summary>
internal sealed class SlowestAlerts(int capacity = 10)
{
    private readonly List<SlowAlert> _kept = [];

    /// <summary>How many it keeps.</summary>
    public int Capacity { get; } = Math.Max(1, capacity);

    /// <summary>Keeps <paramref name="alert"/> when it is slower than the fastest kept one, or while fewer are kept.</summary>
    public void Offer(SlowAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        lock (_kept)
        {
            if (_kept.Count < Capacity)
            {
                _kept.Add(alert);
                return;
            }

            var fastest = 0;
            for (var i = 1; i < _kept.Count; i++)
            {
                if (_kept[i].TotalMs < _kept[fastest].TotalMs)
                {
                    fastest = i;
                }
            }

            if (alert.TotalMs > _kept[fastest].TotalMs)
            {
                _kept[fastest] = alert;
            }
        }
    }

    /// <summary>The kept alerts, slowest first.</summary>
    public IReadOnlyList<SlowAlert> Slowest()
    {
        lock (_kept)
        {
            return [.. _kept.OrderByDescending(x => x.TotalMs)];
        }
    }
}

/// <summary>One checkpoint of the node in a run's time: a slow alert whose path it overlapped waited beside its writing.</summary>
/// <param name="Stage">Whose: "engine" or "counterparty".</param>
/// <param name="AtSeconds">When it began, in seconds since the load started (negative: before).</param>
/// <param name="PauseMs">The stage's pause to begin it.</param>
/// <param name="TotalMs">From its beginning to its commit.</param>
internal sealed record CheckpointSpan(string Stage, double AtSeconds, double PauseMs, double TotalMs)
{
    /// <summary>The end, in seconds since the load started.</summary>
    public double EndSeconds => AtSeconds + (TotalMs / 1000);

    /// <summary>A stage's checkpoint windows in the run's time (the load began at <paramref name="loadStartUnixMs"/>).</summary>
    public static IEnumerable<CheckpointSpan> Of(string stage, IEnumerable<CheckpointWindow> windows, double loadStartUnixMs) =>
        windows.Select(w => new CheckpointSpan(stage, (w.Began.ToUnixTimeMilliseconds() - loadStartUnixMs) / 1000, w.Pause.TotalMilliseconds, w.Total.TotalMilliseconds));
}
