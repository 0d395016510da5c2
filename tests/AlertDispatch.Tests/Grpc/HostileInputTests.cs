using System.Net;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Google.Protobuf;
using Grpc.Core;

namespace FraudShield.AlertDispatch.Tests.Grpc;

/// <summary>
/// Hostile input against a real dispatch server (token secret set), sent as hand-built gRPC frames over HTTP/2
/// (<see cref="RawGrpcClient"/>) and from the real python3-grpcio client. Each call gets a definite gRPC status,
/// and afterwards the server still serves: a centre subscriber whose stream was opened before receives the alert
/// published after it.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime, IDisposable
{
    private const string Subscribe = "/fraudshield.dispatch.v1.AlertStream/Subscribe";
    private const string Ack = "/fraudshield.dispatch.v1.AlertStream/Ack";
    private const string Query = "/fraudshield.dispatch.v1.Alerts/Query";

    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));
    private DispatchTestHost _host = null!;
    private AsyncServerStreamingCall<AlertDelivery> _witness = null!;
    private RawGrpcClient _raw = null!;
    private int _published;

    public async Task InitializeAsync()
    {
        _host = await DispatchTestHost.StartAsync(auth: true);
        _witness = _host.Stream.Subscribe(new SubscribeRequest { All = true }, _host.Bearer(DispatchRole.Centre, ""), cancellationToken: _stop.Token);
        await _witness.ResponseHeadersAsync.WithTimeout();
        _raw = new RawGrpcClient(_host.Server.Address);
        await AssertStillServingAsync();
    }

    public async Task DisposeAsync()
    {
        _witness.Dispose();
        await _host.DisposeAsync();
    }

    public void Dispose()
    {
        _raw?.Dispose();
        _stop.Dispose();
    }

    [Fact]
    public async Task RawClient_ValidSubscribeWithoutToken_Unauthenticated_SoTheRawFramingItselfIsRight()
    {
        var response = await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { StationId = "S1" }.ToByteArray()));
        AssertStatus(response, StatusCode.Unauthenticated);
        Assert.Contains("bearer token is required", response.GrpcMessage, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RawClient_LengthPrefixOverMaxReceiveSize_ResourceExhausted()
    {
        // The prefix announces 1 MiB + 1 (the server's limit is 1 MiB) but only 16 bytes follow: the server refuses on
        // the prefix alone, before it buffers anything, with or without a token.
        var oversized = RawGrpcClient.Frame(new byte[16], (1024 * 1024) + 1);
        AssertStatus(await _raw.CallAsync(Subscribe, oversized, bearerToken: CentreToken()), StatusCode.ResourceExhausted);
        AssertStatus(await _raw.CallAsync(Ack, oversized), StatusCode.ResourceExhausted);

        // A real message just over the limit (a 1 MiB resume token) too.
        var big = new SubscribeRequest { All = true, ResumeToken = new string('x', 1024 * 1024) }.ToByteArray();
        AssertStatus(await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(big), bearerToken: CentreToken()), StatusCode.ResourceExhausted);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("0a7f41")] // field 1, length 127, one byte present
    [InlineData("ffffffffffffffffffff01")] // a tag varint longer than 10 bytes
    [InlineData("0f")] // wire type 7 does not exist
    [InlineData("0a0561626364")] // length 5, four bytes present
    public async Task RawClient_GarbageProtobufBody_InvalidArgumentNamingTheMessage(string hex)
    {
        // The request marshallers report a body that does not parse as INVALID_ARGUMENT naming the expected message
        // (ValidatedRequests; grpc-dotnet's own would say UNKNOWN "Exception was thrown by handler."), for the
        // AlertStream methods (bound by their own provider) and the Alerts ones (bound from the generated base);
        // nothing of the parser or the bytes leaks; the call ends, the connection and the server carry on.
        foreach (var (path, message) in new[] { (Subscribe, nameof(SubscribeRequest)), (Ack, nameof(AckRequest)), (Query, nameof(QueryRequest)) })
        {
            var response = await _raw.CallAsync(path, RawGrpcClient.Frame(Convert.FromHexString(hex)), bearerToken: CentreToken());
            AssertStatus(response, StatusCode.InvalidArgument);
            Assert.Equal($"The request is not a valid {message} message", response.GrpcMessage);
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RawClient_TruncatedOrMissingOrExtraFrame_Internal()
    {
        var message = new SubscribeRequest { StationId = "S1" }.ToByteArray();
        var full = RawGrpcClient.Frame(message);

        // Cut inside the message, and inside the 5-byte prefix; the request stream ends there.
        AssertStatus(await _raw.CallAsync(Subscribe, full[..^2], bearerToken: CentreToken()), StatusCode.Internal);
        AssertStatus(await _raw.CallAsync(Subscribe, full[..3], bearerToken: CentreToken()), StatusCode.Internal);

        // No message at all, and two messages where one is expected.
        AssertStatus(await _raw.CallAsync(Subscribe, [], bearerToken: CentreToken()), StatusCode.Internal);
        AssertStatus(await _raw.CallAsync(Ack, [.. RawGrpcClient.Frame(new AckRequest { AlertId = "a" }.ToByteArray()), .. RawGrpcClient.Frame(new AckRequest { AlertId = "b" }.ToByteArray())], bearerToken: CentreToken()), StatusCode.Internal);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/fraudshield.dispatch.v1.AlertStream/Nope")]
    [InlineData("/fraudshield.dispatch.v1.NoSuchService/Subscribe")]
    public async Task RawClient_UnknownMethod_Unimplemented(string path)
    {
        var response = await _raw.CallAsync(path, RawGrpcClient.Frame([]), bearerToken: CentreToken());
        AssertStatus(response, StatusCode.Unimplemented);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RawClient_PathThatIsNotAGrpcMethod_Http404WithoutGrpcStatus()
    {
        var response = await _raw.CallAsync("/not-grpc-at-all", RawGrpcClient.Frame([]), bearerToken: CentreToken());
        Assert.Equal((HttpStatusCode.NotFound, (int?)null), (response.HttpStatus, response.GrpcStatus));
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("application/grpc-web")]
    public async Task RawClient_WrongContentType_Http415WithInternal(string contentType)
    {
        var response = await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { All = true }.ToByteArray()), contentType, CentreToken());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        AssertStatus(response, StatusCode.Internal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RawClient_MissingForgedExpiredOrMalformedCredentials_Unauthenticated()
    {
        var request = RawGrpcClient.Frame(new SubscribeRequest { All = true }.ToByteArray());
        var forged = new TokenIssuer("forged-secret-0123456789abcdef-0123456789").Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(5));
        var expired = new TokenIssuer(new DispatchAuthOptions { TokenSecret = DispatchTestHost.Secret, Clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2)) })
            .Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(5));
        foreach (var token in new string?[] { null, forged, expired, "", "a.b.c", "not-a-token", new string('.', 10_000) })
        {
            AssertStatus(await _raw.CallAsync(Subscribe, request, bearerToken: token), StatusCode.Unauthenticated);
            AssertStatus(await _raw.CallAsync(Ack, RawGrpcClient.Frame(new AckRequest { AlertId = "a1" }.ToByteArray()), bearerToken: token), StatusCode.Unauthenticated);
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RawClient_OutOfScopeSubscription_PermissionDenied()
    {
        var station = _host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        var grid = _host.Tokens.Issue(DispatchRole.Grid, "G1", TimeSpan.FromMinutes(5));
        AssertStatus(await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { StationId = "S2" }.ToByteArray()), bearerToken: station), StatusCode.PermissionDenied);
        AssertStatus(await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { All = true }.ToByteArray()), bearerToken: station), StatusCode.PermissionDenied);
        AssertStatus(await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { GridId = "G2" }.ToByteArray()), bearerToken: grid), StatusCode.PermissionDenied);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task RawClient_MalformedResumeToken_InvalidArgument_TokenOfAnotherProcess_OutOfRangeWithReplayTrailer()
    {
        AssertStatus(await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { All = true, ResumeToken = "garbage" }.ToByteArray()), bearerToken: CentreToken()), StatusCode.InvalidArgument);

        using var other = new AlertHub();
        var response = await _raw.CallAsync(Subscribe, RawGrpcClient.Frame(new SubscribeRequest { All = true, ResumeToken = other.FormatResumeToken(0) }.ToByteArray()), bearerToken: CentreToken());
        AssertStatus(response, StatusCode.OutOfRange);
        await AssertStillServingAsync();

        // The refusal's trailer replays everything this process retains: here every alert published so far.
        using var refused = _host.Stream.Subscribe(new SubscribeRequest { All = true, ResumeToken = other.FormatResumeToken(0) }, _host.Bearer(DispatchRole.Centre, ""), cancellationToken: _stop.Token);
        var ex = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(_stop.Token)).WithTimeout();
        Assert.Equal(StatusCode.OutOfRange, ex.StatusCode);
        var replayToken = ex.Trailers.GetValue(AlertDispatch.Grpc.DispatchMetadata.ResumeTokenKey);
        Assert.Equal(_host.Hub.FormatResumeToken(0), replayToken);
        using var replay = _host.Stream.Subscribe(new SubscribeRequest { All = true, ResumeToken = replayToken }, _host.Bearer(DispatchRole.Centre, ""), cancellationToken: _stop.Token);
        for (var i = 1; i <= _published; i++)
        {
            Assert.True(await replay.ResponseStream.MoveNext(_stop.Token).WithTimeout());
            Assert.Equal($"after-{i}", replay.ResponseStream.Current.Alert.AlertId);
        }
    }

    [Fact]
    public async Task PythonGrpcio_OversizedGarbageUnknownForgedAndOutOfScope_GetStatuses_ServerStillServes()
    {
        using var env = PythonGrpc.Create(PythonScript);
        var station = _host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        var forged = new TokenIssuer("forged-secret-0123456789abcdef-0123456789").Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(5));
        await using var python = env.Start($"{_host.Server.Address.Host}:{_host.Server.Address.Port}", CentreToken(), station, forged);

        var lines = new Dictionary<string, string>();
        for (var i = 0; i < 6; i++)
        {
            var parts = (await python.ReadLineAsync()).Split(' ', 3);
            lines[parts[0]] = parts[1];
        }

        Assert.Equal(0, await python.WaitForExitAsync());
        Assert.Equal("RESOURCE_EXHAUSTED", lines["oversized"]);
        Assert.Equal("INVALID_ARGUMENT", lines["garbage"]);
        Assert.Equal("UNIMPLEMENTED", lines["unknown-method"]);
        Assert.Equal("UNAUTHENTICATED", lines["forged"]);
        Assert.Equal("UNAUTHENTICATED", lines["missing"]);
        Assert.Equal("PERMISSION_DENIED", lines["out-of-scope"]);
        await AssertStillServingAsync();
    }

    private const string PythonScript = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import grpc
        from fraudshield.dispatch.v1 import alert_stream_pb2 as pb

        target, centre, station, forged = sys.argv[2:6]
        channel = grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0), ("grpc.max_send_message_length", -1)])

        def status(name, run):
            try:
                run()
                print(name, "OK", flush=True)
            except grpc.RpcError as e:
                print(name, e.code().name, e.details(), flush=True)

        def subscribe(request, token, serializer=pb.SubscribeRequest.SerializeToString, path="/fraudshield.dispatch.v1.AlertStream/Subscribe"):
            md = [("authorization", "Bearer " + token)] if token else []
            call = channel.unary_stream(path, request_serializer=serializer, response_deserializer=pb.AlertDelivery.FromString)
            for _ in call(request, timeout=30, metadata=md):
                break

        status("oversized", lambda: subscribe(pb.SubscribeRequest(all=True, resume_token="x" * (2 * 1024 * 1024)), centre))
        status("garbage", lambda: subscribe(b"\x0a\x7f\x41", centre, serializer=lambda b: b))
        status("unknown-method", lambda: subscribe(pb.SubscribeRequest(all=True), centre, path="/fraudshield.dispatch.v1.AlertStream/Nope"))
        status("forged", lambda: subscribe(pb.SubscribeRequest(all=True), forged))
        status("missing", lambda: subscribe(pb.SubscribeRequest(all=True), None))
        status("out-of-scope", lambda: subscribe(pb.SubscribeRequest(station_id="S2"), station))
        """;

    private static void AssertStatus(RawGrpcResponse response, StatusCode expected) =>
        Assert.True(
            response.GrpcStatus == (int)expected && response.Version == HttpVersion.Version20,
            $"expected {expected} over HTTP/2, got HTTP/{response.Version} {(int)response.HttpStatus} grpc-status {response.GrpcStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} ({response.GrpcMessage})");

    private string CentreToken() => _host.Tokens.Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(5));

    /// <summary>The server still accepts a subscription, and the stream opened before the hostile call receives a new alert.</summary>
    private async Task AssertStillServingAsync()
    {
        var id = $"after-{++_published}";
        await _host.Cases.PublishAsync(TestAlerts.Make(id)).WithTimeout();
        Assert.True(await _witness.ResponseStream.MoveNext(_stop.Token).WithTimeout());
        Assert.Equal(id, _witness.ResponseStream.Current.Alert.AlertId);
    }
}
