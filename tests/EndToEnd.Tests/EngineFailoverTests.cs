using FraudShield.Contracts;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// Two engine processes share the work (one consumer group, a data folder each) and one is killed with SIGKILL between
/// a victim's call and transfer: the survivor takes its partitions, rebuilds their state from the input without
/// producing their first alerts again, and raises the L1 on each transfer. Every alert version reaches the subscriber
/// exactly once.
/// </summary>
public sealed class EngineFailoverTests
{
    private const int Victims = 12;

    [Fact]
    public async Task OneOfTwoEnginesKilled_SurvivorTakesItsPartitions_EveryAlertVersionOnce()
    {
        using var data = new TempDirectory("fraudshield-failover");
        await using var processes = await ClusterWithDispatch.StartAsync();
        var bootstrap = processes.Bootstrap;
        await using var console = await RecordingConsole.StartAsync(processes.Grpc);

        const string fraudster = "442079460002";
        const string mule = "6222880000000043";
        var victims = ScenarioParties.Publish(bootstrap, 8613800200000, Victims, fraudster, mule);

        // A short session: the embedded coordinator holds a rebalance for the session timeout less a second, and
        // notices a killed member only when its session expires.
        string[] EngineArgs(string folder) => ["run", "--role", "engine", "--bootstrap", bootstrap, "--data", Path.Combine(data.Path, folder),
            "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"];
        var first = (await HostProcess.StartAsync(HostProcess.RunReady(), EngineArgs("a"))).Process;
        await using var second = (await HostProcess.StartAsync(HostProcess.RunReady(), EngineArgs("b"))).Process;
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

            await Poll.UntilAsync(() => console.Received.Select(r => r.Msisdn).Distinct().Count() == Victims, "every victim's first alert", TimeSpan.FromSeconds(90));

            // The first engine dies; the transfers go in at once, for victims of both engines' partitions.
            await first.DisposeAsync();
            for (var i = 0; i < Victims; i++)
            {
                HostProcess.Kcat.Produce(bootstrap, Topics.Txns, (victims[i], Events.Transfer($"txn-{i}", victims[i], mule, start + (i * 1000) + 60_000)));
            }

            await Poll.UntilAsync(() => console.Received.Count(r => r.Version == 2) >= Victims, "every victim's L1", TimeSpan.FromSeconds(120));
        }
        finally
        {
            await first.DisposeAsync();
        }

        var deliveries = await console.StopAsync();
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
}
