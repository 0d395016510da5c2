using System.CommandLine;
using FraudShield.Host.Bench;
using FraudShield.Host.Runtime;

namespace FraudShield.Host.Commands;

/// <summary>
/// `fraudshield bench`: open-loop load through Kafka at a fixed rate, a ramp, or a staircase that finds the max
/// sustainable rate; latency measured at real gRPC subscribers; GC, CPU, lag and a bare-consume baseline; a dated
/// report with an SVG chart in bench/results.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var rate = new Option<double>("--rate") { Description = "Offered benign events per second (fixed rate, or the start of a ramp).", DefaultValueFactory = _ => 2000 };
        var duration = new Option<double>("--duration") { Description = "Measured seconds (after the warm-up).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds at the rate before measuring (not reported).", DefaultValueFactory = _ => 2 };
        var rampTo = new Option<double?>("--ramp-to") { Description = "Ramp from --rate to this rate over --duration, in --ramp-steps steps." };
        var rampSteps = new Option<int>("--ramp-steps") { Description = "Steps of a ramp.", DefaultValueFactory = _ => 5 };
        var findMax = new Option<bool>("--find-max") { Description = "Step the rate up (x --step-factor every --step-seconds from --start-rate) until the consumer lag grows or a budget breaks; report the max sustainable rate." };
        var startRate = new Option<double>("--start-rate") { Description = "First rate of --find-max.", DefaultValueFactory = _ => 1000 };
        var stepFactor = new Option<double>("--step-factor") { Description = "Rate factor between --find-max steps.", DefaultValueFactory = _ => 1.5 };
        var stepSeconds = new Option<double>("--step-seconds") { Description = "Seconds per --find-max step (a much shorter step can pass a rate whose backlog still grows).", DefaultValueFactory = _ => 60 };
        var budget = new Option<string[]>("--budget") { Description = "Latency budget, e.g. p99=20ms (also p50, p999, max; repeat or comma-separate). A miss exits 2.", AllowMultipleArgumentsPerToken = false };
        var json = new Option<bool>("--json") { Description = "Print the figures as one JSON object on stdout." };
        var bootstrap = new Option<string?>("--bootstrap") { Description = "A real Kafka cluster (its event topics should be fresh); default: an embedded mock cluster." };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic (the mock cluster keeps ~48 k messages per partition).", DefaultValueFactory = _ => 12 };
        var subscribers = new Option<int>("--subscribers") { Description = "gRPC subscribers (all stations) measuring latency.", DefaultValueFactory = _ => 1 };
        var scenarioEvery = new Option<int?>("--scenario-every") { Description = "One seed scenario per this many benign events (default: rate/5, at most 1,000)." };
        var residents = new Option<int>("--residents") { Description = "Residents of the simulated city.", DefaultValueFactory = _ => 5_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated city.", DefaultValueFactory = _ => 1 };
        var name = new Option<string?>("--name") { Description = "Report name: bench/results/<date>-<name>.md (default: rate-<N> or find-max)." };
        var reportDir = new Option<string?>("--report-dir") { Description = "Where reports go (default: bench/results of the enclosing repository, else ./bench-results)." };
        var noReport = new Option<bool>("--no-report") { Description = "Write no report files." };
        var noBaseline = new Option<bool>("--no-baseline") { Description = "Skip the bare-consume baseline." };
        var trimConsumed = new Option<bool>("--trim-consumed") { Description = "Embedded cluster only, with --no-baseline or --find-max: delete every 200 ms what all consumer groups have committed, so the mock's fetches (a walk over each partition's retained batches) cost what a real broker's indexed lookup does." };
        var noCounterparty = new Option<bool>("--no-counterparty") { Description = "Run without the counterparty stage (R03/R04/R15/R16): the per-party engine alone." };
        var noSign = new Option<bool>("--no-sign") { Description = "The subscribers do not sign for the alerts they receive (by default the first signs for each, as a console does), so every alert escalates at its ack deadline: a case update, a re-notification and a log line each." };
        var allocSample = new Option<bool>("--alloc-sample") { Description = "Sample allocations by type and thread (GCAllocationTick) and print the top ones; costs some CPU." };
        var loadInProcess = new Option<bool>("--load-in-process") { Description = "Run the load generator on a thread of the bench process (its ~1 KB/event of garbage then counts in this process's GC figures) instead of a process of its own." };
        var noSettle = new Option<bool>("--no-settle") { Description = "Do not settle the heap near the warm-up's end (two induced full collections, so the measured window starts from the steady state instead of promoting the warm-up's survivors)." };
        var checkpointInterval = new Option<double>("--checkpoint-interval") { Description = "Seconds between engine checkpoints (the product default, 10).", DefaultValueFactory = _ => 10 };
        var counterpartyCheckpointInterval = new Option<double>("--counterparty-checkpoint-interval") { Description = "Seconds between the counterparty stage's checkpoints (the product default, 60).", DefaultValueFactory = _ => NodeOptions.DefaultCounterpartyCheckpointInterval.TotalSeconds };
        var rules = SharedOptions.Rules();

        var command = new Command("bench", "Open-loop load through Kafka, latency at real gRPC subscribers, GC/CPU/lag, a bare-consume baseline and a report. Exits 2 when a budget is missed, 3 when a consumer skipped records (the run stops at that step).")
        {
            rate, duration, warmup, rampTo, rampSteps, findMax, startRate, stepFactor, stepSeconds, budget, json, bootstrap, partitions,
            subscribers, scenarioEvery, residents, seed, name, reportDir, noReport, noBaseline, trimConsumed, noCounterparty, noSign, allocSample, loadInProcess, noSettle, checkpointInterval, counterpartyCheckpointInterval, rules,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (SharedOptions.LoadRules(parse.GetValue(rules)) is not { } pack)
            {
                return 1;
            }

            if (Budget.Parse(parse.GetValue(budget) ?? [], out var error) is not { } budgets)
            {
                Console.Error.WriteLine(error);
                return 1;
            }

            if (parse.GetValue(rate) <= 0 || parse.GetValue(duration) <= 0 || parse.GetValue(subscribers) < 1 || parse.GetValue(partitions) < 1)
            {
                Console.Error.WriteLine("--rate, --duration, --subscribers and --partitions must be positive");
                return 1;
            }

            if (parse.GetValue(trimConsumed) && (parse.GetValue(bootstrap) is not null || !(parse.GetValue(noBaseline) || parse.GetValue(findMax))))
            {
                Console.Error.WriteLine("--trim-consumed works on the embedded cluster only (a real cluster keeps its own retention) and needs --no-baseline outside --find-max (the bare-consume baseline reads the records it deletes)");
                return 1;
            }

            var isFindMax = parse.GetValue(findMax);
            var settings = new BenchSettings
            {
                Name = parse.GetValue(name) ?? (isFindMax ? "find-max" : FormattableString.Invariant($"rate-{parse.GetValue(rate):F0}")),
                Rate = parse.GetValue(rate),
                Duration = parse.GetValue(duration),
                Warmup = parse.GetValue(warmup),
                RampTo = parse.GetValue(rampTo),
                RampSteps = parse.GetValue(rampSteps),
                FindMax = isFindMax,
                FindMaxStart = parse.GetValue(startRate),
                FindMaxFactor = Math.Max(1.05, parse.GetValue(stepFactor)),
                StepSeconds = parse.GetValue(stepSeconds),
                Bootstrap = parse.GetValue(bootstrap),
                Partitions = parse.GetValue(partitions),
                Subscribers = parse.GetValue(subscribers),
                SignAlerts = !parse.GetValue(noSign),
                ScenarioEvery = parse.GetValue(scenarioEvery),
                Residents = parse.GetValue(residents),
                Seed = parse.GetValue(seed),
                Baseline = !parse.GetValue(noBaseline),
                TrimConsumed = parse.GetValue(trimConsumed),
                Counterparty = !parse.GetValue(noCounterparty),
                LoadInProcess = parse.GetValue(loadInProcess),
                SettleHeap = !parse.GetValue(noSettle),
                CheckpointInterval = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(checkpointInterval))),
                CounterpartyCheckpointInterval = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(counterpartyCheckpointInterval))),
                Rules = pack,
                Budgets = budgets,
            };

            using var loggers = Logging.Create(Microsoft.Extensions.Logging.LogLevel.Warning);
            using var sampler = parse.GetValue(allocSample) ? new AllocationSampler() : null;
            var result = await new BenchRunner(settings, loggers, Console.Error, sampler).RunAsync(cancellationToken);
            if (sampler is not null)
            {
                foreach (var (type, share) in sampler.Top(25))
                {
                    Console.Error.WriteLine(FormattableString.Invariant($"bench: allocated {share,7:P1} {type}"));
                }
            }
            var missed = result.Measured is { } m ? Budget.Missed(budgets, m) : budgets;
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(BenchReport.Json(result, missed));
                Console.Out.Flush();
            }

            if (!parse.GetValue(noReport))
            {
                var path = BenchReport.Write(result, missed, parse.GetValue(reportDir) ?? DefaultReportDirectory());
                Console.Error.WriteLine($"bench: report {path}");
            }

            var summary = result.Measured;
            Console.Error.WriteLine(summary is null
                ? "bench: nothing measured"
                : FormattableString.Invariant($"bench: {summary.OfferedRate:F0}/s offered, {summary.Throughput:F0}/s judged, {summary.Alerts} alerts, p50 {summary.P50Ms:F2} ms p99 {summary.P99Ms:F2} ms p99.9 {summary.P999Ms:F2} ms max {summary.MaxMs:F2} ms{(result.MaxSustainableRate is { } max ? FormattableString.Invariant($", max sustainable {max:F0}/s") : string.Empty)}{(result.Baseline is { } b ? FormattableString.Invariant($", {b.Ratio:F2}x bare consume") : string.Empty)}"));
            if (result.LostInputStep > 0)
            {
                Console.Error.WriteLine(FormattableString.Invariant($"bench: the run lost input at step {result.LostInputStep} ({result.LostInputResets} offset resets) and stopped there"));
                return 3;
            }

            if (missed.Count > 0)
            {
                foreach (var miss in missed)
                {
                    Console.Error.WriteLine(summary is null ? $"bench: budget missed: {miss.Metric} (nothing measured)" : $"bench: budget missed: {miss.Describe(summary)}");
                }

                return 2;
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// `fraudshield bench-load` (hidden): the bench's load generator in a process of its own, started and driven by
    /// `fraudshield bench` over stdin/stdout (<see cref="LoadProcess"/>).
    /// </summary>
    public static Command CreateLoad()
    {
        var bootstrap = new Option<string>("--bootstrap") { Required = true };
        var residents = new Option<int>("--residents") { Required = true };
        var seed = new Option<int>("--seed") { Required = true };
        var share = new Option<double>("--international-share") { Required = true };
        var scenarioEvery = new Option<int>("--scenario-every") { Required = true };
        var anchor = new Option<long>("--anchor-ms") { Required = true };
        var steps = new Option<string>("--steps") { Required = true, Description = "rate:seconds pairs, comma-separated." };
        var command = new Command("bench-load", "The bench's load generator process (started by `fraudshield bench`).")
        {
            bootstrap, residents, seed, share, scenarioEvery, anchor, steps,
        };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            if (LoadProcess.ParseSteps(parse.GetValue(steps)!) is not { } schedule)
            {
                Console.Error.WriteLine($"--steps: expected rate:seconds pairs, comma-separated, both positive; got '{parse.GetValue(steps)}'");
                return 1;
            }

            var city = new Ingest.Simulation.CityOptions { Residents = parse.GetValue(residents), InternationalCallShare = parse.GetValue(share) };
            return LoadProcess.RunChild(parse.GetValue(bootstrap)!, city, parse.GetValue(seed), parse.GetValue(anchor), schedule, parse.GetValue(scenarioEvery));
        });
        return command;
    }

    /// <summary>bench/results of the repository enclosing the working directory (or the binary), else ./bench-results.</summary>
    private static string DefaultReportDirectory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FraudShield.sln")))
                {
                    return Path.Combine(dir.FullName, "bench", "results");
                }
            }
        }

        return Path.Combine(Environment.CurrentDirectory, "bench-results");
    }
}
