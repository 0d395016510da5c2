using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Core;
using Grpc.Net.Client;

namespace FraudShield.AlertDispatch.Tests.Grpc;

/// <summary>A real Kestrel server and a Grpc.Net.Client peer over h2c on loopback.</summary>
public sealed class AlertStreamServiceTests : IAsyncLifetime, IDisposable
{
    private AlertHub _hub = null!;
    private DispatchServer? _server;
    private GrpcChannel? _channel;

    private AlertStream.AlertStreamClient Client => new(_channel!);

    public async Task InitializeAsync()
    {
        _hub = new AlertHub(new AlertHubOptions { RetentionCapacity = 1_000 });
        _server = await DispatchServer.StartAsync(new DispatchServerOptions(), _hub).WithTimeout();
        _channel = GrpcChannel.ForAddress(_server.Address);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync().WithTimeout();
        }
    }

    public void Dispose() => _hub.Dispose();

    [Fact]
    public void StartAsync_PortZero_ReportsBoundLoopbackPort()
    {
        Assert.Equal("http", _server!.Address.Scheme);
        Assert.Equal("127.0.0.1", _server.Address.Host);
        Assert.NotEqual(0, _server.Address.Port);
    }

    [Fact]
    public async Task Subscribe_StationScope_GetsOwnAlertOtherStationGetsNothing()
    {
        using var a = await OpenAsync(new SubscribeRequest { StationId = "A" });
        using var b = await OpenAsync(new SubscribeRequest { StationId = "B" });

        _hub.Publish(TestAlerts.Make("alert-A", station: "A"));
        _hub.Publish(TestAlerts.Make("marker-B", station: "B"));

        var toA = await NextAsync(a);
        Assert.Equal("alert-A", toA.Alert.AlertId);
        Assert.Equal("8613812345678", toA.Alert.Subject.Msisdn);
        Assert.Equal("861******5678", toA.Alert.Subject.MsisdnMasked);
        Assert.False(string.IsNullOrEmpty(toA.ResumeToken));

        // B's first delivery is the later marker: station A's alert never reached B.
        Assert.Equal("marker-B", (await NextAsync(b)).Alert.AlertId);
    }

    [Fact]
    public async Task Subscribe_NoScope_InvalidArgument()
    {
        var ex = await SubscribeExpectingErrorAsync(new SubscribeRequest());
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("scope is required", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_EmptyStationId_InvalidArgument()
    {
        var ex = await SubscribeExpectingErrorAsync(new SubscribeRequest { StationId = "" });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("station_id", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_MalformedResumeToken_InvalidArgument()
    {
        var ex = await SubscribeExpectingErrorAsync(new SubscribeRequest { All = true, ResumeToken = "not-a-token" });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("resume token", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_TokenOlderThanRetention_OutOfRange()
    {
        for (var i = 0; i < 1_005; i++)
        {
            _hub.Publish(TestAlerts.Make($"a{i}"));
        }

        var ex = await SubscribeExpectingErrorAsync(new SubscribeRequest { All = true, ResumeToken = _hub.FormatResumeToken(1) });
        Assert.Equal(StatusCode.OutOfRange, ex.StatusCode);
    }

    [Fact]
    public async Task Subscribe_ResumeAfterClientDisconnect_NoLossNoDuplicates()
    {
        string token;
        using (var cts = new CancellationTokenSource())
        using (var first = await OpenAsync(new SubscribeRequest { All = true }, cts.Token))
        {
            for (var i = 1; i <= 5; i++)
            {
                _hub.Publish(TestAlerts.Make($"a{i}"));
            }

            Assert.Equal("a1", (await NextAsync(first)).Alert.AlertId);
            Assert.Equal("a2", (await NextAsync(first)).Alert.AlertId);
            token = (await NextAsync(first)).ResumeToken;
            await cts.CancelAsync();
        }

        await Poll.UntilAsync(() => _hub.SubscriberCount == 0, "the server to drop the cancelled subscriber");
        for (var i = 6; i <= 10; i++)
        {
            _hub.Publish(TestAlerts.Make($"a{i}"));
        }

        using var resumed = await OpenAsync(new SubscribeRequest { All = true, ResumeToken = token });
        var ids = new List<string>();
        for (var i = 4; i <= 10; i++)
        {
            ids.Add((await NextAsync(resumed)).Alert.AlertId);
        }

        _hub.Publish(TestAlerts.Make("a11"));
        ids.Add((await NextAsync(resumed)).Alert.AlertId);
        Assert.Equal(Enumerable.Range(4, 8).Select(i => $"a{i}"), ids);
    }

    [Fact]
    public async Task Subscribe_ResponseHeader_CarriesStartToken()
    {
        _hub.Publish(TestAlerts.Make("before"));
        using var call = Client.Subscribe(new SubscribeRequest { All = true });
        var headers = await call.ResponseHeadersAsync.WithTimeout();
        Assert.Equal(_hub.FormatResumeToken(1), headers.GetValue(FraudShield.AlertDispatch.Grpc.DispatchMetadata.ResumeTokenKey));
    }

    [Fact]
    public async Task Subscribe_EveryDelivery_CarriesTheResumeTokenOfItsOwnPosition()
    {
        using var all = await OpenAsync(new SubscribeRequest { All = true });
        using var station = await OpenAsync(new SubscribeRequest { StationId = "S1" });
        for (var i = 1; i <= 4; i++)
        {
            _hub.Publish(TestAlerts.Make($"a{i}", station: i % 2 == 0 ? "S1" : "S2"));
        }

        for (var i = 1; i <= 4; i++)
        {
            var delivery = await NextAsync(all);
            Assert.Equal($"a{i}", delivery.Alert.AlertId);
            Assert.Equal(_hub.FormatResumeToken(i), delivery.ResumeToken);
        }

        // The station scope gets sequences 2 and 4, each with its own token (not the all-scope's previous one).
        Assert.Equal(_hub.FormatResumeToken(2), (await NextAsync(station)).ResumeToken);
        Assert.Equal(_hub.FormatResumeToken(4), (await NextAsync(station)).ResumeToken);
    }

    [Fact]
    public async Task Subscribe_EscalationReNotification_CarriesItsEscalationAndTheFirstDoesNot()
    {
        using var call = await OpenAsync(new SubscribeRequest { All = true });
        var alert = TestAlerts.Make("a1");
        var escalation = new Escalation { Tier = EscalationTier.DistrictCentre, EscalatedMs = 200, MissedDueMs = 100, AckDueMs = 300 };
        _hub.Publish(alert);
        _hub.PublishEscalation(alert, escalation);

        var first = await NextAsync(call);
        var again = await NextAsync(call);

        Assert.Null(first.Escalation);
        Assert.Equal(escalation, again.Escalation);
        Assert.Equal(first.Alert, again.Alert);
        Assert.Equal(_hub.FormatResumeToken(2), again.ResumeToken);
    }

    private async Task<AsyncServerStreamingCall<AlertDelivery>> OpenAsync(SubscribeRequest request, CancellationToken cancellationToken = default)
    {
        var call = Client.Subscribe(request, cancellationToken: cancellationToken);

        // The service sends headers once the hub subscription exists: after this, nothing published is missed.
        await call.ResponseHeadersAsync.WithTimeout();
        return call;
    }

    private static async Task<AlertDelivery> NextAsync(AsyncServerStreamingCall<AlertDelivery> call)
    {
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token), "The stream ended early.");
        return call.ResponseStream.Current;
    }

    private async Task<RpcException> SubscribeExpectingErrorAsync(SubscribeRequest request)
    {
        using var call = Client.Subscribe(request);
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(cts.Token)).WithTimeout();
    }
}
