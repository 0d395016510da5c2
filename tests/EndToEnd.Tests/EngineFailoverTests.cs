using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Two engine processes share the work (one consumer group, a data folder each) and one is killed with SIGKILL between
/// a victim's call and transfer: the survivor takes its partitions, rebuilds their state from the input without
/// producing their first alerts again, and raises the L1 on each transfer. Every alert version reaches the subscriber
/// exactly once.
/// </summary>
public sealed partial class EngineFailoverTests
{
    private const int Victims = 12;

    [Fact]
    public async Task OneOfTwoEnginesKilled_SurvivorTakesItsPartitions_EveryAlertVersionOnce()
    {
        using var data = new TempDirectory("fraudshield-failover");
        var (cluster, clusterReady) = await HostProcess.StartAsync(ClusterReady(), "cluster", "--partitions", "4");
        await using var clusterProcess = cluster;
        var bootstrap = clusterReady.Groups["kafka"].Value;
        var (dispatch, dispatchReady) = await HostProcess.StartAsync(RunReady(), "run", "--role", "dispatch", "--bootstrap", bootstrap, "--grpc-port", "0");
        await using var dispatchProcess = dispatch;

        var received = new ConcurrentQueue<(string Id, int Version, string Severity, string Msisdn)>();
        using var stop = new CancellationTokenSource();
        using var client = new AlertStreamClient(new Uri(dispatchReady.Groups["grpc"].Value));
        var subscriber = Task.Run(async () =>
        {
            try
            {
                await foreach (var d in client.SubscribeAsync(new SubscribeRequest { All = true }, stop.Token))
                {
                    received.Enqueue((d.Alert.AlertId, d.Alert.Version, d.Alert.Severity.ToString(), d.Alert.Subject.Msisdn));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Poll.UntilAsync(() => client.LastResumeToken is not null, "the subscription to open", TimeSpan.FromSeconds(30));

        const string fraudster = "442079460002";
        const string mule = "6222880000000043";
        var victims = Enumerable.Range(0, Victims).Select(i => (8613800200000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        HostProcess.Kcat.Produce(bootstrap, Topics.Registry, [.. victims.Select((v, i) => ($"P-{i}", Events.Subject($"P-{i}", "+" + v, $"S0{(i % 8) + 1}", $"S0{(i % 8) + 1}-G01")))]);
        HostProcess.Kcat.Produce(bootstrap, Topics.Watchlist, ("MSISDN:+" + fraudster, Events.ListedNumber(fraudster)), ("ACCOUNT:" + mule, Events.ListedAccount(mule)));

        // A short session: the embedded coordinator holds a rebalance for the session timeout less a second, and
        // notices a killed member only when its session expires.
        string[] EngineArgs(string folder) => ["run", "--role", "engine", "--bootstrap", bootstrap, "--data", Path.Combine(data.Path, folder),
            "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"];
        var first = (await HostProcess.StartAsync(RunReady(), EngineArgs("a"))).Process;
        await using var second = (await HostProcess.StartAsync(RunReady(), EngineArgs("b"))).Process;
        try
        {
            // Every event of one hour: both engines' stores begin with that hour (the alert ids' lineage), so an
            // incident keeps its id when the survivor takes it over.
            var hour = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
            var start = hour + 60_000;
            for (var i = 0; i < Victims; i++)
            {
                HostProcess.Kcat.Produce(bootstrap, Topics.Calls, (victims[i], Events.OverseasCall($"cdr-{i}", "+" + fraudster, "+" + victims[i], start + (i * 1000))));
            }

            await Poll.UntilAsync(() => received.Select(r => r.Msisdn).Distinct().Count() == Victims, "every victim's first alert", TimeSpan.FromSeconds(90));

            // The first engine dies; the transfers go in at once, for victims of both engines' partitions.
            await first.DisposeAsync();
            for (var i = 0; i < Victims; i++)
            {
                HostProcess.Kcat.Produce(bootstrap, Topics.Txns, (victims[i], Events.Transfer($"txn-{i}", victims[i], mule, start + (i * 1000) + 60_000)));
            }

            await Poll.UntilAsync(() => received.Count(r => r.Version == 2) >= Victims, "every victim's L1", TimeSpan.FromSeconds(120));
        }
        finally
        {
            await first.DisposeAsync();
        }

        await stop.CancelAsync();
        await subscriber.WithTimeout();

        var deliveries = received.ToList();
        Assert.True(Victims * 2 == deliveries.Count, string.Join("\n", deliveries));
        Assert.Equal(deliveries.Count, deliveries.Select(d => (d.Id, d.Version)).Distinct().Count());
        foreach (var victim in victims)
        {
            var mine = deliveries.Where(d => d.Msisdn == "+" + victim || d.Msisdn == victim).ToList();
            Assert.Equal([1, 2], mine.Select(d => d.Version).Order());
            Assert.Single(mine.Select(d => d.Id).Distinct());
            Assert.Equal("L1", mine.Single(d => d.Version == 2).Severity);
        }
    }

    [GeneratedRegex(@"fraudshield cluster: kafka=(?<kafka>\S+)")]
    private static partial Regex ClusterReady();

    [GeneratedRegex(@"fraudshield run: role=\w+ kafka=\S+ grpc=(?<grpc>\S*)")]
    private static partial Regex RunReady();
}
