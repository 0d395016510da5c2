using System.Diagnostics;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;

namespace FraudShield.Host.Bench;

/// <summary>One stretch of offered load: a rate held for a duration.</summary>
internal readonly record struct LoadStep(double Rate, TimeSpan Duration);

/// <summary>
/// What the bench reads of its load, wherever the generator runs: on a thread of the bench process
/// (<see cref="LoadGenerator"/>) or in a process of its own (<see cref="LoadProcess"/>).
/// </summary>
internal interface ILoadSource : IDisposable
{
    /// <summary>Messages handed to the producer (benign and scenario).</summary>
    long Sent { get; }

    /// <summary>Bytes the generator allocated since it started.</summary>
    long AllocatedBytes { get; }

    /// <summary>True when <see cref="AllocatedBytes"/> are part of the bench process's own allocation.</summary>
    bool AllocatesInThisProcess { get; }

    /// <summary>Times the producer's queue was full and the generator had to wait.</summary>
    long QueueFullWaits { get; }

    /// <summary>CPU seconds of the generator's own process; null when it runs inside the bench process.</summary>
    double? OwnProcessCpuSeconds { get; }

    /// <summary>True once every step's events and scenarios were sent.</summary>
    bool Finished { get; }

    /// <summary>Starts the schedule at <paramref name="startMs"/> on the <see cref="BenchClock"/>.</summary>
    void Start(double startMs);
}

/// <summary>
/// The open-loop load generator: one dedicated thread that produces the simulated city's benign events at the
/// scheduled rate of each <see cref="LoadStep"/>, and the seed scenario once every <see cref="ScenarioEvery"/> benign
/// events. Every message's Kafka timestamp is its scheduled send time (not the time it was actually sent), and the
/// engine carries that timestamp into the alert as <c>source_event_ms</c>: a late send (a slow produce, a GC, a full
/// queue) shows up as latency instead of silently lowering the offered load, which corrects coordinated omission.
/// </summary>
/// <remarks>
/// The thread paces by the clock: each wake-up it sends every event whose scheduled time has passed, then sleeps
/// about a millisecond (Thread.Sleep, not Task.Delay). Each benign event is generated at its scheduled time (a fresh
/// event id and a current event time: the engine drops redelivered ids and dead-letters events older than its
/// lateness, so a replayed pool would measure neither); what the generator allocates (events, scenarios, the client's
/// per-produce objects) it counts in <see cref="AllocatedBytes"/> so the report can keep it apart from FraudShield's.
/// Scenarios are scheduled on whole milliseconds, so their timestamps are exact.
/// </remarks>
internal sealed class LoadGenerator : ILoadSource
{
    /// <summary>Scheduled gap between the scenario's call record and its transfer (the transfer's alert is the L1).</summary>
    public static readonly TimeSpan TransferGap = TimeSpan.FromMilliseconds(20);

    private readonly CitySimulator _city;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly BenchClock _clock;
    private readonly IReadOnlyList<LoadStep> _steps;
    private readonly Queue<(long DueMs, SimRecord Record)> _pending = new();
    private readonly Message<byte[], byte[]> _message = new();
    private volatile bool _stop;
    private bool _disposed;
    private Thread? _thread;
    private double _startMs;
    private long _sent;
    private long _scenarios;
    private long _allocated;
    private long _queueFullWaits;

    public LoadGenerator(KafkaOptions kafka, CitySimulator city, BenchClock clock, IReadOnlyList<LoadStep> steps, int scenarioEvery)
    {
        _city = city;
        _clock = clock;
        _steps = steps;
        ScenarioEvery = Math.Max(1, scenarioEvery);
        var config = kafka.CreateProducerConfig();
        config.QueueBufferingMaxMessages = 1_000_000;
        // Nobody waits for per-message delivery reports; without them the client allocates nothing per delivery.
        config.Set("dotnet.producer.enable.delivery.reports", "false");
        _producer = new ProducerBuilder<byte[], byte[]>(config).Build();
    }

    /// <summary>One seed scenario per this many benign events.</summary>
    public int ScenarioEvery { get; }

    /// <summary>Messages handed to the producer (benign and scenario).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Seed scenarios injected.</summary>
    public long Scenarios => Interlocked.Read(ref _scenarios);

    /// <summary>Bytes allocated by the generator thread since it started.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocated);

    /// <inheritdoc/>
    public bool AllocatesInThisProcess => true;

    /// <inheritdoc/>
    public double? OwnProcessCpuSeconds => null;

    /// <summary>Times the producer's queue was full and the generator had to wait (the load was not offered on time).</summary>
    public long QueueFullWaits => Interlocked.Read(ref _queueFullWaits);

    /// <summary>True once every step's events and scenarios were sent.</summary>
    public bool Finished { get; private set; }

    /// <summary>Total scheduled length of the steps.</summary>
    public TimeSpan TotalDuration => TimeSpan.FromTicks(_steps.Sum(s => s.Duration.Ticks));

    /// <summary>Produces the register and the watchlists and waits until the cluster has them all.</summary>
    public void PublishTables()
    {
        foreach (var record in _city.Register())
        {
            _producer.Produce(record.Topic, new Message<byte[], byte[]> { Key = record.Key, Value = record.Value });
        }

        foreach (var record in _city.Watchlist())
        {
            _producer.Produce(record.Topic, new Message<byte[], byte[]> { Key = record.Key, Value = record.Value });
        }

        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Starts the generator thread; the schedule starts at <paramref name="startMs"/> on the <see cref="BenchClock"/>.</summary>
    public void Start(double startMs)
    {
        _startMs = startMs;
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-bench-load", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>The scheduled number of benign events up to <paramref name="elapsedSeconds"/> after the start.</summary>
    internal static long DueBy(IReadOnlyList<LoadStep> steps, double elapsedSeconds)
    {
        double due = 0;
        var t = elapsedSeconds;
        foreach (var step in steps)
        {
            var length = step.Duration.TotalSeconds;
            if (t <= length)
            {
                return (long)(due + (t * step.Rate));
            }

            due += length * step.Rate;
            t -= length;
        }

        return (long)due;
    }

    /// <summary>The scheduled time (seconds after the start) of benign event <paramref name="index"/>.</summary>
    internal static double ScheduledAt(IReadOnlyList<LoadStep> steps, long index)
    {
        double before = 0;
        double start = 0;
        foreach (var step in steps)
        {
            var inStep = step.Duration.TotalSeconds * step.Rate;
            if (index < before + inStep)
            {
                return start + ((index - before) / step.Rate);
            }

            before += inStep;
            start += step.Duration.TotalSeconds;
        }

        return start;
    }

    private void Run()
    {
        var startAllocated = GC.GetAllocatedBytesForCurrentThread();
        var startMs = _startMs;
        var total = DueBy(_steps, TotalDuration.TotalSeconds);
        var end = TotalDuration.TotalMilliseconds;
        long benign = 0;
        var stepIndex = 0;
        double stepStart = 0;
        double stepEventsBefore = 0;
        while (!_stop)
        {
            var elapsedMs = _clock.ElapsedMs - startMs;
            var due = DueBy(_steps, elapsedMs / 1000);
            while (benign < due && !_stop)
            {
                // Scheduled time of this event, in ms after the anchor (the current step's rate spaces events evenly).
                while (stepIndex < _steps.Count - 1 && benign >= stepEventsBefore + (_steps[stepIndex].Duration.TotalSeconds * _steps[stepIndex].Rate))
                {
                    stepEventsBefore += _steps[stepIndex].Duration.TotalSeconds * _steps[stepIndex].Rate;
                    stepStart += _steps[stepIndex].Duration.TotalSeconds;
                    stepIndex++;
                }

                var scheduledMs = startMs + ((stepStart + ((benign - stepEventsBefore) / _steps[stepIndex].Rate)) * 1000);
                if (benign % ScenarioEvery == ScenarioEvery / 2)
                {
                    // On a whole millisecond, so the stamped time is exact.
                    var atMs = (long)Math.Ceiling(scheduledMs);
                    var records = _city.NextScenario(_clock.AnchorUnixMs + atMs + (long)TransferGap.TotalMilliseconds).Records;
                    _pending.Enqueue((atMs, records[0]));
                    for (var i = 1; i < records.Count; i++)
                    {
                        _pending.Enqueue((atMs + (long)TransferGap.TotalMilliseconds, records[i]));
                    }

                    Interlocked.Increment(ref _scenarios);
                }

                var atUnixMs = _clock.AnchorUnixMs + (long)scheduledMs;
                Produce(_city.NextBenign(atUnixMs), atUnixMs);
                benign++;
            }

            var nowMs = _clock.ElapsedMs;
            while (_pending.TryPeek(out var next) && next.DueMs <= nowMs)
            {
                _pending.Dequeue();
                Produce(next.Record, _clock.AnchorUnixMs + next.DueMs);
            }

            Interlocked.Exchange(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - startAllocated);
            if (benign >= total && _pending.Count == 0)
            {
                Finished = true;
                break;
            }

            if (elapsedMs < end + 1000)
            {
                Thread.Sleep(1);
            }
            else
            {
                // Past the schedule only pending scenario records remain.
                Thread.Sleep(5);
            }
        }

        _producer.Flush(TimeSpan.FromSeconds(30));
        Interlocked.Exchange(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - startAllocated);
    }

    private void Produce(SimRecord record, long timestampMs)
    {
        _message.Key = record.Key;
        _message.Value = record.Value;
        _message.Timestamp = new Timestamp(timestampMs, TimestampType.CreateTime);
        while (true)
        {
            try
            {
                _producer.Produce(record.Topic, _message);
                Interlocked.Increment(ref _sent);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                Interlocked.Increment(ref _queueFullWaits);
                _producer.Poll(TimeSpan.FromMilliseconds(5));
            }
        }
    }

    /// <summary>Waits (bounded) until the generator has sent everything it scheduled.</summary>
    public bool WaitFinished(TimeSpan timeout) => _thread?.Join(timeout) ?? true;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop = true;
        _thread?.Join(TimeSpan.FromSeconds(30));
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}

/// <summary>
/// One clock for the generator and the subscribers: a whole-millisecond Unix anchor taken at start, plus a
/// Stopwatch, so a receipt time minus a scheduled time is precise to microseconds and free of wall-clock steps.
/// </summary>
internal sealed class BenchClock
{
    private readonly long _startTicks;

    /// <summary>A clock anchored at the current wall-clock millisecond.</summary>
    public BenchClock()
        : this(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
    {
    }

    /// <summary>
    /// A clock on the given anchor, its Stopwatch set back by the wall-clock time since it: so the load process's
    /// clock and the bench's (same anchor, one machine, one wall clock) agree to well under a millisecond.
    /// </summary>
    public BenchClock(long anchorUnixMs)
    {
        AnchorUnixMs = anchorUnixMs;
        var sinceAnchorMs = (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(anchorUnixMs)).TotalMilliseconds;
        _startTicks = Stopwatch.GetTimestamp() - (long)(sinceAnchorMs * Stopwatch.Frequency / 1000);
    }

    /// <summary>Unix milliseconds at the start.</summary>
    public long AnchorUnixMs { get; }

    /// <summary>Milliseconds since the start.</summary>
    public double ElapsedMs => Stopwatch.GetElapsedTime(_startTicks).TotalMilliseconds;

    /// <summary>Now in Unix milliseconds with sub-millisecond precision.</summary>
    public double NowUnixMs => AnchorUnixMs + ElapsedMs;
}
