using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Broker faults under a running node (engine and dispatch in this process, <see cref="FraudShieldNode"/>) on an
/// embedded 3-broker cluster: scenarios stream in while a broker is down and after it comes back, and after every
/// partition leader has moved. Every victim's two alert versions reach a subscriber exactly once, and processing
/// resumes within seconds of the broker's return (about a second; see <see cref="Resume"/>).
/// </summary>
[Collection(RunAloneWithBrokerFaults.Name)]
public sealed class BrokerFaultTests
{
    private const string Fraudster = "442079460001";
    private const string Mule = "6222880000000042";
    private const int Partitions = 4;
    private const int Victims = 12;

    /// <summary>
    /// How long after a broker is back (or a leader moved) the alerts of events produced meanwhile may take: within
    /// seconds. Measured 0.2-1.2 s, alone and in whole-suite runs. The 5-35 s stalls whole-suite runs used to show were
    /// child processes of other tests holding the embedded cluster's sockets open (<see cref="ChildProcess"/>,
    /// docs/reliability.md); the bound was 120 s while they were unexplained.
    /// </summary>
    private static readonly TimeSpan Resume = TimeSpan.FromSeconds(15);

    /// <summary>How long the test waits for a resume before it gives up: longer than <see cref="Resume"/>, so a slow one is measured and its librdkafka lines written before the assertion fails.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    /// <summary>
    /// A resume slower than this writes the librdkafka lines of every client around it (broker states, metadata and
    /// leaders, the idempotent producers' state, the consumer groups) to the test's output, kept in the TRX file: the
    /// long stalls have only been seen in whole-suite runs, so that is where their evidence has to come from.
    /// </summary>
    private static readonly TimeSpan SlowResume = TimeSpan.FromSeconds(3);

    private readonly ITestOutputHelper _output;

    public BrokerFaultTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task BrokerDownAndUp_LeadersMoved_EveryAlertArrivesOnce_ProcessingResumes()
    {
        using var cluster = EmbeddedKafkaCluster.Start(3);
        cluster.CreateTopics(Topics.All, Partitions);
        var clock = Stopwatch.StartNew();
        var lines = new ConcurrentQueue<(TimeSpan At, string Line)>();
        var kafka = KafkaOptions.For(cluster.BootstrapServers) with
        {
            ExtraProperties = new Dictionary<string, string>(StringComparer.Ordinal) { ["debug"] = "broker,topic,metadata,eos,cgrp" },
            LogHandler = message => lines.Enqueue((clock.Elapsed, $"{(int)message.Level} {message.Name} {message.Facility}: {message.Message}")),
        };
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).WithLogs(kafka).Build();
        var victims = Enumerable.Range(0, Victims).Select(i => (8613800200000L + i).ToString(CultureInfo.InvariantCulture)).ToArray();
        await Events.ProduceScenarioTablesAsync(producer, victims, i => $"S0{(i % 8) + 1}", Fraudster, Mule);

        var options = new NodeOptions
        {
            Kafka = kafka,
            Rules = SharedOptions.LoadRules(null) ?? throw new InvalidOperationException("The default rules did not load."),
            Server = new DispatchServerOptions { Port = 0 },
        };
        await using var node = await FraudShieldNode.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None).WithTimeout(TimeSpan.FromSeconds(90));
        await using var recorder = new HubRecorder(node.Hub!);
        var received = recorder.Received;

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var next = 0;
        List<Task> Stream(int count)
        {
            var tasks = new List<Task>();
            for (var k = 0; k < count; k++, next++)
            {
                var i = next;
                tasks.Add(Events.ProduceAsync(producer, Topics.Calls, victims[i], Events.OverseasCall($"cdr-{i}", "+" + Fraudster, "+" + victims[i], now + (i * 1000))));
                tasks.Add(Events.ProduceAsync(producer, Topics.Txns, victims[i], Events.Transfer($"txn-{i}", victims[i], Mule, now + (i * 1000) + 60_000)));
            }

            return tasks;
        }

        // Healthy: 3 victims, each an L2 on the call and an L1 on the transfer.
        await Task.WhenAll(Stream(3)).WithTimeout();
        await Poll.UntilAsync(() => Complete(received, 3), "the first 3 victims' 2 alert versions", TimeSpan.FromSeconds(60));

        // Broker 1 down: events for its partitions wait in the producer (idempotent, retried); then it comes back.
        cluster.SetBrokerDown(1);
        var producing = Stream(3);
        await InFlightDuringOutageAsync(producing);
        var up = Stopwatch.StartNew();
        var upAt = clock.Elapsed;
        cluster.SetBrokerUp(1);
        await Task.WhenAll(producing).WithTimeout(Wait);
        await Poll.UntilAsync(() => Complete(received, 6), "victims 3-5 after broker 1 came back", Wait);
        var afterUp = up.Elapsed;

        // Every partition leader moves to the next broker; the engine, the feed and the producer follow.
        foreach (var topic in Topics.All)
        {
            for (var p = 0; p < Partitions; p++)
            {
                cluster.SetPartitionLeader(topic, p, ((p + 1) % 3) + 1);
            }
        }

        var moved = Stopwatch.StartNew();
        var movedAt = clock.Elapsed;
        await Task.WhenAll(Stream(3)).WithTimeout();
        await Poll.UntilAsync(() => Complete(received, 9), "victims 6-8 after the leaders moved", Wait);
        var afterMove = moved.Elapsed;

        // A second broker goes down and comes back while leaders sit elsewhere than at start.
        cluster.SetBrokerDown(2);
        producing = Stream(3);
        await InFlightDuringOutageAsync(producing);
        var up2 = Stopwatch.StartNew();
        var up2At = clock.Elapsed;
        cluster.SetBrokerUp(2);
        await Task.WhenAll(producing).WithTimeout(Wait);
        await Poll.UntilAsync(() => Complete(received, 12), "victims 9-11 after broker 2 came back", Wait);
        var afterUp2 = up2.Elapsed;

        var deliveries = await recorder.StopAsync();
        Assert.True(Victims * 2 == deliveries.Count, $"{deliveries.Count} deliveries: {string.Join(", ", deliveries)}");
        Assert.Equal(deliveries.Count, deliveries.Distinct().Count());
        Assert.Equal(Victims, deliveries.Select(d => d.Id).Distinct().Count());
        _output.WriteLine($"resumed after broker 1 up {afterUp}, leaders moved {afterMove}, broker 2 up {afterUp2}");
        foreach (var (name, at, took) in new[] { ("broker 1 up", upAt, afterUp), ("leaders moved", movedAt, afterMove), ("broker 2 up", up2At, afterUp2) })
        {
            if (took > SlowResume)
            {
                // From 1 s before the change to the resume; of a longer stretch, its first and last 3,000 lines.
                var window = lines.Where(l => l.At >= at - TimeSpan.FromSeconds(1) && l.At <= at + took).ToList();
                _output.WriteLine($"--- librdkafka lines around '{name}' at {at}, resumed after {took} ({window.Count} lines):");
                foreach (var (lineAt, line) in window.Count <= 6_000 ? window : [.. window.Take(3_000), (at, "..."), .. window.TakeLast(3_000)])
                {
                    _output.WriteLine($"{lineAt} {line}");
                }
            }
        }

        Assert.True(afterUp < Resume && afterMove < Resume && afterUp2 < Resume, $"resumed after {afterUp}, {afterMove}, {afterUp2}");
    }

    /// <summary>
    /// Waits until the outage holds records back: some of the batch delivered (partitions on live brokers) while the
    /// rest waits for the down broker; bounded, since a batch whose partitions all sit on the down broker waits whole.
    /// </summary>
    private static async Task InFlightDuringOutageAsync(List<Task> producing)
    {
        try
        {
            await Poll.UntilAsync(() => producing.Any(t => t.IsCompleted) && producing.Any(t => !t.IsCompleted), "part of the batch to be delivered while the rest waits", TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException) when (producing.All(t => !t.IsCompleted))
        {
        }

        Assert.Contains(producing, t => !t.IsCompleted);
    }

    // Every victim so far has both versions: alert ids are opaque, so count incidents with versions 1 and 2.
    private static bool Complete(ConcurrentQueue<(string Id, int Version)> received, int victims)
    {
        var byId = received.GroupBy(r => r.Id).Count(g => g.Any(r => r.Version == 1) && g.Any(r => r.Version == 2));
        return byId >= victims;
    }

}

/// <summary>
/// Runs <see cref="BrokerFaultTests"/> alone, after the tests that run in parallel (the same name as Ingest.Tests'
/// collection for <c>BrokerDownChildProcessTests</c>; each test assembly has its own). <see cref="ChildProcess"/> seals
/// the process's descriptors before every child start. But a connection the embedded cluster accepts between that
/// sealing and the fork is still inherited. One clean-clone CI run hit it: the engine's consumer kept a dead
/// connection 18 s. With no other test starting processes meanwhile, no child can take one.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAloneWithBrokerFaults
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Broker faults, run alone";
}
