using FraudShield.Contracts;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Crash recovery on real processes: a cluster process, a dispatch process with a subscriber, and an engine process
/// (with a data folder, so it checkpoints) killed with SIGKILL at random points while scenarios stream in, and
/// restarted on the same folder. Every expected alert version reaches the subscriber exactly once.
/// </summary>
public sealed class CrashRecoveryTests
{
    private const int Victims = 12;

    [Fact]
    public async Task EngineKilledRepeatedly_EveryAlertDeliveredExactlyOnce()
    {
        using var data = new TempDirectory("fraudshield-crash");
        await using var processes = await ClusterWithDispatch.StartAsync();
        var bootstrap = processes.Bootstrap;
        await using var console = await RecordingConsole.StartAsync(processes.Grpc);

        const string fraudster = "442079460001";
        const string mule = "6222880000000042";
        var victims = ScenarioParties.Publish(bootstrap, 8613800100000, Victims, fraudster, mule);

        string[] engineArgs = ["run", "--role", "engine", "--bootstrap", bootstrap, "--data", data.Path, "--checkpoint-interval", "0.5",
            "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"];
        var engine = (await HostProcess.StartAsync(HostProcess.RunReady(), engineArgs)).Process;
        var random = new Random(20261123);
        var kills = 0;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            for (var i = 0; i < Victims; i++)
            {
                HostProcess.Kcat.Produce(bootstrap, Topics.Calls, (victims[i], Events.OverseasCall($"cdr-{i}", "+" + fraudster, "+" + victims[i], now + (i * 1000))));
                await Poll.UntilAsync(() => Seen(console.Received, i, 1), $"victim {i}'s first alert", TimeSpan.FromSeconds(60));
                if (i % 4 == 1)
                {
                    // SIGKILL at a random moment after the call: the transfer is produced while the engine is down or restarting.
                    await Task.Delay(random.Next(0, 700));
                    await engine.DisposeAsync();
                    kills++;
                    HostProcess.Kcat.Produce(bootstrap, Topics.Txns, (victims[i], Events.Transfer($"txn-{i}", victims[i], mule, now + (i * 1000) + 60_000)));
                    engine = (await HostProcess.StartAsync(HostProcess.RunReady(), engineArgs)).Process;
                }
                else
                {
                    HostProcess.Kcat.Produce(bootstrap, Topics.Txns, (victims[i], Events.Transfer($"txn-{i}", victims[i], mule, now + (i * 1000) + 60_000)));
                }
            }

            // Each victim's incident: version 1 (R01+R02, L2) on the call, version 2 (L1) on the transfer.
            try
            {
                await Poll.UntilAsync(() => console.Received.Count(r => r.Version == 2) >= Victims, "every victim's L1", TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException e)
            {
                var received = string.Join("; ", console.Received.GroupBy(r => r.Msisdn).Select(g => $"{g.Key}: {string.Join(",", g.Select(r => $"{r.Version}{r.Severity}"))}"));
                var log = engine.StandardError;
                throw new TimeoutException($"{e.Message} After {kills} kills, received: {received}. Engine stderr (tail): {log[Math.Max(0, log.Length - 4000)..]}", e);
            }
        }
        finally
        {
            await engine.DisposeAsync();
        }

        var deliveries = await console.StopAsync();
        Assert.Equal(3, kills);
        Assert.True(Victims * 2 == deliveries.Count, string.Join("\n", deliveries));
        Assert.Equal(deliveries.Count, deliveries.Select(d => (d.Id, d.Version)).Distinct().Count());
        Assert.Equal(Victims, deliveries.Select(d => d.Id).Distinct().Count());
        Assert.All(deliveries.Where(d => d.Version == 2), d => Assert.Equal("L1", d.Severity));
    }

    // Alert ids are opaque; victim i's first alert is the i-th distinct id seen with version 1 (calls are produced one
    // at a time, each after the previous one's alert arrived).
    private static bool Seen(IEnumerable<RecordingConsole.Delivery> received, int victim, int version) =>
        received.Where(r => r.Version == version).Select(r => r.Id).Distinct().Count() > victim;
}
