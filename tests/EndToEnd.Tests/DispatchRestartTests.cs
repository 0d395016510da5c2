using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FraudShield.AlertDispatch;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// The dispatch process SIGKILLed and restarted on the same address while a console (<see cref="AlertStreamClient"/>,
/// reconnecting, with <see cref="AlertStreamClientOptions.ReplayRetainedOnExpiredToken"/>) is subscribed and the
/// engine process keeps producing alerts. The hub's retention is in memory, so the console's token is refused by the
/// new process (OUT_OF_RANGE); the refusal's replay token resumes it from the start of the new process's retention,
/// which holds every alert re-read from fs.alerts: the console ends with every alert version produced before, during
/// and after the outage.
/// </summary>
public sealed class DispatchRestartTests
{
    private const int Victims = 12;

    [Fact]
    public async Task DispatchKilledAndRestarted_ConsoleReplaysAndReceivesEveryAlertVersion()
    {
        var (cluster, clusterReady) = await HostProcess.StartAsync(HostProcess.ClusterReady(), "cluster", "--partitions", "4");
        await using var clusterProcess = cluster;
        var bootstrap = clusterReady.Groups["kafka"].Value;
        var port = FreePort().ToString(CultureInfo.InvariantCulture);
        string[] dispatchArgs = ["run", "--role", "dispatch", "--bootstrap", bootstrap, "--grpc-port", port];
        var (dispatch, dispatchReady) = await HostProcess.StartAsync(HostProcess.RunReady(), dispatchArgs);
        var address = new Uri(dispatchReady.Groups["grpc"].Value);

        const string fraudster = "442079460001";
        const string mule = "6222880000000042";
        var victims = ScenarioParties.Publish(bootstrap, 8613800300000, Victims, fraudster, mule);
        var (engine, _) = await HostProcess.StartAsync(HostProcess.RunReady(), "run", "--role", "engine", "--bootstrap", bootstrap);
        await using var engineProcess = engine;

        var received = new ConcurrentQueue<(string Id, int Version)>();
        using var stop = new CancellationTokenSource();
        using var client = new AlertStreamClient(address, new AlertStreamClientOptions
        {
            ReplayRetainedOnExpiredToken = true,
            InitialReconnectDelay = TimeSpan.FromMilliseconds(50),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        });
        var console = Task.Run(async () =>
        {
            try
            {
                await foreach (var d in client.SubscribeAsync(new SubscribeRequest { All = true }, stop.Token))
                {
                    if (d.Escalation is null)
                    {
                        received.Enqueue((d.Alert.AlertId, d.Alert.Version));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        void Call(int i) => HostProcess.Kcat.Produce(bootstrap, Topics.Calls, (victims[i], Events.OverseasCall($"cdr-{i}", "+" + fraudster, "+" + victims[i], now + (i * 1000))));
        void Transfer(int i) => HostProcess.Kcat.Produce(bootstrap, Topics.Txns, (victims[i], Events.Transfer($"txn-{i}", victims[i], mule, now + (i * 1000) + 60_000)));

        async Task WaitAsync(Func<bool> condition, string what)
        {
            try
            {
                await Poll.UntilAsync(condition, what, TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message} Received {string.Join(", ", received)}; reconnects {client.ReconnectCount}.\nengine:\n{engine.StandardError}\ndispatch:\n{dispatch.StandardError}", ex);
            }
        }

        try
        {
            // A subscription without a token starts live: wait until it stands (its start token arrived) before producing.
            await WaitAsync(() => client.LastResumeToken is not null, "the console's subscription");

            // Victims 0-3 while the dispatch is up: each call's alert (version 1), then the transfer's (version 2).
            for (var i = 0; i < 4; i++)
            {
                Call(i);
                await WaitAsync(() => Versions(received, 1) > i, $"victim {i}'s first alert");
                Transfer(i);
                await WaitAsync(() => Versions(received, 2) > i, $"victim {i}'s second alert");
            }

            // SIGKILL the dispatch; the engine goes on producing alerts for victims 4-7 while it is down.
            await dispatch.DisposeAsync();
            var failedOver = client.ReconnectCount;
            for (var i = 4; i < 8; i++)
            {
                Call(i);
                Transfer(i);
            }

            (dispatch, _) = await HostProcess.StartAsync(HostProcess.RunReady(), dispatchArgs);
            await WaitAsync(() => Distinct(received) >= 16, "victims 4-7's alerts, produced while the dispatch was down");
            for (var i = 8; i < Victims; i++)
            {
                Call(i);
                await WaitAsync(() => Versions(received, 1) > i, $"victim {i}'s first alert");
                Transfer(i);
                await WaitAsync(() => Versions(received, 2) > i, $"victim {i}'s second alert");
            }

            Assert.True(client.ReconnectCount > failedOver, "the console never reconnected");
        }
        finally
        {
            await dispatch.DisposeAsync();
        }

        await stop.CancelAsync();
        await console.WithTimeout();

        var deliveries = received.ToList();
        Assert.Equal(Victims * 2, deliveries.Distinct().Count());
        Assert.Equal(Victims, deliveries.Select(d => d.Id).Distinct().Count());
        Assert.All(deliveries.GroupBy(d => d.Id), g => Assert.Equal([1, 2], g.Select(d => d.Version).Distinct().Order()));

        // The replay re-delivered what the console had before the kill: the duplicates the option promises.
        Assert.True(deliveries.Count > Victims * 2, $"expected the replay to re-deliver victims 0-3, got {deliveries.Count} deliveries");
    }

    private static int Distinct(ConcurrentQueue<(string Id, int Version)> received) => received.Distinct().Count();

    private static int Versions(ConcurrentQueue<(string Id, int Version)> received, int version) =>
        received.Where(r => r.Version == version).Select(r => r.Id).Distinct().Count();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }


}
