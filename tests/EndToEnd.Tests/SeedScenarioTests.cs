using System.Diagnostics;
using FraudShield.Contracts;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// The whole path on real parts: the `fraudshield` host process on its embedded Kafka-protocol cluster, the seed
/// scenario produced by the real kcat client, alerts received by real python3-grpcio subscribers.
/// </summary>
public sealed class SeedScenarioTests
{
    // A python3-grpcio console: subscribes to one station (or one grid, "grid=<id>"), prints READY once the stream is open, then one line per alert.
    private const string Console = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import grpc
        from fraudshield.dispatch.v1 import alert_stream_pb2 as pb
        from fraudshield.alerts.v1 import alert_pb2

        channel = grpc.insecure_channel(sys.argv[2], options=[("grpc.enable_http_proxy", 0)])
        subscribe = channel.unary_stream(
            "/fraudshield.dispatch.v1.AlertStream/Subscribe",
            request_serializer=pb.SubscribeRequest.SerializeToString,
            response_deserializer=pb.AlertDelivery.FromString)
        try:
            scope = sys.argv[3]
            request = pb.SubscribeRequest(grid_id=scope[5:]) if scope.startswith("grid=") else pb.SubscribeRequest(station_id=scope)
            call = subscribe(request, timeout=120)
            call.initial_metadata()
            print("READY", flush=True)
            for d in call:
                a = d.alert
                print("ALERT", a.alert_id, a.version, alert_pb2.Severity.Name(a.severity).replace("SEVERITY_", ""), ",".join(a.rule_ids),
                      a.home.station_id, a.home.grid_id, a.subject.msisdn_masked, flush=True)
        except grpc.RpcError as e:
            print("STATUS", e.code().name, e.details(), flush=True)
        """;

    [Fact]
    public async Task SeedScenario_ViaKcat_ReachesVictimsStationOnly_AndBadEventGoesToDeadLetters()
    {
        await using var host = await HostProcess.StartDemoAsync();
        using var python = PythonGrpc.Create(Console);
        var target = $"{host.Grpc.Host}:{host.Grpc.Port}";
        await using var s07 = python.Start(target, "S07");
        await using var s03 = python.Start(target, "S03");
        Assert.Equal("READY", await s07.ReadLineAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("READY", await s03.ReadLineAsync(TimeSpan.FromSeconds(30)));

        const string victim = "8613800138007";
        const string neighbour = "8613800138003";
        const string fraudster = "442079460001";
        const string mule = "6222880000000042";
        host.Produce(Topics.Registry, ("P-7", Events.Subject("P-7", "+" + victim, "S07", "S07-G03")), ("P-3", Events.Subject("P-3", "+" + neighbour, "S03", "S03-G01")));
        host.Produce(Topics.Watchlist,
            ("MSISDN:+" + fraudster, Events.ListedNumber(fraudster)),
            ("ACCOUNT:" + mule, Events.ListedAccount(mule)));
        await host.WaitForTablesAsync(watchlistRecords: 2, registryRecords: 2);

        // The seed scenario with a malformed event in the middle of the victim's transaction stream.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        host.Produce(Topics.Calls, (victim, Events.OverseasCall("cdr-e2e-1", "+" + fraudster, "+" + victim, now - 60_000)));
        host.Produce(Topics.Txns, (victim, """{"txn_id":"bad-1","ts_ms":"not a number","type":"TRANSFER"}"""), (victim, Events.Transfer("txn-e2e-1", victim, mule, now)));

        // The victim's station sees the incident reach L1 within 5 s of the scenario being produced.
        var s07Lines = new List<string>();
        try
        {
            while (!s07Lines.Any(l => l.Contains(" L1 ", StringComparison.Ordinal)))
            {
                s07Lines.Add(await s07.ReadLineAsync(TimeSpan.FromSeconds(5) - clock.Elapsed));
            }
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"No L1 at S07 within 5 s (received: {string.Join(" | ", s07Lines)}); engine status: {await host.StatusAsync()}; host stderr: {host.Process.StandardError}; {e.Message}");
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"L1 took {clock.Elapsed}");
        Assert.All(s07Lines, l => Assert.Matches(@"^ALERT A-[0-9a-f]{16} \d+ L\d \S+ S07 S07-G03 861\*{6}8007$", l));
        var l1 = s07Lines.Last().Split(' ');
        Assert.Contains("R08", l1[4].Split(','));

        // Another station got nothing of it: its first line is its own later alert, not the victim's.
        host.Produce(Topics.Watchlist, ("ACCOUNT:6222880000000043", Events.ListedAccount("6222880000000043")));
        await host.WaitForTablesAsync(watchlistRecords: 3, registryRecords: 2);
        host.Produce(Topics.Txns, (neighbour, Events.Transfer("txn-e2e-2", neighbour, "6222880000000043", now + 1000)));
        var s03First = await s03.ReadLineAsync(TimeSpan.FromSeconds(10));
        Assert.Matches(@"^ALERT A-[0-9a-f]{16} 1 L1 R08 S03 S03-G01 861\*{6}8003$", s03First);

        // The bad event is in fs.dlq with its reason and original bytes, and the stream went on past it.
        await Poll.UntilAsync(() => host.StatusAsync().Result.EventsDeadLettered >= 1, "the bad event to be dead-lettered", TimeSpan.FromSeconds(10));
        IReadOnlyList<string> dead = [];
        await Poll.UntilAsync(() => (dead = host.Consume(Topics.DeadLetter, 1)).Count == 1, "the dead letter to be readable", TimeSpan.FromSeconds(10));
        Assert.Contains("fs-reason=WrongType", dead[0], StringComparison.Ordinal);
        Assert.Contains("fs-field=ts_ms", dead[0], StringComparison.Ordinal);
        Assert.Contains("fs-source-topic=fs.txns", dead[0], StringComparison.Ordinal);
        Assert.EndsWith("""{"txn_id":"bad-1","ts_ms":"not a number","type":"TRANSFER"}""", dead[0], StringComparison.Ordinal);
        var status = await host.StatusAsync();
        Assert.Equal(1, status.EventsDeadLettered);
        Assert.Equal(4, status.EventsProcessed);
    }

    [Fact]
    public async Task StrangersRebateThenBiggerTransferOut_R12ThroughFsRebates_AtTheVictimsGridWorker()
    {
        // R12's two halves are judged on two parties' partitions: the stranger's transfer in, the victim's out. The
        // engine sends the rebate through fs.rebates (keyed by the victim) and applies it where the victim's state is.
        // R12 is L3: the victim's grid worker receives it.
        await using var host = await HostProcess.StartDemoAsync();
        using var python = PythonGrpc.Create(Console);
        await using var grid = python.Start($"{host.Grpc.Host}:{host.Grpc.Port}", "grid=S07-G03");
        Assert.Equal("READY", await grid.ReadLineAsync(TimeSpan.FromSeconds(30)));

        const string victim = "8613800138007";
        const string account = "6217000000138007";
        const string stranger = "8617100000099";
        host.Produce(Topics.Registry, ("P-7", Events.Subject("P-7", "+" + victim, "S07", "S07-G03", account)));
        await host.WaitForTablesAsync(watchlistRecords: 0, registryRecords: 1);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // A minute apart: the two are on different partitions, judged in either order, and within the lateness (2 min).
        host.Produce(Topics.Txns, (stranger, Events.Transfer("rebate-e2e-1", stranger, account, now - 60_000, amountMinor: 10_000)));
        host.Produce(Topics.Txns, (victim, Events.Transfer("out-e2e-1", victim, "6222000000001201", now, amountMinor: 100_000, payerAccount: account)));

        string line;
        try
        {
            line = await grid.ReadLineAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"No alert at grid S07-G03; engine status: {await host.StatusAsync()}; host stderr: {host.Process.StandardError}", e);
        }

        Assert.Matches(@"^ALERT A-[0-9a-f]{16} 1 L3 R12 S07 S07-G03 861\*{6}8007$", line);
        var status = await host.StatusAsync();
        Assert.Equal(1, status.RebatesSent);
        Assert.Equal(1, status.RebatesReceived);
        Assert.Equal(0, status.RebatesFailed);
        Assert.Equal(2, status.EventsProcessed);
    }
}
