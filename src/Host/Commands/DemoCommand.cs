using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield demo`: everything embedded, a simulated city with the seed scenario injected, alerts live.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var duration = new Option<int?>("--duration") { Description = "Stop after this many seconds (default: run until Ctrl+C)." };
        var noSimulator = new Option<bool>("--no-simulator") { Description = "Start the cluster, engine and dispatch only; feed them yourself (kcat, watchlist import)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated city.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per alert on stdout instead of the live table." };
        var rate = new Option<double>("--rate") { Description = "Benign events per second from the simulator.", DefaultValueFactory = _ => 200 };
        var residents = new Option<int>("--residents") { Description = "Residents of the simulated city.", DefaultValueFactory = _ => 5_000 };
        var scenarioEvery = new Option<double>("--scenario-every") { Description = "Seconds between injected seed scenarios.", DefaultValueFactory = _ => 5 };
        var grpcPort = new Option<int>("--grpc-port") { Description = "gRPC port on 127.0.0.1 (0 picks a free one).", DefaultValueFactory = _ => 50051 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic of the embedded cluster.", DefaultValueFactory = _ => 4 };
        var rules = SharedOptions.Rules();
        var verbose = new Option<bool>("--verbose") { Description = "Log at Information level (to stderr)." };

        var command = new Command("demo", "Run everything embedded: a Kafka-protocol cluster, the rule engine, dispatch and a simulated city; alerts appear live.")
        {
            duration, noSimulator, seed, json, rate, residents, scenarioEvery, grpcPort, partitions, rules, verbose,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (SharedOptions.LoadRules(parse.GetValue(rules)) is not { } pack)
            {
                return 1;
            }

            var settings = new DemoSettings(pack, parse.GetValue(verbose),
                parse.GetValue(duration), parse.GetValue(noSimulator), parse.GetValue(seed), parse.GetValue(json), parse.GetValue(rate),
                parse.GetValue(residents), parse.GetValue(scenarioEvery), parse.GetValue(grpcPort), parse.GetValue(partitions));
            return await RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private sealed record DemoSettings(RuleEngine.Rules.RulePackOptions Rules, bool Verbose, int? Duration, bool NoSimulator, int Seed, bool Json, double Rate, int Residents, double ScenarioEvery, int GrpcPort, int Partitions);

    private static async Task<int> RunAsync(DemoSettings s, CancellationToken cancellationToken)
    {
        using var loggers = Logging.Create(s.Verbose ? Microsoft.Extensions.Logging.LogLevel.Information : s.Json ? Microsoft.Extensions.Logging.LogLevel.Warning : Microsoft.Extensions.Logging.LogLevel.Error);
        using var cluster = EmbeddedKafkaCluster.Start(3);
        cluster.CreateTopics(Topics.All, s.Partitions);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        var dataDir = Path.Combine(Path.GetTempPath(), "fraudshield-demo-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        SimulatorRunner? simulator = null;
        if (!s.NoSimulator)
        {
            var city = new CitySimulator(new CityOptions { Residents = s.Residents }, s.Seed);
            simulator = new SimulatorRunner(kafka, city, s.Rate, TimeSpan.FromSeconds(s.ScenarioEvery));
            simulator.PublishTables();
        }

        var options = new NodeOptions
        {
            Kafka = kafka,
            Rules = s.Rules,
            Stores = new FasterStoreOptions { Directory = dataDir },
            Capacity = StoreCapacity.ForCity(new CityOptions { Residents = s.Residents }),
            Checkpoints = false, // the demo's state is temporary: nothing to recover, no checkpoint pauses
            Server = new DispatchServerOptions { Port = s.GrpcPort },
        };
        await using var node = await FraudShieldNode.StartAsync(options, loggers, cancellationToken);
        Console.Error.WriteLine($"fraudshield demo: kafka={cluster.BootstrapServers} grpc={node.GrpcAddress}");
        Console.Error.WriteLine($"fraudshield demo: console: ./fraudshield console --station S01 --server {node.GrpcAddress}");
        Console.Error.Flush();

        // --duration is seconds of traffic, counted from when the simulator starts (not from process start, which on a
        // loaded machine can take seconds); every alert that traffic raises is shown before the demo exits.
        using var traffic = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var showing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        simulator?.Start();
        if (s.Duration is { } seconds)
        {
            traffic.CancelAfter(TimeSpan.FromSeconds(seconds));
        }

        using var client = new AlertStreamClient(node.GrpcAddress!);
        var presenter = new AlertPresenter(s.Json, "FraudShield demo: all stations", () =>
        {
            var processed = node.Engine?.EventsProcessed ?? 0;
            return $"events {processed:N0} ({processed / Math.Max(1, clock.Elapsed.TotalSeconds):N0}/s)  dead-lettered {node.Engine?.EventsDeadLettered ?? 0}  kafka {cluster.BootstrapServers}  grpc {node.GrpcAddress}";
        });
        var presenting = presenter.RunAsync(client.SubscribeAsync(new SubscribeRequest { All = true }, showing.Token), showing.Token);
        try
        {
            await presenting.WaitAsync(traffic.Token);
        }
        catch (OperationCanceledException) when (traffic.IsCancellationRequested)
        {
            // The traffic's time is up, or Ctrl+C.
        }

        simulator?.Dispose();
        var elapsed = clock.Elapsed.TotalSeconds;
        if (!cancellationToken.IsCancellationRequested && !presenting.IsCompleted && simulator is not null && node.Engine is { } engine)
        {
            await DrainAsync(engine, simulator.EventsProduced, presenter, DrainPatience, cancellationToken);
        }

        await showing.CancelAsync();
        await presenting;
        var events = node.Engine?.EventsProcessed ?? 0;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fraudshield demo: {elapsed:F1} s, {events} events ({events / Math.Max(elapsed, 0.001):F0}/s), {presenter.Received} alerts, dead-lettered {node.Engine?.EventsDeadLettered ?? 0}, event-to-screen latency p50 {presenter.Percentile(50)} ms p99 {presenter.Percentile(99)} ms max {presenter.Percentile(100)} ms"));
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // Temporary data; the OS cleans it.
        }

        return 0;
    }

    /// <summary>How long the end of a timed demo waits for the engine and the screen to catch up with the traffic.</summary>
    private static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Waits until the engine has judged every event produced and the screen has every alert the engine emitted, or
    /// <paramref name="patience"/> has passed (then says what was left).
    /// </summary>
    private static async Task DrainAsync(EngineWorker engine, long produced, AlertPresenter presenter, TimeSpan patience, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (engine.EventsProcessed < produced || presenter.Received < engine.AlertSink.Emitted)
        {
            if (waited.Elapsed > patience)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"fraudshield demo: stopped waiting after {patience.TotalSeconds:F0} s: {engine.EventsProcessed} of {produced} events judged, {presenter.Received} of {engine.AlertSink.Emitted} alerts shown"));
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C while waiting: stop now
            }
        }
    }
}
