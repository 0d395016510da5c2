using System.Diagnostics;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace FraudShield.AlertDispatch.Tests;

/// <summary>
/// Measurements reported in the test output (not budgets: the CI box is shared). Correctness is asserted: every
/// subscriber gets every alert in scope, none is disconnected.
/// </summary>
public sealed class AlertHubThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Publish_FourSubscribers_AllDeliveredAndRateReported()
    {
        const int Total = 200_000;
        var alerts = new Alert[Total];
        for (var i = 0; i < Total; i++)
        {
            alerts[i] = TestAlerts.Make($"a{i}", station: i % 2 == 0 ? "S1" : "S2", grid: i % 4 == 0 ? "G1" : "G2");
            alerts[i].Subject.MsisdnMasked = "861******5678";
        }

        using var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = Total, SubscriberBufferCapacity = Total, DeduplicationCapacity = Total });
        AlertSubscription[] subscriptions =
        [
            hub.Subscribe(AlertScope.All),
            hub.Subscribe(AlertScope.All),
            hub.Subscribe(AlertScope.Station("S1")),
            hub.Subscribe(AlertScope.Grid("G1")),
        ];
        int[] expected = [Total, Total, Total / 2, Total / 4];
        var readers = subscriptions.Select((s, i) => Task.Run(() => s.TakeAsync(expected[i], TimeSpan.FromSeconds(60)))).ToArray();

        var watch = Stopwatch.StartNew();
        foreach (var alert in alerts)
        {
            hub.Publish(alert);
        }

        var publishSeconds = watch.Elapsed.TotalSeconds;
        var results = await Task.WhenAll(readers).WithTimeout(TimeSpan.FromSeconds(60));
        var totalSeconds = watch.Elapsed.TotalSeconds;

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(expected[i], results[i].Count);
        }

        Assert.Equal(0, hub.SlowSubscriberDisconnectCount);
        output.WriteLine($"hub: {Total:N0} alerts to 4 subscribers: publish {Total / publishSeconds:N0} alerts/s, delivered to all {Total / totalSeconds:N0} alerts/s");
        foreach (var s in subscriptions)
        {
            s.Dispose();
        }
    }

    [Fact]
    public async Task Subscribe_FourGrpcSubscribers_AllDeliveredAndRateReported()
    {
        const int Total = 20_000;
        using var hub = new AlertHub(new AlertHubOptions { SubscriberBufferCapacity = Total });
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub).WithTimeout();
        using var channel = GrpcChannel.ForAddress(server.Address);
        var client = new AlertStream.AlertStreamClient(channel);
        var calls = Enumerable.Range(0, 4).Select(_ => client.Subscribe(new SubscribeRequest { All = true })).ToArray();
        foreach (var call in calls)
        {
            await call.ResponseHeadersAsync.WithTimeout();
        }

        var readers = calls.Select(call => Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var count = 0;
            while (count < Total && await call.ResponseStream.MoveNext(cts.Token))
            {
                count++;
            }

            return count;
        })).ToArray();

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Total; i++)
        {
            hub.Publish(TestAlerts.Make($"a{i}"));
        }

        var counts = await Task.WhenAll(readers).WithTimeout(TimeSpan.FromSeconds(60));
        var seconds = watch.Elapsed.TotalSeconds;
        Assert.All(counts, c => Assert.Equal(Total, c));
        output.WriteLine($"gRPC h2c loopback: {Total:N0} alerts to 4 subscribers in {seconds:N2} s = {Total / seconds:N0} alerts/s per subscriber");
        foreach (var call in calls)
        {
            call.Dispose();
        }
    }
}
