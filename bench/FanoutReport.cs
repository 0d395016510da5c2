using System.Diagnostics;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Grpc.Net.Client;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- fanout [alerts] [streams]</c>: alert fan-out through the real dispatch
/// server (Kestrel, gRPC over h2c on loopback) to real gRPC clients, each console on its own HTTP/2 connection.
/// Part 1: <c>alerts</c> alerts published into the hub as fast as it takes them, to 4 consoles subscribed to everything;
/// the figure is alerts delivered to every console per second (publish start to the last console's last alert), with
/// the process's CPU time, gen0 collections, bytes allocated per delivery and GC pause time over that span.
/// Part 2: <c>streams</c> concurrent console streams held open (10 per connection), one alert routed to all of them
/// every 100 ms for 5 s; every stream must receive every alert, and the report gives the delivery spread and the
/// process's memory per stream.
/// </summary>
internal static class FanoutReport
{
    public static async Task<int> RunAsync(int alerts, int streams)
    {
        Console.WriteLine($"// machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        var ok = await FourConsolesAsync(alerts) & await ManyStreamsAsync(streams);
        return ok ? 0 : 1;
    }

    private static Alert Make(int i) => new()
    {
        AlertId = $"FS-{i:D8}",
        Version = 1,
        Severity = Severity.L2,
        Typology = "IMPERSONATE_AUTHORITY",
        CreatedMs = 1_790_000_000_000 + i,
        Subject = new Subject { MsisdnMasked = "86138****5678", PersonId = $"P-{i % 5000:D5}" },
        Home = new Jurisdiction { StationId = $"S{i % 12:D2}", GridId = $"S{i % 12:D2}-G{i % 5}", Source = JurisdictionSource.Address },
        RuleIds = { "R01", "R06" },
    };

    private static async Task<bool> FourConsolesAsync(int total)
    {
        var prebuilt = Enumerable.Range(0, total).Select(Make).ToArray();
        using var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = total, SubscriberBufferCapacity = total, DeduplicationCapacity = total });
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub);
        var channels = Enumerable.Range(0, 4).Select(_ => GrpcChannel.ForAddress(server.Address)).ToArray();
        try
        {
            var calls = channels.Select(c => new AlertStream.AlertStreamClient(c).Subscribe(new SubscribeRequest { All = true })).ToArray();
            foreach (var call in calls)
            {
                await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(30));
            }

            while (hub.SubscriberCount < calls.Length)
            {
                await Task.Delay(10);
            }

            var clock = Stopwatch.StartNew();
            var lastAt = new double[calls.Length];
            var readers = calls.Select((call, index) => Task.Run(async () =>
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
                var count = 0;
                while (count < total && await call.ResponseStream.MoveNext(cts.Token))
                {
                    if (call.ResponseStream.Current.Alert is not null)
                    {
                        count++;
                    }
                }

                lastAt[index] = clock.Elapsed.TotalSeconds;
                return count;
            })).ToArray();

            var gen0 = GC.CollectionCount(0);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var paused = GC.GetTotalPauseDuration();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            foreach (var alert in prebuilt)
            {
                hub.Publish(alert);
            }

            var published = clock.Elapsed.TotalSeconds;
            var counts = await Task.WhenAll(readers);
            var seconds = lastAt.Max();
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var bytesPerDelivery = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (4.0 * total);
            var pauseSeconds = (GC.GetTotalPauseDuration() - paused).TotalSeconds;
            var ok = counts.All(c => c == total) && hub.SlowSubscriberDisconnectCount == 0;
            Console.WriteLine($"| fan-out to 4 consoles (4 HTTP/2 connections) | {total:N0} alerts published in {published:F2} s; all 4 consoles had every alert after {seconds:F2} s = **{total / seconds:N0} alerts/s** per console ({4 * total / seconds:N0} deliveries/s); CPU {cpuSeconds:F1} s; gen0 {GC.CollectionCount(0) - gen0}; allocated {bytesPerDelivery:N0} B per delivery (server and clients); GC pauses {pauseSeconds:F2} s | {(total / seconds >= 200_000 ? "MET" : "MISSED")} |");
            if (!ok)
            {
                Console.Error.WriteLine($"fan-out: counts {string.Join(",", counts)}, slow disconnects {hub.SlowSubscriberDisconnectCount}");
            }

            foreach (var call in calls)
            {
                call.Dispose();
            }

            return ok;
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private static async Task<bool> ManyStreamsAsync(int streams)
    {
        const int PerConnection = 10;
        const int Rounds = 50;
        using var hub = new AlertHub();
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub);
        GC.Collect();
        var memoryBefore = Process.GetCurrentProcess().WorkingSet64;
        var channels = Enumerable.Range(0, (streams + PerConnection - 1) / PerConnection).Select(_ => GrpcChannel.ForAddress(server.Address)).ToArray();
        try
        {
            var calls = Enumerable.Range(0, streams)
                .Select(i => new AlertStream.AlertStreamClient(channels[i / PerConnection]).Subscribe(new SubscribeRequest { All = true }))
                .ToArray();
            await Task.WhenAll(calls.Select(c => c.ResponseHeadersAsync)).WaitAsync(TimeSpan.FromSeconds(60));
            var opened = Stopwatch.StartNew();
            while (hub.SubscriberCount < streams && opened.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(10);
            }

            var memoryHeld = Process.GetCurrentProcess().WorkingSet64 - memoryBefore;
            var clock = Stopwatch.StartNew();
            var publishedAt = new double[Rounds];
            var spreads = new double[streams];
            var readers = calls.Select((call, index) => Task.Run(async () =>
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var count = 0;
                var worst = 0.0;
                while (count < Rounds && await call.ResponseStream.MoveNext(cts.Token))
                {
                    if (call.ResponseStream.Current.Alert is { } alert)
                    {
                        worst = Math.Max(worst, clock.Elapsed.TotalMilliseconds - Volatile.Read(ref publishedAt[(int)(alert.CreatedMs - 1_790_000_000_000)]));
                        count++;
                    }
                }

                spreads[index] = worst;
                return count;
            })).ToArray();

            for (var i = 0; i < Rounds; i++)
            {
                Volatile.Write(ref publishedAt[i], clock.Elapsed.TotalMilliseconds);
                hub.Publish(Make(i));
                await Task.Delay(100);
            }

            var counts = await Task.WhenAll(readers);
            var ok = counts.All(c => c == Rounds) && hub.SubscriberCount == streams && hub.SlowSubscriberDisconnectCount == 0;
            Array.Sort(spreads);
            Console.WriteLine($"| {streams:N0} concurrent console streams ({channels.Length} HTTP/2 connections) | held {clock.Elapsed.TotalSeconds:F1} s, {Rounds} alerts each to all: {counts.Count(c => c == Rounds):N0}/{streams:N0} streams got every alert; publish -> receipt, worst per stream: median {spreads[streams / 2]:F1} ms, max {spreads[^1]:F1} ms; working set +{memoryHeld / 1024.0 / streams:F1} KiB per stream (server and clients in one process) | {(ok ? "MET" : "MISSED")} |");
            foreach (var call in calls)
            {
                call.Dispose();
            }

            return ok;
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
