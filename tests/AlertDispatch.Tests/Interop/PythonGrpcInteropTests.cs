using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Interop;

/// <summary>
/// A real python3-grpcio peer (Debian's /usr/bin/python3) against the Kestrel server. Message classes are generated
/// at test time by Debian's protoc 3.21, which matches python3-protobuf 4.21.
/// </summary>
public sealed class PythonGrpcInteropTests
{
    private const string Script = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import grpc
        from fraudshield.dispatch.v1 import alert_stream_pb2 as pb

        target, mode = sys.argv[2], sys.argv[3]
        channel = grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)])
        subscribe = channel.unary_stream(
            "/fraudshield.dispatch.v1.AlertStream/Subscribe",
            request_serializer=pb.SubscribeRequest.SerializeToString,
            response_deserializer=pb.AlertDelivery.FromString)
        try:
            if mode == "station":
                count = int(sys.argv[5])
                call = subscribe(pb.SubscribeRequest(station_id=sys.argv[4]), timeout=60)
                token = dict(call.initial_metadata()).get("fs-resume-token", "")
                print("SUBSCRIBED", token, flush=True)
                received = 0
                for delivery in call:
                    print("ALERT", delivery.alert.alert_id, delivery.alert.subject.msisdn_masked, delivery.resume_token, flush=True)
                    received += 1
                    if received == count:
                        break
                call.cancel()
                print("DONE", flush=True)
            elif mode == "auth-ack":
                token, station = sys.argv[4], sys.argv[5]
                md = [("authorization", "Bearer " + token)] if token != "none" else []
                ack = channel.unary_unary(
                    "/fraudshield.dispatch.v1.AlertStream/Ack",
                    request_serializer=pb.AckRequest.SerializeToString,
                    response_deserializer=pb.CaseReply.FromString)
                call = subscribe(pb.SubscribeRequest(station_id=station), timeout=60, metadata=md)
                call.initial_metadata()
                print("SUBSCRIBED", flush=True)
                for delivery in call:
                    print("ALERT", delivery.alert.alert_id, flush=True)
                    try:
                        reply = ack(pb.AckRequest(alert_id=delivery.alert.alert_id, operator_id="py"), timeout=30, metadata=md)
                        print("ACKED", reply.case.signed_by, flush=True)
                    except grpc.RpcError as e:
                        print("ACK_STATUS", e.code().name, e.details(), flush=True)
                    break
                call.cancel()
                print("DONE", flush=True)
            elif mode == "denied":
                token, station = sys.argv[4], sys.argv[5]
                md = [("authorization", "Bearer " + token)] if token != "none" else []
                for delivery in subscribe(pb.SubscribeRequest(station_id=station), timeout=60, metadata=md):
                    print("ALERT", delivery.alert.alert_id, flush=True)
            else:
                for delivery in subscribe(pb.SubscribeRequest(), timeout=60):
                    print("ALERT", delivery.alert.alert_id, flush=True)
                print("DONE", flush=True)
        except grpc.RpcError as e:
            print("STATUS", e.code().name, e.details(), flush=True)
        """;

    [Fact]
    public async Task Subscribe_PythonStationClient_ReceivesOnlyItsStationAlertsInOrder()
    {
        using var env = PythonGrpc.Create(Script);
        using var hub = new AlertHub();
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub).WithTimeout();
        await using var python = Start(env, server.Address, "station", "A", "3");

        var subscribed = await python.ReadLineAsync();
        Assert.StartsWith("SUBSCRIBED 1.", subscribed, StringComparison.Ordinal);

        hub.Publish(TestAlerts.Make("A-1", station: "A"));
        hub.Publish(TestAlerts.Make("B-1", station: "B"));
        hub.Publish(TestAlerts.Make("A-2", station: "Z", currentStation: "A"));
        hub.Publish(TestAlerts.Make("A-3", station: "A"));

        var lines = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            lines.Add(await python.ReadLineAsync());
        }

        Assert.Equal(["A-1", "A-2", "A-3"], lines.Select(l => l.Split(' ')[1]));
        Assert.All(lines, l => Assert.Equal("861******5678", l.Split(' ')[2]));
        Assert.Equal(hub.FormatResumeToken(4), lines[^1].Split(' ')[3]);
        Assert.Equal("DONE", await python.ReadLineAsync());
        Assert.Equal(0, await python.WaitForExitAsync());
    }

    [Fact]
    public async Task Subscribe_PythonClientWithoutScope_GetsInvalidArgument()
    {
        using var env = PythonGrpc.Create(Script);
        using var hub = new AlertHub();
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub).WithTimeout();
        await using var python = Start(env, server.Address, "none");

        var line = await python.ReadLineAsync();
        Assert.StartsWith("STATUS INVALID_ARGUMENT ", line, StringComparison.Ordinal);
        Assert.Contains("scope is required", line, StringComparison.Ordinal);
        Assert.Equal(0, await python.WaitForExitAsync());
    }

    [Theory]
    [InlineData("none", "S1", "UNAUTHENTICATED")]
    [InlineData("forged", "S1", "UNAUTHENTICATED")]
    [InlineData("expired", "S1", "UNAUTHENTICATED")]
    [InlineData("valid", "S2", "PERMISSION_DENIED")]
    public async Task Subscribe_PythonClientDeniedPaths_GetsStatus(string token, string station, string expected)
    {
        using var env = PythonGrpc.Create(Script);
        await using var host = await DispatchTestHost.StartAsync(auth: true);
        var text = token switch
        {
            "none" => "none",
            "forged" => new Security.TokenIssuer("forged-secret-0123456789abcdef-0123456789").Issue(Security.DispatchRole.Station, "S1", TimeSpan.FromMinutes(5)),
            "expired" => new Security.TokenIssuer(new Security.DispatchAuthOptions { TokenSecret = DispatchTestHost.Secret, Clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)) })
                .Issue(Security.DispatchRole.Station, "S1", TimeSpan.FromMinutes(5)),
            _ => host.Tokens.Issue(Security.DispatchRole.Station, "S1", TimeSpan.FromMinutes(5)),
        };
        await using var python = Start(env, host.Server.Address, "denied", text, station);

        Assert.StartsWith($"STATUS {expected} ", await python.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await python.WaitForExitAsync());
    }

    [Fact]
    public async Task SubscribeAndAck_PythonStationWithToken_SignsForItsAlert()
    {
        using var env = PythonGrpc.Create(Script);
        await using var host = await DispatchTestHost.StartAsync(auth: true);
        var token = host.Tokens.Issue(Security.DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        await using var python = Start(env, host.Server.Address, "auth-ack", token, "S1");
        Assert.Equal("SUBSCRIBED", await python.ReadLineAsync());

        await host.Cases.PublishAsync(TestAlerts.Make("py-1", station: "S1")).WithTimeout();
        Assert.Equal("ALERT py-1", await python.ReadLineAsync());
        Assert.Equal("ACKED station:S1/py", await python.ReadLineAsync());
        Assert.Equal("DONE", await python.ReadLineAsync());
        Assert.Equal(0, await python.WaitForExitAsync());
        Assert.Equal(Contracts.Alerts.V1.AlertStatus.Signed, (await host.Store.GetAsync("py-1").WithTimeout())!.Status);
    }

    private static TestProcess Start(PythonGrpc peer, Uri address, params string[] arguments) =>
        peer.Start([$"{address.Host}:{address.Port}", .. arguments]);
}
