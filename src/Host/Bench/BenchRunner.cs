using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using Microsoft.Extensions.Logging;

namespace FraudShield.Host.Bench;

/// <summary>What to run.</summary>
internal sealed record BenchSettings
{
    public required string Name { get; init; }

    public double Rate { get; init; } = 2000;

    public double Duration { get; init; } = 10;

    public double Warmup { get; init; } = 2;

    public bool FindMax { get; init; }

    /// <summary>
    /// The schedule begins with a warm-up step, not measured: a warm-up was asked for and the run is not find-max
    /// (whose every step is measured). That step is the first of the results and the reports.
    /// </summary>
    public bool HasWarmupStep => !FindMax && Warmup > 0;

    public double FindMaxStart { get; init; } = 1000;

    public double FindMaxFactor { get; init; } = 1.5;

    public double StepSeconds { get; init; } = 60;

    /// <summary>Ramp from <see cref="Rate"/> to this rate in <see cref="RampSteps"/> equal steps over the duration; null = fixed rate.</summary>
    public double? RampTo { get; init; }

    public int RampSteps { get; init; } = 5;

    public string? Bootstrap { get; init; }

    public int Partitions { get; init; } = 12;

    public int Residents { get; init; } = 5_000;

    public int Seed { get; init; } = 1;

    public int Subscribers { get; init; } = 1;

    /// <summary>The first subscriber signs for every alert it receives (<see cref="AlertSigner"/>), as a console does; off, each escalates at its ack deadline.</summary>
    public bool SignAlerts { get; init; } = true;

    public int? ScenarioEvery { get; init; }

    public bool Baseline { get; init; } = true;

    /// <summary>Run the counterparty stage (R03/R04/R15/R16) as the product does; off measures the per-party engine alone.</summary>
    public bool Counterparty { get; init; } = true;

    /// <summary>
    /// On the embedded cluster, delete what every consumer group has committed (<see cref="ConsumedLogTrimmer"/>), so
    /// its fetches cost what a real broker's do; the bare-consume baseline then has nothing to read.
    /// </summary>
    public bool TrimConsumed { get; init; }

    /// <summary>Run the load generator on a thread of this process instead of a process of its own.</summary>
    public bool LoadInProcess { get; init; }

    /// <summary>
    /// Settle the heap near the warm-up's end (<see cref="HeapSettle"/>), so the measured window starts from the
    /// steady state instead of promoting the warm-up's survivors; only with a warm-up, never in find-max.
    /// </summary>
    public bool SettleHeap { get; init; } = true;

    /// <summary>Time between engine checkpoints (the product default is 10 s).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between the counterparty stage's checkpoints (the product default, <see cref="NodeOptions.CounterpartyCheckpointInterval"/>).</summary>
    public TimeSpan CounterpartyCheckpointInterval { get; init; } = NodeOptions.DefaultCounterpartyCheckpointInterval;

    public required RuleEngine.Rules.RulePackOptions Rules { get; init; }

    public IReadOnlyList<Budget> Budgets { get; init; } = [];
}

/// <summary>The figures of one measured step.</summary>
internal sealed record StepResult
{
    public double OfferedRate { get; init; }

    public double Seconds { get; init; }

    public long Events { get; init; }

    public double Throughput { get; init; }

    public long Alerts { get; init; }

    public double P50Ms { get; init; }

    public double P99Ms { get; init; }

    public double P999Ms { get; init; }

    public double MaxMs { get; init; }

    public double CpuSeconds { get; init; }

    /// <summary>p50 / p99 of scheduled time -> engine emitted the alert (Kafka in, merge, rules, in ms).</summary>
    public (double P50, double P99) EngineSegmentMs { get; init; }

    /// <summary>p50 / p99 of engine emitted -> console receipt (fs.alerts, dispatch, gRPC, in ms).</summary>
    public (double P50, double P99) DispatchSegmentMs { get; init; }

    /// <summary>
    /// p50 / p99 of the dispatch hub published the alert -> console receipt (the delivery's <c>published_ms</c>): the
    /// subscriber's buffer, its writer loop (which records the delivery in the case store), the gRPC stream and the
    /// client; the part of <see cref="DispatchSegmentMs"/> after fs.alerts and the case's opening. Read high by 0-1 ms
    /// (the stamp is rounded down to the millisecond).
    /// </summary>
    public (double P50, double P99) StreamSegmentMs { get; init; }

    /// <summary>CPU seconds of the engine's consume thread (from <see cref="CpuByThread"/>); null where /proc is not there.</summary>
    public double? EngineCpuSeconds => ThreadSeconds(ThreadCpu.EngineThread);

    /// <summary>
    /// CPU seconds of the embedded cluster's one thread (librdkafka's <c>rdk:mock</c>, which serves every produce and
    /// fetch of every client; from <see cref="CpuByThread"/>); null with <c>--bootstrap</c> or where /proc is not there.
    /// </summary>
    public double? BrokerCpuSeconds => ThreadSeconds(ThreadCpu.EmbeddedClusterThread);

    /// <summary><see cref="BrokerCpuSeconds"/> as a share of one core over the step (1 = a whole core).</summary>
    public double? BrokerCoreShare => BrokerCpuSeconds / Math.Max(Seconds, 1e-9);

    /// <summary>CPU seconds of the load generator's own process (null when it ran inside the bench process).</summary>
    public double? GeneratorCpuSeconds { get; init; }

    /// <summary>This process's CPU over the step by thread name, most first (empty where /proc is not there).</summary>
    public IReadOnlyList<ThreadGroupCpu> CpuByThread { get; init; } = [];

    public int Gen0 { get; init; }

    public int Gen1 { get; init; }

    public int Gen2 { get; init; }

    public double GcPauseMs { get; init; }

    public double AllocatedBytesPerEvent { get; init; }

    /// <summary>The process's allocation per event less the test harness's own threads in it: the load generator's (when in process) and the log trimmer's (<c>--trim-consumed</c>).</summary>
    public double AllocatedBytesPerEventExcludingGenerator { get; init; }

    /// <summary>Process working set at the end of the step (MiB).</summary>
    public double WorkingSetMiB { get; init; }

    /// <summary>Managed heap size after the last GC at the end of the step (MiB).</summary>
    public double GcHeapMiB { get; init; }

    /// <summary>
    /// Of the managed heap, the pinned object heap after the last GC (MiB): FASTER's in-memory log pages live there,
    /// growing until each store's log reaches its memory size (<c>MemorySizeBits</c>).
    /// </summary>
    public double PinnedHeapMiB { get; init; }

    /// <summary>Bytes allocated by the engine's consume thread per event (Confluent's per-message objects included).</summary>
    public double EngineThreadBytesPerEvent { get; init; }

    /// <summary>Mean time a record spent in the engine's timestamp merge (ms), from its poll to its judging.</summary>
    public double MergeHoldMs { get; init; }

    public long LagAtStart { get; init; }

    public long LagAtEnd { get; init; }

    public long LagMax { get; init; }

    public long QueueFullWaits { get; init; }

    /// <summary>
    /// Times a consumer of the node found its next offset gone from the cluster and jumped to the log start
    /// (librdkafka's "offset reset ... Offset out of range"): the records in between were never read. On the embedded
    /// cluster a partition keeps at most 5 MiB (librdkafka's mock drops its oldest batches past that), so a consumer
    /// that falls that far behind loses records: at 4 partitions and 57,851 events/s that is under 2 s of lag.
    /// </summary>
    public long OffsetResets { get; init; }

    /// <summary>
    /// The engine kept up: it judged at least 95 % of the offered rate, the lag never exceeded one second of load
    /// (a shared 2-core box stalls for about that long now and then), it did not end the step higher than it
    /// started and above 0.2 s of load, and no consumer skipped records (<see cref="OffsetResets"/>).
    /// </summary>
    public bool Sustained =>
        Throughput >= 0.95 * OfferedRate
        && LagMax <= Math.Max(2_000, OfferedRate)
        && !(LagAtEnd > Math.Max(1_000, OfferedRate * 0.2) && LagAtEnd > LagAtStart)
        && OffsetResets == 0;

    private double? ThreadSeconds(string name) => CpuByThread.FirstOrDefault(g => g.Group == name)?.Seconds;
}

/// <summary>
/// The bare-consume comparison over the same retained topic data, in rounds that alternate FraudShield and the bare
/// loop; the figures are the median round's. On a shared 2-core box one reading of each swung 2.5x from run to run
/// (bare 82-203 k msg/s, ratio 0.48-0.92x in three runs of 2026-12-08), so a single pair mostly measured the box.
/// </summary>
internal sealed record BaselineResult(long Messages, IReadOnlyList<BaselineRound> Rounds)
{
    /// <summary>Rounds of a baseline: FraudShield, then the bare loop, this many times.</summary>
    public const int RoundCount = 3;

    /// <summary>
    /// The round whose ratio is the median (the upper one of an even count): its two readings were taken next to each
    /// other, on the same box, so its rates and its ratio go together.
    /// </summary>
    public BaselineRound MedianRound => Rounds.OrderBy(r => r.Ratio).ElementAt(Rounds.Count / 2);

    public double FraudShieldRate => Messages / Math.Max(MedianRound.FraudShieldSeconds, 1e-9);

    public double BareRate => Messages / Math.Max(MedianRound.BareSeconds, 1e-9);

    public double Ratio => MedianRound.Ratio;
}

/// <summary>One round of the baseline: FraudShield's seconds over the retained messages, then the bare loop's.</summary>
internal readonly record struct BaselineRound(double FraudShieldSeconds, double BareSeconds)
{
    /// <summary>FraudShield's rate as a share of the bare loop's in this round.</summary>
    public double Ratio => BareSeconds / Math.Max(FraudShieldSeconds, 1e-9);
}

/// <summary>Everything one bench run measured.</summary>
internal sealed record BenchResult
{
    public required BenchSettings Settings { get; init; }

    public required IReadOnlyList<StepResult> Steps { get; init; }

    public StepResult? Measured { get; init; }

    public double? MaxSustainableRate { get; init; }

    public BaselineResult? Baseline { get; init; }

    public string? BaselineNote { get; init; }

    public long EventsProduced { get; init; }

    public long DeadLettered { get; init; }

    /// <summary>Alerts the first subscriber signed for (<see cref="BenchSettings.SignAlerts"/>), warm-up included.</summary>
    public long AlertsSigned { get; init; }

    /// <summary>Signatures the dispatch refused or that failed.</summary>
    public long SignFailures { get; init; }

    /// <summary>Partition trims made by <see cref="ConsumedLogTrimmer"/> (<see cref="BenchSettings.TrimConsumed"/>).</summary>
    public long LogTrims { get; init; }

    /// <summary>
    /// The step (from 1) in which a consumer skipped records (<see cref="StepResult.OffsetResets"/>), where the run
    /// stopped: the node had lost input, so no later step would measure it. 0 when none did.
    /// </summary>
    public int LostInputStep => Steps.Select((x, i) => x.OffsetResets > 0 ? i + 1 : 0).FirstOrDefault(x => x > 0);

    /// <summary>The offset resets of <see cref="LostInputStep"/>; 0 when no step lost input.</summary>
    public long LostInputResets => LostInputStep > 0 ? Steps[LostInputStep - 1].OffsetResets : 0;

    /// <summary>
    /// Every gen1 and gen2 collection of the bench process while the load ran (<see cref="GcEventLog"/>; the warm-up
    /// included, the baseline not), each timed in seconds since the load started.
    /// </summary>
    public IReadOnlyList<GcRecord> Collections { get; init; } = [];

    /// <summary>
    /// Alert versions received in the run (warm-up included; counted once per subscriber) by the rules they carry, most
    /// first: the seed scenario's versions, and anything the benign traffic raised.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> AlertsByRules { get; init; } = [];

    /// <summary>The measured window's slowest alert versions as the first subscriber received them, slowest first.</summary>
    public IReadOnlyList<SlowAlert> SlowestAlerts { get; init; } = [];

    /// <summary>The node's checkpoints committed by the end of the load (the engine's, then the counterparty stage's), each timed in seconds since the load started.</summary>
    public IReadOnlyList<CheckpointSpan> Checkpoints { get; init; } = [];

    public string Bootstrap { get; init; } = string.Empty;

    public DateTimeOffset Started { get; init; }

    /// <summary>The box's load average when the run started (before its cluster and node); null off Linux.</summary>
    public LoadAverage? LoadAtStart { get; init; }

    /// <summary>The heap's settling near the warm-up's end (<see cref="BenchSettings.SettleHeap"/>); null when it did not run.</summary>
    public HeapSettle? Settle { get; init; }
}

/// <summary>
/// The bench's two induced full collections near the warm-up's end. What the warm-up leaves alive in the young
/// generations (~2 MB, mostly small byte arrays in a heap dump) would otherwise be promoted by the measured window's
/// first gen1, into a gen2 whose budget the warm-up's own background Gen2 sized from the 1.4 MiB it held then; that
/// budget spent, a background Gen2 followed minutes into the window (bench/results/2026-12-08-heap-settle.md). Two
/// blocking collections move those survivors into gen2 (the first promotes gen1's, the second what the first moved
/// into gen1), and the budget is then sized from the steady state's gen2, as BenchmarkDotNet collects between its
/// warm-up and its measured iterations.
/// </summary>
/// <param name="AtSeconds">When it ran, in seconds since the load started.</param>
/// <param name="PauseMs">What the two collections paused the process, in all.</param>
/// <param name="Gen2BytesAfter">Gen2's size after them.</param>
internal sealed record HeapSettle(double AtSeconds, double PauseMs, long Gen2BytesAfter)
{
    /// <summary>How long before the warm-up's end it runs: its pauses then fall on warm-up events, never measured ones.</summary>
    public static double LeadMs(double warmupMs) => Math.Min(5_000, warmupMs / 4);

    /// <summary>Runs the two collections now.</summary>
    public static HeapSettle Run(double atSeconds)
    {
        var pausedBefore = GC.GetTotalPauseDuration();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return new HeapSettle(atSeconds, (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds, info.GenerationInfo[2].SizeAfterBytes);
    }
}

/// <summary>The kernel's load averages (<c>/proc/loadavg</c>): runnable threads over the last 1, 5 and 15 minutes.</summary>
internal readonly record struct LoadAverage(double OneMinute, double FiveMinutes, double FifteenMinutes)
{
    /// <summary>Reads them now; null where there is no <c>/proc/loadavg</c>.</summary>
    public static LoadAverage? Read()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return new LoadAverage(
                double.Parse(fields[0], CultureInfo.InvariantCulture),
                double.Parse(fields[1], CultureInfo.InvariantCulture),
                double.Parse(fields[2], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{OneMinute:F2} {FiveMinutes:F2} {FifteenMinutes:F2}");
}

/// <summary>
/// Runs a bench: the cluster (embedded unless a bootstrap is given), one <see cref="FraudShieldNode"/> (engine and
/// dispatch), real gRPC subscribers recording alert latency into per-step <see cref="LatencyHistogram"/>s, the
/// open-loop <see cref="LoadGenerator"/>, per-step GC/CPU/lag figures, then the bare-consume baseline.
/// </summary>
internal sealed class BenchRunner
{
    private readonly BenchSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly TextWriter _progress;
    private readonly AllocationSampler? _sampler;
    private long _offsetResets;

    public BenchRunner(BenchSettings settings, ILoggerFactory loggers, TextWriter progress, AllocationSampler? sampler = null)
    {
        _sampler = sampler;
        _settings = settings;
        _loggers = loggers;
        _progress = progress;
    }

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        var s = _settings;
        var started = DateTimeOffset.UtcNow;
        var loadAtStart = LoadAverage.Read();
        if (loadAtStart is { } busy && busy.OneMinute > Environment.ProcessorCount / 2.0)
        {
            // A build's compiler servers or a test run still going: the warm-up then falls behind, and every figure carries it.
            _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: the box is already busy (load average {busy.OneMinute:F2} over the last minute, {Environment.ProcessorCount} processors); the figures will carry it"));
        }

        using var gcLog = new GcEventLog();
        var loadStartedAt = double.NaN;
        var loadEndedAt = double.NaN;
        using var cluster = s.Bootstrap is null ? EmbeddedKafkaCluster.Start(3) : null;
        var bootstrap = s.Bootstrap ?? cluster!.BootstrapServers;
        var kafkaLog = KafkaClientLogs.To(_loggers.CreateLogger(KafkaClientLogs.Category));
        var kafka = KafkaOptions.For(bootstrap) with
        {
            LogHandler = message =>
            {
                if (IsOffsetReset(message))
                {
                    Interlocked.Increment(ref _offsetResets);
                }

                kafkaLog(message);
            },
        };
        if (cluster is not null)
        {
            cluster.CreateTopics(Topics.All, s.Partitions);
        }
        else
        {
            await TopicAdmin.EnsureTopicsAsync(kafka, Topics.All.Select(t => (t, s.Partitions, t is Topics.Watchlist or Topics.Registry)), cancellationToken: cancellationToken);
        }

        var steps = Schedule(s);
        var clock = new BenchClock();
        var cityOptions = new CityOptions { Residents = s.Residents, InternationalCallShare = InternationalCallShare(s) };
        var maxRate = steps.Max(x => x.Rate);
        var scenarioEvery = s.ScenarioEvery ?? (int)Math.Clamp(maxRate / 5, 1, 1000);
        using var generator = await StartLoadAsync(s, bootstrap, cityOptions, clock, steps, scenarioEvery, cancellationToken);

        var dataDir = Path.Combine(Path.GetTempPath(), "fraudshield-bench-" + Guid.NewGuid().ToString("N"));
        var options = new NodeOptions
        {
            Kafka = kafka,
            Rules = s.Rules,
            Stores = new FasterStoreOptions { Directory = dataDir },
            Capacity = StoreCapacity.ForCity(new CityOptions { Residents = s.Residents }),
            Server = new AlertDispatch.DispatchServerOptions { Port = 0 },
            EngineGroup = "fraudshield-bench-" + Guid.NewGuid().ToString("N"),
            CheckpointInterval = s.CheckpointInterval,
            CounterpartyCheckpointInterval = s.CounterpartyCheckpointInterval,
            RunCounterparty = s.Counterparty,
        };

        // One histogram per step (index 0 is the warm-up when there is one); alerts are filed by their scheduled time.
        var boundariesMs = new double[steps.Count + 1];
        var histograms = new LatencyHistogram[steps.Count];
        var alertsPerStep = new long[steps.Count];
        var alertsByRules = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var slowest = new SlowestAlerts();
        var firstMeasuredStep = s.HasWarmupStep ? 1 : 0;
        var engineSegments = new LatencyHistogram[steps.Count];
        var dispatchSegments = new LatencyHistogram[steps.Count];
        var streamSegments = new LatencyHistogram[steps.Count];
        for (var i = 0; i < steps.Count; i++)
        {
            histograms[i] = new LatencyHistogram();
            engineSegments[i] = new LatencyHistogram();
            dispatchSegments[i] = new LatencyHistogram();
            streamSegments[i] = new LatencyHistogram();
            boundariesMs[i + 1] = boundariesMs[i] + steps[i].Duration.TotalMilliseconds;
        }

        var results = new List<StepResult>();
        long deadLettered;
        long logTrims;
        long alertsSigned = 0;
        long signFailures = 0;
        List<CheckpointSpan> checkpoints = [];
        HeapSettle? settle = null;
        await using (var node = await FraudShieldNode.StartAsync(options, _loggers, cancellationToken))
        {
            using var trimmer = s.TrimConsumed && cluster is not null
                ? new ConsumedLogTrimmer(cluster, kafka, options.ConsumerGroups(), s.Partitions, _loggers.CreateLogger<ConsumedLogTrimmer>())
                : null;
            trimmer?.Start();
            using var stopSubscribers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var clients = Enumerable.Range(0, s.Subscribers).Select(_ => new AlertStreamClient(node.GrpcAddress!)).ToList();
            await using var signer = s.SignAlerts ? new AlertSigner(node.GrpcAddress!) : null;
            double startMs = 0;
            var subscribers = clients.Select((c, i) => Task.Run(() => SubscribeAsync(c, clock, () => Volatile.Read(ref startMs), boundariesMs, new StepHistograms(histograms, engineSegments, dispatchSegments, streamSegments, alertsPerStep, alertsByRules), i == 0 ? signer : null, i == 0 ? (slowest, firstMeasuredStep) : null, stopSubscribers.Token), CancellationToken.None)).ToList();

            // Wait until every subscriber's stream is open (resume token known) before offering load.
            var openBy = Stopwatch.StartNew();
            while (clients.Any(c => c.LastResumeToken is null) && openBy.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(10, cancellationToken);
            }

            var engine = node.Engine!;
            Volatile.Write(ref startMs, clock.ElapsedMs);
            loadStartedAt = gcLog.Now;
            generator.Start(startMs);
            long Lag() => Math.Max(0, generator.Sent - engine.EventsProcessed);
            Snapshot? previous = null;
            for (var i = 0; i < steps.Count; i++)
            {
                if (i == firstMeasuredStep)
                {
                    _sampler?.Reset();
                }

                // Each step begins where the last one ended: the half second after a step, while its last alerts
                // arrive, belongs to the next one. Snapshots taken apart left those moments out of every count (a
                // background Gen2 at 1,590.5 s of a 30-minute run, in the runtime's own events, was in no step).
                var before = previous ?? Snapshot.Take(engine, generator, trimmer);
                var resetsBefore = Interlocked.Read(ref _offsetResets);
                var lagAtStart = Lag();
                long lagMax = lagAtStart;
                var stepEndMs = startMs + boundariesMs[i + 1];
                var settleAtMs = s.SettleHeap && i + 1 == firstMeasuredStep ? stepEndMs - HeapSettle.LeadMs(steps[i].Duration.TotalMilliseconds) : double.MaxValue;
                while (clock.ElapsedMs < stepEndMs)
                {
                    if (clock.ElapsedMs >= settleAtMs)
                    {
                        settle = HeapSettle.Run(gcLog.Now - loadStartedAt);
                        settleAtMs = double.MaxValue;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(stepEndMs, settleAtMs) - clock.ElapsedMs, 1, 200)), cancellationToken);
                    lagMax = Math.Max(lagMax, Lag());
                }

                var after = Snapshot.Take(engine, generator, trimmer);
                previous = after;
                var resetsAfter = Interlocked.Read(ref _offsetResets);
                var lagAtEnd = Lag();

                // Alerts of this step whose events were scheduled near its end arrive shortly after; give them a moment.
                if (i == steps.Count - 1)
                {
                    var drain = Stopwatch.StartNew();
                    while ((Lag() > 0 || !generator.Finished) && drain.Elapsed < TimeSpan.FromSeconds(20))
                    {
                        await Task.Delay(20, cancellationToken);
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                var h = histograms[i];
                var events = after.Processed - before.Processed;
                var seconds = after.Seconds - before.Seconds;
                var step = new StepResult
                {
                    OfferedRate = steps[i].Rate,
                    Seconds = seconds,
                    Events = events,
                    Throughput = events / Math.Max(seconds, 1e-9),
                    Alerts = Interlocked.Read(ref alertsPerStep[i]),
                    P50Ms = h.ValueAtPercentile(50) / 1000,
                    P99Ms = h.ValueAtPercentile(99) / 1000,
                    P999Ms = h.ValueAtPercentile(99.9) / 1000,
                    MaxMs = h.Max / 1000.0,
                    CpuSeconds = (after.ProcessCpu - before.ProcessCpu).TotalSeconds,
                    EngineSegmentMs = engineSegments[i].P50P99Ms(),
                    DispatchSegmentMs = dispatchSegments[i].P50P99Ms(),
                    StreamSegmentMs = streamSegments[i].P50P99Ms(),
                    GeneratorCpuSeconds = after.GeneratorCpu is { } ga && before.GeneratorCpu is { } gb ? ga - gb : null,
                    CpuByThread = ThreadCpu.ByGroup(before.Threads, after.Threads),
                    Gen0 = after.Gen0 - before.Gen0,
                    Gen1 = after.Gen1 - before.Gen1,
                    Gen2 = after.Gen2 - before.Gen2,
                    WorkingSetMiB = after.WorkingSet / 1048576.0,
                    GcHeapMiB = after.GcHeap / 1048576.0,
                    PinnedHeapMiB = after.PinnedHeap / 1048576.0,
                    GcPauseMs = (after.GcPause - before.GcPause).TotalMilliseconds,
                    AllocatedBytesPerEvent = (after.Allocated - before.Allocated) / (double)Math.Max(events, 1),
                    AllocatedBytesPerEventExcludingGenerator = (after.Allocated - before.Allocated - (after.HarnessAllocatedHere - before.HarnessAllocatedHere)) / (double)Math.Max(events, 1),
                    EngineThreadBytesPerEvent = (after.EngineThreadAllocated - before.EngineThreadAllocated) / (double)Math.Max(events, 1),
                    MergeHoldMs = (after.MergeHeldTicks - before.MergeHeldTicks) * 1000.0 / Stopwatch.Frequency / Math.Max(1, after.MergeTaken - before.MergeTaken),
                    LagAtStart = lagAtStart,
                    LagAtEnd = lagAtEnd,
                    LagMax = lagMax,
                    QueueFullWaits = after.QueueFullWaits - before.QueueFullWaits,
                    OffsetResets = resetsAfter - resetsBefore,
                };
                results.Add(step);
                _progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"bench: step {i + 1}/{steps.Count} rate {step.OfferedRate:F0}/s: {step.Throughput:F0} events/s, {step.Alerts} alerts, p50 {step.P50Ms:F2} ms p99 {step.P99Ms:F2} ms p99.9 {step.P999Ms:F2} ms max {step.MaxMs:F2} ms (to engine p50/p99 {step.EngineSegmentMs.P50:F1}/{step.EngineSegmentMs.P99:F1}, of it in the merge mean {step.MergeHoldMs:F1}, engine to console {step.DispatchSegmentMs.P50:F1}/{step.DispatchSegmentMs.P99:F1}, of it dispatch to console {step.StreamSegmentMs.P50:F1}/{step.StreamSegmentMs.P99:F1}), lag {step.LagAtStart}->{step.LagAtEnd} (max {step.LagMax}), cpu {step.CpuSeconds:F2} s{(step.GeneratorCpuSeconds is { } g ? string.Create(CultureInfo.InvariantCulture, $" (+{g:F2} s load process)") : string.Empty)}{(step.BrokerCoreShare is { } bc ? string.Create(CultureInfo.InvariantCulture, $", broker thread {bc * 100:F0} % of a core") : string.Empty)}, gen0/1/2 {step.Gen0}/{step.Gen1}/{step.Gen2} (pauses {step.GcPauseMs:F0} ms), {step.AllocatedBytesPerEventExcludingGenerator:F1} B/event ({step.EngineThreadBytesPerEvent:F1} on the engine thread){(step.OffsetResets > 0 ? string.Create(CultureInfo.InvariantCulture, $", {step.OffsetResets} offset resets: records skipped, not sustained") : string.Empty)}"));
                _progress.Flush();

                if (step.OffsetResets > 0)
                {
                    // On the embedded cluster a consumer that fell behind its retention (5 MiB a partition, seconds of
                    // load) does not catch up: it resets to the start it last saw, which the cluster has deleted again
                    // by its next fetch (every 0.5 s), so every step after this one would measure a node skipping input.
                    _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: step {i + 1} lost input ({step.OffsetResets} offset resets: a consumer fell behind the cluster's retention); stopping the run"));
                    break;
                }

                if (s.FindMax && (!step.Sustained || Budget.Missed(s.Budgets, step).Count > 0))
                {
                    break;
                }
            }

            loadEndedAt = gcLog.Now;
            deadLettered = engine.EventsDeadLettered;
            var loadStartUnixMs = clock.AnchorUnixMs + startMs;
            checkpoints = [.. CheckpointSpan.Of("engine", engine.RecentCheckpoints, loadStartUnixMs), .. CheckpointSpan.Of("counterparty", node.Counterparty?.RecentCheckpoints ?? [], loadStartUnixMs)];
            generator.Dispose();
            await stopSubscribers.CancelAsync();
            foreach (var subscriber in subscribers)
            {
                try
                {
                    await subscriber.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            }

            foreach (var client in clients)
            {
                client.Dispose();
            }

            if (signer is not null)
            {
                await signer.StopAsync(TimeSpan.FromSeconds(5));
                alertsSigned = signer.Signed;
                signFailures = signer.Failed;
            }

            logTrims = trimmer?.Deletions ?? 0;
        }

        var measuredSteps = results.Skip(firstMeasuredStep).ToList();
        StepResult? measured = null;
        double? maxSustainable = null;
        if (s.FindMax)
        {
            var passing = measuredSteps.Where(x => x.Sustained && Budget.Missed(s.Budgets, x).Count == 0).ToList();
            maxSustainable = passing.Count > 0 ? passing.Max(x => x.OfferedRate) : 0;
            measured = passing.Count > 0 ? passing.MaxBy(x => x.OfferedRate) : measuredSteps.FirstOrDefault();
        }
        else if (measuredSteps.Count > 0)
        {
            measured = measuredSteps.Count == 1 ? measuredSteps[0] : Merge(measuredSteps, histograms.Skip(firstMeasuredStep).ToList(), engineSegments.Skip(firstMeasuredStep).ToList(), dispatchSegments.Skip(firstMeasuredStep).ToList(), streamSegments.Skip(firstMeasuredStep).ToList());
        }

        BaselineResult? baseline = null;
        string? note = null;
        if (s.Baseline && !s.FindMax)
        {
            try
            {
                baseline = await MeasureBaselineAsync(kafka, options, cancellationToken);
            }
            catch (Exception e) when (e is KafkaException or TimeoutException or InvalidOperationException)
            {
                note = "baseline failed: " + e.Message;
            }
        }
        else
        {
            note = s.FindMax ? "not measured in --find-max runs (the topic tail holds many steps); see the fixed-rate run" : "skipped (--no-baseline)";
        }

        TryDelete(dataDir);
        return new BenchResult
        {
            Settings = s,
            Steps = results,
            Measured = measured,
            MaxSustainableRate = maxSustainable,
            Baseline = baseline,
            BaselineNote = note,
            EventsProduced = generator.Sent,
            DeadLettered = deadLettered,
            AlertsSigned = alertsSigned,
            SignFailures = signFailures,
            LogTrims = logTrims,
            // Read after the baseline, so that events the runtime delivered late are in; kept to the load's window.
            Collections = [.. gcLog.Records.Where(x => x.AtSeconds >= loadStartedAt && x.AtSeconds < loadEndedAt).Select(x => x with { AtSeconds = x.AtSeconds - loadStartedAt })],
            SlowestAlerts = slowest.Slowest(),
            Checkpoints = checkpoints,
            AlertsByRules = alertsByRules.OrderByDescending(x => x.Value).ThenBy(x => x.Key, StringComparer.Ordinal).ToList(),
            Bootstrap = bootstrap,
            Started = started,
            LoadAtStart = loadAtStart,
            Settle = settle,
        };
    }

    /// <summary>The load generator (tables already published): a process of its own unless the settings say otherwise.</summary>
    private static async Task<ILoadSource> StartLoadAsync(BenchSettings s, string bootstrap, CityOptions city, BenchClock clock, List<LoadStep> steps, int scenarioEvery, CancellationToken cancellationToken)
    {
        if (!s.LoadInProcess)
        {
            return await LoadProcess.StartAsync(bootstrap, city, s.Seed, clock, steps, scenarioEvery, cancellationToken);
        }

        var generator = new LoadGenerator(KafkaOptions.For(bootstrap), new CitySimulator(city, s.Seed), clock, steps, scenarioEvery);
        generator.PublishTables();
        return generator;
    }

    private static StepResult Merge(List<StepResult> steps, List<LatencyHistogram> histograms, List<LatencyHistogram> engine, List<LatencyHistogram> dispatch, List<LatencyHistogram> stream)
    {
        static LatencyHistogram Sum(List<LatencyHistogram> parts)
        {
            var sum = new LatencyHistogram();
            foreach (var x in parts)
            {
                sum.Add(x);
            }

            return sum;
        }

        var h = Sum(histograms);
        var e = Sum(engine);
        var d = Sum(dispatch);
        var st = Sum(stream);

        var events = steps.Sum(x => x.Events);
        var seconds = steps.Sum(x => x.Seconds);
        return new StepResult
        {
            OfferedRate = steps.Sum(x => x.OfferedRate * x.Seconds) / Math.Max(seconds, 1e-9),
            Seconds = seconds,
            Events = events,
            Throughput = events / Math.Max(seconds, 1e-9),
            Alerts = steps.Sum(x => x.Alerts),
            P50Ms = h.ValueAtPercentile(50) / 1000,
            P99Ms = h.ValueAtPercentile(99) / 1000,
            P999Ms = h.ValueAtPercentile(99.9) / 1000,
            MaxMs = h.Max / 1000.0,
            CpuSeconds = steps.Sum(x => x.CpuSeconds),
            EngineSegmentMs = e.P50P99Ms(),
            DispatchSegmentMs = d.P50P99Ms(),
            StreamSegmentMs = st.P50P99Ms(),
            GeneratorCpuSeconds = steps.All(x => x.GeneratorCpuSeconds is not null) ? steps.Sum(x => x.GeneratorCpuSeconds!.Value) : null,
            CpuByThread = ThreadCpu.Sum(steps.Select(x => x.CpuByThread)),
            Gen0 = steps.Sum(x => x.Gen0),
            Gen1 = steps.Sum(x => x.Gen1),
            Gen2 = steps.Sum(x => x.Gen2),
            GcPauseMs = steps.Sum(x => x.GcPauseMs),
            AllocatedBytesPerEvent = steps.Sum(x => x.AllocatedBytesPerEvent * x.Events) / Math.Max(events, 1),
            AllocatedBytesPerEventExcludingGenerator = steps.Sum(x => x.AllocatedBytesPerEventExcludingGenerator * x.Events) / Math.Max(events, 1),
            EngineThreadBytesPerEvent = steps.Sum(x => x.EngineThreadBytesPerEvent * x.Events) / Math.Max(events, 1),
            MergeHoldMs = steps.Sum(x => x.MergeHoldMs * x.Events) / Math.Max(events, 1),
            LagAtStart = steps[0].LagAtStart,
            LagAtEnd = steps[^1].LagAtEnd,
            LagMax = steps.Max(x => x.LagMax),
            QueueFullWaits = steps.Sum(x => x.QueueFullWaits),
            OffsetResets = steps.Sum(x => x.OffsetResets),
        };
    }

    /// <summary>librdkafka's line for a consumer whose next offset is gone from the cluster (it jumps to the log start).</summary>
    internal static bool IsOffsetReset(LogMessage message) =>
        message.Facility == "OFFSET" && message.Message.Contains("offset reset", StringComparison.Ordinal)
        && message.Message.Contains("Offset out of range", StringComparison.Ordinal);

    /// <summary>
    /// Benign calls that are international: the simulator's 2 %, or fewer when the offered rate gives each resident more
    /// calls than a person makes, so that a resident receives about one overseas call every two days whatever the rate.
    /// At a bench's rates (thousands of events/s over thousands of residents) 2 % would give every resident hours of
    /// overseas calls an hour, and the party rules (R01, then R09, R11, R17) would fire on benign traffic at a rate that
    /// grows through the run: a soak would measure the simulator, not a steady load.
    /// </summary>
    internal static double InternationalCallShare(BenchSettings s)
    {
        const double OverseasCallsPerResidentSecond = 0.5 / 86_400;
        var peakRate = Math.Max(s.Rate, s.RampTo ?? 0);
        var callsPerResidentSecond = 0.8 * peakRate / Math.Max(1, s.Residents);
        return callsPerResidentSecond <= 0 ? 0.02 : Math.Min(0.02, OverseasCallsPerResidentSecond / callsPerResidentSecond);
    }

    /// <summary>The load schedule: warm-up then the fixed rate, a ramp, or the find-max staircase.</summary>
    internal static List<LoadStep> Schedule(BenchSettings s)
    {
        var steps = new List<LoadStep>();
        if (s.FindMax)
        {
            for (var rate = s.FindMaxStart; steps.Count < 16; rate *= s.FindMaxFactor)
            {
                steps.Add(new LoadStep(Math.Round(rate), TimeSpan.FromSeconds(s.StepSeconds)));
            }

            return steps;
        }

        if (s.HasWarmupStep)
        {
            steps.Add(new LoadStep(s.Rate, TimeSpan.FromSeconds(s.Warmup)));
        }

        if (s.RampTo is { } to)
        {
            var n = Math.Max(2, s.RampSteps);
            for (var i = 0; i < n; i++)
            {
                steps.Add(new LoadStep(s.Rate + ((to - s.Rate) * i / (n - 1)), TimeSpan.FromSeconds(s.Duration / n)));
            }
        }
        else
        {
            steps.Add(new LoadStep(s.Rate, TimeSpan.FromSeconds(s.Duration)));
        }

        return steps;
    }

    private sealed record StepHistograms(LatencyHistogram[] EndToEnd, LatencyHistogram[] Engine, LatencyHistogram[] Dispatch, LatencyHistogram[] Stream, long[] Alerts, ConcurrentDictionary<string, long> ByRules);

    private static async Task SubscribeAsync(AlertStreamClient client, BenchClock clock, Func<double> startMs, double[] boundariesMs, StepHistograms h, AlertSigner? signer, (SlowestAlerts Kept, int FromStep)? slowest, CancellationToken cancellationToken)
    {
        var seen = new HashSet<(string, int)>();
        var signed = new HashSet<string>();
        try
        {
            await foreach (var delivery in client.SubscribeAsync(new SubscribeRequest { All = true }, cancellationToken))
            {
                var receivedUnixMs = clock.NowUnixMs;
                var alert = delivery.Alert;

                // First deliveries only: an escalation re-notifies an unacknowledged alert minutes later, and a resumed
                // stream may replay versions already received; neither is event-to-console latency.
                if (alert is null || delivery.Escalation is not null || !seen.Add((alert.AlertId, alert.Version)))
                {
                    continue;
                }

                // The console signs for the alert once it is on screen (a later version needs no second signature).
                if (signer is not null && signed.Add(alert.AlertId))
                {
                    signer.Offer(alert.AlertId);
                }

                // The step is the one whose schedule holds the event's scheduled time.
                var scheduledMs = alert.SourceEventMs - clock.AnchorUnixMs - startMs();
                if (scheduledMs < 0)
                {
                    continue;
                }

                var step = Array.BinarySearch(boundariesMs, scheduledMs);
                step = step >= 0 ? step : ~step - 1;
                if (step < 0 || step >= h.EndToEnd.Length)
                {
                    continue;
                }

                var published = delivery.PublishedMs > 0;
                h.EndToEnd[step].Record((long)((receivedUnixMs - alert.SourceEventMs) * 1000));
                h.Engine[step].Record((alert.EmittedMs - alert.SourceEventMs) * 1000);
                h.Dispatch[step].Record((long)((receivedUnixMs - alert.EmittedMs) * 1000));
                if (published)
                {
                    h.Stream[step].Record((long)(Math.Max(0, receivedUnixMs - delivery.PublishedMs) * 1000));
                }

                Interlocked.Increment(ref h.Alerts[step]);
                var rules = string.Join('+', alert.RuleIds);
                h.ByRules.AddOrUpdate(rules, 1, static (_, n) => n + 1);
                if (slowest is { } kept && step >= kept.FromStep)
                {
                    kept.Kept.Offer(new SlowAlert(
                        scheduledMs / 1000,
                        receivedUnixMs - alert.SourceEventMs,
                        alert.EmittedMs - alert.SourceEventMs,
                        published ? delivery.PublishedMs - alert.EmittedMs : -1,
                        published ? Math.Max(0, receivedUnixMs - delivery.PublishedMs) : -1,
                        rules));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    /// <summary>
    /// FraudShield's catch-up throughput and a bare Confluent.Kafka consume loop's, over the same retained messages of
    /// the event topics, each from the beginning in a new consumer group, one after the other, <see cref="BaselineResult.RoundCount"/> times.
    /// </summary>
    private async Task<BaselineResult> MeasureBaselineAsync(KafkaOptions kafka, NodeOptions live, CancellationToken cancellationToken)
    {
        var messages = RetainedEventMessages(kafka);
        _progress.WriteLine($"bench: baseline over {messages} retained messages of {string.Join(", ", Topics.EventTopics)}, {BaselineResult.RoundCount} rounds");
        var rounds = new List<BaselineRound>();
        for (var i = 0; i < BaselineResult.RoundCount; i++)
        {
            var fsSeconds = await ReplayAsync(live, messages, cancellationToken);
            var bareSeconds = await BareConsumeAsync(kafka, messages, cancellationToken);
            rounds.Add(new BaselineRound(fsSeconds, bareSeconds));
            _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: baseline round {i + 1}: FraudShield {messages / fsSeconds:F0} msg/s, bare {messages / bareSeconds:F0} msg/s, {rounds[^1].Ratio:F2}x"));
        }

        return new BaselineResult(messages, rounds);
    }

    // What the event topics retain now (low..high watermark of every partition): what both consumers read.
    private static long RetainedEventMessages(KafkaOptions kafka)
    {
        long messages = 0;
        using (var admin = new ConsumerBuilder<byte[], byte[]>(kafka.CreateConsumerConfig("fraudshield-bench-watermarks")).Build())
        {
            using var meta = new AdminClientBuilder(kafka.CreateAdminConfig()).Build();
            var metadata = meta.GetMetadata(TimeSpan.FromSeconds(10));
            foreach (var topic in metadata.Topics.Where(t => Topics.EventTopics.Contains(t.Topic)))
            {
                foreach (var p in topic.Partitions)
                {
                    var w = admin.QueryWatermarkOffsets(new TopicPartition(topic.Topic, p.PartitionId), TimeSpan.FromSeconds(10));
                    messages += w.High.Value - w.Low.Value;
                }
            }
        }

        return messages;
    }

    // FraudShield: a fresh engine (new group, empty state) catching up from the beginning; its seconds.
    private async Task<double> ReplayAsync(NodeOptions live, long messages, CancellationToken cancellationToken)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "fraudshield-bench-replay-" + Guid.NewGuid().ToString("N"));
        double fsSeconds;
        var options = live with
        {
            RunDispatch = false,
            Stores = new FasterStoreOptions { Directory = dataDir },
            EngineGroup = "fraudshield-bench-replay-" + Guid.NewGuid().ToString("N"),
        };
        await using (var node = await FraudShieldNode.StartAsync(options, _loggers, cancellationToken))
        {
            // Both clocks start when the consumer has its partitions: the engine fetches in batches and judges in
            // timestamp order, so its first verdict can come after most records are already fetched.
            var engine = node.Engine!;
            var deadline = Stopwatch.StartNew();
            while (engine.EventsProcessed < messages && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(1, cancellationToken);
            }

            // The engine stamps both ends itself (it may finish before the node's start returns).
            fsSeconds = Stopwatch.GetElapsedTime(engine.AssignedTicks, engine.LastJudgedTicks).TotalSeconds;
            if (engine.EventsProcessed < messages)
            {
                throw new TimeoutException($"the replay engine judged {engine.EventsProcessed} of {messages} messages in 120 s");
            }
        }

        TryDelete(dataDir);
        return fsSeconds;
    }

    // Bare: one thread, Consume per message, the same client settings, nothing else; its seconds.
    private static Task<double> BareConsumeAsync(KafkaOptions kafka, long messages, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() =>
        {
            var config = kafka.CreateConsumerConfig("fraudshield-bench-bare-" + Guid.NewGuid().ToString("N"));
            config.EnableAutoCommit = false;
            Stopwatch? clock = null;
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetPartitionsAssignedHandler((_, _) => clock ??= Stopwatch.StartNew())
                .Build();
            consumer.Subscribe(Topics.EventTopics);
            long read = 0;
            var deadline = Stopwatch.StartNew();
            while (read < messages && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message is null)
                {
                    continue;
                }

                read++;
            }

            consumer.Close();
            if (read < messages)
            {
                throw new TimeoutException($"the bare consumer read {read} of {messages} messages in 120 s");
            }

            return clock!.Elapsed.TotalSeconds;
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Temporary data; the OS cleans it.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    private readonly record struct Snapshot(double Seconds, long Processed, TimeSpan ProcessCpu, IReadOnlyDictionary<int, (string Name, long Ticks)> Threads, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, long Allocated, long HarnessAllocatedHere, double? GeneratorCpu, long QueueFullWaits, long EngineThreadAllocated, long WorkingSet, long GcHeap, long PinnedHeap, long MergeHeldTicks, long MergeTaken)
    {
        public static Snapshot Take(RuleEngine.Engine.EngineWorker engine, ILoadSource generator, ConsumedLogTrimmer? trimmer)
        {
            using var process = Process.GetCurrentProcess();
            var memory = GC.GetGCMemoryInfo();
            return new Snapshot(
                Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency,
                engine.EventsProcessed,
                process.TotalProcessorTime,
                ThreadCpu.All(),
                GC.CollectionCount(0),
                GC.CollectionCount(1),
                GC.CollectionCount(2),
                GC.GetTotalPauseDuration(),
                GC.GetTotalAllocatedBytes(precise: true),
                (generator.AllocatesInThisProcess ? generator.AllocatedBytes : 0) + (trimmer?.AllocatedBytes ?? 0),
                generator.OwnProcessCpuSeconds,
                generator.QueueFullWaits,
                engine.EngineThreadAllocatedBytes,
                process.WorkingSet64,
                memory.HeapSizeBytes,
                memory.GenerationInfo.Length > 4 ? memory.GenerationInfo[4].SizeAfterBytes : 0,
                engine.MergeHeldTicks,
                engine.MergeTaken);
        }
    }
}

/// <summary>
/// CPU time of this process's threads by name, read from /proc/self/task/*/stat on Linux (which shows a name truncated
/// to 15 characters as the thread's comm).
/// </summary>
internal static partial class ThreadCpu
{
    /// <summary>The engine's consume thread, "fraudshield-engine" truncated.</summary>
    public const string EngineThread = "fraudshield-eng";

    /// <summary>The one thread of librdkafka's mock cluster, which serves every broker of the embedded cluster.</summary>
    public const string EmbeddedClusterThread = "rdk:mock";

    /// <summary>
    /// Every thread of this process now, by thread id: its name and user plus system clock ticks; empty where /proc is
    /// not there. Two of them make <see cref="ByGroup"/>.
    /// </summary>
    public static IReadOnlyDictionary<int, (string Name, long Ticks)> All()
    {
        var threads = new Dictionary<int, (string, long)>();
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/task"))
        {
            return threads;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                threads[int.Parse(stat.AsSpan(0, open).Trim(), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], Ticks(stat));
            }
            catch (IOException)
            {
                // The thread ended.
            }
        }

        return threads;
    }

    /// <summary>
    /// CPU seconds used between <paramref name="before"/> and <paramref name="after"/> by the threads alive at the
    /// end, grouped by name with each run of digits as '#' ("rdk:broker1" and "rdk:broker2" are "rdk:broker#"), most
    /// first. A thread that ended in between is not counted: the groups' sum falls short of the process's CPU by it.
    /// </summary>
    public static IReadOnlyList<ThreadGroupCpu> ByGroup(IReadOnlyDictionary<int, (string Name, long Ticks)> before, IReadOnlyDictionary<int, (string Name, long Ticks)> after) =>
        after.Select(t => (Group: Digits().Replace(t.Value.Name, "#"), Ticks: t.Value.Ticks - (before.TryGetValue(t.Key, out var b) && b.Name == t.Value.Name ? b.Ticks : 0)))
            .GroupBy(t => t.Group, StringComparer.Ordinal)
            .Select(g => new ThreadGroupCpu(g.Key, g.Count(), g.Sum(t => t.Ticks) / 100.0))
            .OrderByDescending(g => g.Seconds)
            .ToList();

    /// <summary>The groups of several steps summed (a step's threads may be another's).</summary>
    public static IReadOnlyList<ThreadGroupCpu> Sum(IEnumerable<IReadOnlyList<ThreadGroupCpu>> steps) =>
        steps.SelectMany(x => x)
            .GroupBy(g => g.Group, StringComparer.Ordinal)
            .Select(g => new ThreadGroupCpu(g.Key, g.Max(x => x.Threads), g.Sum(x => x.Seconds)))
            .OrderByDescending(g => g.Seconds)
            .ToList();

    // After "pid (comm) ", field 3 is state; utime and stime are fields 14 and 15 of the whole line.
    private static long Ticks(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
    private static partial System.Text.RegularExpressions.Regex Digits();
}

/// <summary>CPU seconds of the threads of one name (see <see cref="ThreadCpu.ByGroup"/>) over a step.</summary>
/// <param name="Group">The threads' name as the OS shows it (15 characters at most), digits as '#'.</param>
/// <param name="Threads">How many such threads were alive at the end (the most of any step, for several).</param>
/// <param name="Seconds">Their user plus system CPU seconds.</param>
internal sealed record ThreadGroupCpu(string Group, int Threads, double Seconds);
