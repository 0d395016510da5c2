using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.Tests.Engine;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Hot reload under load on the real host: `fraudshield demo` with its simulated city producing benign traffic, fraud
/// scenarios produced before and after a `fraudshield rules deploy` of a candidate (R01's min_call 600 s -> 300 s)
/// whose effective time falls in the middle of the stream, alerts received by a real gRPC subscriber.
/// </summary>
public sealed partial class HotReloadUnderLoadTests
{
    private const string Fraudster = "+442079469901";
    private const string Mule = "6222889900000001";
    private const int Residents = 2_000;
    private const int MarginMs = 6_000;
    private const int ScenariosAfter = 12;
    private const long ScenarioEveryMs = 200;
    private const long TransferAfterCallMs = 2_000; // StreamScenario: the transfer is stamped 2 s after the call

    // No scenario event is stamped this close to the effective time: an event the producer stamps late could
    // otherwise be judged after a benign event already on the other side of the switch (timestamp merge limits).
    private const long GuardMs = 1_000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _produceErrors = new();

    [Fact]
    public async Task Deploy_UnderLoadWithScenariosAroundTheSwitch_EachScenarioGetsItsSetsAlertsOnce()
    {
        var wall = Stopwatch.StartNew();
        await using var host = await HostProcess.StartSimulatedDemoAsync(
            "--rate", "1000", "--residents", Residents.ToString(CultureInfo.InvariantCulture), "--scenario-every", "0");

        // The subscriber: a real gRPC client of the host's dispatch, every delivery kept.
        var received = new ConcurrentQueue<Alert>();
        using var stop = new CancellationTokenSource();
        using var client = new AlertStreamClient(host.Grpc);
        var subscriber = Task.Run(async () =>
        {
            try
            {
                await foreach (var d in client.SubscribeAsync(new SubscribeRequest { All = true }, stop.Token))
                {
                    received.Enqueue(d.Alert);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Poll.UntilAsync(() => client.LastResumeToken is not null, "the subscription to open", Timeout);

        using var producer = new ProducerBuilder<string, string>(KafkaOptions.For(host.Bootstrap).CreateProducerConfig()).Build();
        Produce(producer, Topics.Watchlist, "MSISDN:" + Fraudster, StreamScenario.ListedNumberJson(Fraudster), NowMs);
        Produce(producer, Topics.Watchlist, "ACCOUNT:" + Mule, StreamScenario.ListedAccountJson(Mule), NowMs);
        producer.Flush(Timeout);
        var cityWatchlist = new CitySimulator(new CityOptions { Residents = Residents }, seed: 1).Watchlist().Count();
        await host.WaitForTablesAsync(watchlistRecords: cityWatchlist + 2, registryRecords: Residents);
        var before = await host.StatusAsync();
        var candidateYaml = StreamScenario.R01At300sYaml;
        Assert.NotEqual(RuleDeployment.VersionOf(candidateYaml), before.RulesVersion);

        // Scenarios every 200 ms, each event produced when due with its event time as Kafka timestamp.
        var scenarios = new ConcurrentQueue<StreamScenario>();
        var effective = long.MaxValue;
        var deploying = false;
        var stopStarting = false;
        var feeder = Task.Run(async () =>
        {
            var due = new List<(string Topic, string Key, string Json, long Ts)>();
            var index = 0;
            var nextStart = NowMs;
            while (!Volatile.Read(ref stopStarting) || due.Count > 0)
            {
                var now = NowMs;
                // While the deploy runs its effective time is unknown: no scenario starts that could come too close to it.
                var eff = Volatile.Read(ref effective);
                var clear = eff == long.MaxValue ? !Volatile.Read(ref deploying) : now + TransferAfterCallMs < eff - GuardMs || now >= eff + GuardMs;
                if (!Volatile.Read(ref stopStarting) && now >= nextStart && clear)
                {
                    var s = StreamScenario.Create(index++, now, Fraudster, Mule);
                    scenarios.Enqueue(s);
                    due.AddRange(s.Events.Select(e => (e.Topic, s.Victim, e.Json, e.Ts)));
                    nextStart = now + ScenarioEveryMs;
                }

                foreach (var e in due.Where(e => e.Ts <= now).ToList())
                {
                    Produce(producer, e.Topic, e.Key, e.Json, e.Ts);
                    due.Remove(e);
                }

                await Task.Delay(10);
            }

            producer.Flush(Timeout);
        });

        // Deploy once the stream is flowing; the effective time lands a few seconds into it.
        await Poll.UntilAsync(() => scenarios.Count >= 8 || feeder.IsCompleted, "the first scenarios", Timeout);
        using var dir = new TempDirectory();
        var candidate = Path.Combine(dir.Path, "r01-300s.yaml");
        await File.WriteAllTextAsync(candidate, candidateYaml);
        Volatile.Write(ref deploying, true);
        var (code, stdout, stderr) = await RunAsync("rules", "deploy", candidate, "--bootstrap", host.Bootstrap, "--margin-ms", MarginMs.ToString(CultureInfo.InvariantCulture));
        Assert.True(code == 0, stderr);
        var deployed = Deployed().Match(stdout);
        Assert.True(deployed.Success, stdout);
        var version = deployed.Groups["version"].Value;
        Assert.Equal(RuleDeployment.VersionOf(candidateYaml), version);
        Volatile.Write(ref effective, long.Parse(deployed.Groups["effective"].Value, CultureInfo.InvariantCulture));

        // The switch is only exact if the engine has the set before its effective time (docs/rules.md, Limits).
        await Poll.UntilAsync(() => host.StatusAsync().Result.Tables.Any(t => t.Topic == Topics.Rules && t.RecordsApplied == 1), "the engine to receive the rule set", Timeout);
        var receivedMs = NowMs;
        Assert.True(receivedMs < effective, $"the engine had the rule set only {receivedMs - effective} ms after its effective time: the {MarginMs} ms margin is too small for this machine");

        await Poll.UntilAsync(() => scenarios.Count(s => s.Events[0].Ts >= effective) >= ScenariosAfter || feeder.IsCompleted, $"{ScenariosAfter} scenarios after the switch", Timeout);
        Volatile.Write(ref stopStarting, true);
        await feeder.WithTimeout(Timeout);

        // A last scenario after everything: the engine judges in timestamp order, so once its alerts are here every
        // earlier scenario event has been judged.
        var barrier = StreamScenario.Create(1_000, NowMs, Fraudster, Mule);
        Assert.Equal(StreamScenarioKind.ListedCallThenMule, barrier.Kind);
        Produce(producer, barrier.Events[0].Topic, barrier.Victim, barrier.Events[0].Json, barrier.Events[0].Ts);
        await Poll.UntilAsync(() => NowMs >= barrier.Events[1].Ts, "the barrier transfer's time", Timeout);
        Produce(producer, barrier.Events[1].Topic, barrier.Victim, barrier.Events[1].Json, barrier.Events[1].Ts);
        producer.Flush(Timeout);

        var all = scenarios.Append(barrier).ToList();
        var expected = all.ToDictionary(s => s.Victim, s => s.Expected(after: s.Events[0].Ts >= effective));
        await Poll.UntilAsync(() => Delivered(received, barrier.Victim).Count == 2, "the barrier scenario's alerts", Timeout);
        await Poll.UntilAsync(() => all.All(s => Delivered(received, s.Victim).Count >= expected[s.Victim].Count), "every scenario's expected alerts", Timeout);

        await stop.CancelAsync();
        await subscriber.WithTimeout();
        var status = await host.StatusAsync();

        var old = all.Where(s => s.Events[0].Ts < effective).ToList();
        var @new = all.Where(s => s.Events[0].Ts >= effective).ToList();
        Assert.True(old.Count >= 8 && @new.Count >= ScenariosAfter, $"{old.Count} scenarios before, {@new.Count} after the switch");
        Assert.All(all, s => Assert.True(s.Events.All(e => Math.Abs(e.Ts - effective) >= GuardMs && e.Ts >= effective == s.Events[0].Ts >= effective), $"scenario {s.Index} straddles the switch"));
        foreach (var s in all)
        {
            var got = Delivered(received, s.Victim);
            Assert.True(expected[s.Victim].SequenceEqual(got.Select(StreamScenario.Describe)),
                $"scenario {s.Index} ({s.Kind}, {(s.Events[0].Ts >= effective ? "new" : "old")} set, call at {s.Events[0].Ts - effective} ms from the switch): expected [{string.Join("; ", expected[s.Victim])}], got [{string.Join("; ", got.Select(StreamScenario.Describe))}]");
            Assert.True(got.Select(a => a.AlertId).Distinct().Count() <= 1, $"scenario {s.Index}: more than one incident: {string.Join("; ", got)}");
        }

        Assert.Empty(_produceErrors);
        Assert.Equal(version, status.RulesVersion);
        Assert.Contains(status.Tables, t => t.Topic == Topics.Rules && t.CaughtUp && t.RecordsApplied == 1);
        Assert.Equal(0, status.EventsDeadLettered);
        var scenarioEvents = all.Sum(s => s.Events.Count);
        Assert.True(status.EventsProcessed - before.EventsProcessed >= 2_000 + scenarioEvents,
            $"the load was lighter than intended: {status.EventsProcessed - before.EventsProcessed} events judged during the test");
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(60), $"took {wall.Elapsed}");
    }

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // The victim's alert versions, de-duplicated by (alert id, version), in version order.
    private static List<Alert> Delivered(ConcurrentQueue<Alert> received, string victim) =>
        [.. received.Where(a => a.Subject.Msisdn == victim).DistinctBy(a => (a.AlertId, a.Version)).OrderBy(a => a.Version)];

    private void Produce(IProducer<string, string> producer, string topic, string key, string json, long timestampMs) =>
        producer.Produce(topic, new Message<string, string> { Key = key, Value = json, Timestamp = new Timestamp(timestampMs, TimestampType.CreateTime) }, r =>
        {
            if (r.Error.IsError)
            {
                _produceErrors.Enqueue($"{topic}: {r.Error}");
            }
        });

    // `fraudshield args...` to its exit: code, stdout, stderr.
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        await using var process = TestProcess.Start("dotnet", [HostProcess.Dll, .. arguments]);
        var lines = new List<string>();
        try
        {
            while (true)
            {
                lines.Add(await process.ReadLineAsync(Timeout));
            }
        }
        catch (InvalidOperationException)
        {
            // End of output.
        }

        var code = await process.WaitForExitAsync(Timeout);
        return (code, string.Join('\n', lines), process.StandardError);
    }

    [GeneratedRegex(@"deployed (?<version>r-[0-9a-f]{12}) from \S+: effective_from_ms=(?<effective>\d+)")]
    private static partial Regex Deployed();
}
