using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Core;

namespace FraudShield.AlertDispatch.Tests.Grpc;

/// <summary>Token authentication and least privilege over a real server, from Grpc.Net.Client.</summary>
public sealed class AuthorizationTests : IAsyncLifetime
{
    private DispatchTestHost _host = null!;

    public async Task InitializeAsync() => _host = await DispatchTestHost.StartAsync(auth: true);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Subscribe_NoToken_Unauthenticated()
    {
        var ex = await SubscribeErrorAsync(new SubscribeRequest { StationId = "S1" }, new Metadata());
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("bearer token is required", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_ForgedToken_Unauthenticated()
    {
        var forged = new TokenIssuer("another-secret-0123456789abcdef-0123456").Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(5));
        var ex = await SubscribeErrorAsync(new SubscribeRequest { All = true }, new Metadata { { "authorization", "Bearer " + forged } });
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("signature", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_TamperedPayload_Unauthenticated()
    {
        var token = _host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        var parts = token.Split('.');
        var payload = System.Buffers.Text.Base64Url.EncodeToString("""{"role":"centre","scope":"","iat":0,"exp":9999999999}"""u8);
        var ex = await SubscribeErrorAsync(new SubscribeRequest { All = true }, new Metadata { { "authorization", $"Bearer {parts[0]}.{payload}.{parts[2]}" } });
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Subscribe_ExpiredToken_Unauthenticated()
    {
        var past = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2));
        var expired = new TokenIssuer(new DispatchAuthOptions { TokenSecret = DispatchTestHost.Secret, Clock = past }).Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        var ex = await SubscribeErrorAsync(new SubscribeRequest { StationId = "S1" }, new Metadata { { "authorization", "Bearer " + expired } });
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("expired", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_StationTokenToAnotherStation_PermissionDenied()
    {
        var ex = await SubscribeErrorAsync(new SubscribeRequest { StationId = "S2" }, _host.Bearer(DispatchRole.Station, "S1"));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("only to station S1", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribe_GridTokenToAll_PermissionDenied()
    {
        var ex = await SubscribeErrorAsync(new SubscribeRequest { All = true }, _host.Bearer(DispatchRole.Grid, "G1"));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
    }

    [Fact]
    public async Task Subscribe_OwnStationAndAnalystAll_Receive()
    {
        using var station = _host.Stream.Subscribe(new SubscribeRequest { StationId = "S1" }, _host.Bearer(DispatchRole.Station, "S1"));
        using var analyst = _host.Stream.Subscribe(new SubscribeRequest { All = true }, _host.Bearer(DispatchRole.Analyst, ""));
        await station.ResponseHeadersAsync.WithTimeout();
        await analyst.ResponseHeadersAsync.WithTimeout();
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
        Assert.True(await station.ResponseStream.MoveNext(cts.Token));
        Assert.True(await analyst.ResponseStream.MoveNext(cts.Token));
        Assert.Equal("a1", station.ResponseStream.Current.Alert.AlertId);
    }

    [Fact]
    public async Task Ack_AlertOfAnotherStation_PermissionDenied_OwnStation_SignedWithActor()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1", station: "S1")).WithTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.AckAsync(new AckRequest { AlertId = "a1" }, _host.Bearer(DispatchRole.Station, "S2")).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);

        var ok = await _host.Stream.AckAsync(new AckRequest { AlertId = "a1", OperatorId = "o-9" }, _host.Bearer(DispatchRole.Station, "S1")).ResponseAsync.WithTimeout();
        Assert.Equal("station:S1/o-9", ok.Case.SignedBy);

        var grid = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.Contacted }, _host.Bearer(DispatchRole.Grid, "G9")).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.PermissionDenied, grid.StatusCode);
        await _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.Contacted }, _host.Bearer(DispatchRole.Grid, "G1")).ResponseAsync.WithTimeout();
    }

    [Fact]
    public async Task UnaryCalls_NoToken_Unauthenticated()
    {
        var ack = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.AckAsync(new AckRequest { AlertId = "a1" }).ResponseAsync).WithTimeout();
        var query = await Assert.ThrowsAsync<RpcException>(() => _host.Alerts.QueryAsync(new QueryRequest()).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.Unauthenticated, ack.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, query.StatusCode);
    }

    [Fact]
    public async Task Query_StationTokenIsHeldToItsStation()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("s1", station: "S1")).WithTimeout();
        await _host.Cases.PublishAsync(TestAlerts.Make("s2", station: "S2")).WithTimeout();
        var own = await _host.Alerts.QueryAsync(new QueryRequest(), _host.Bearer(DispatchRole.Station, "S1")).ResponseAsync.WithTimeout();
        Assert.Equal(["s1"], own.Cases.Select(c => c.AlertId));
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Alerts.QueryAsync(new QueryRequest { StationId = "S2" }, _host.Bearer(DispatchRole.Station, "S1")).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        var centre = await _host.Alerts.QueryAsync(new QueryRequest(), _host.Bearer(DispatchRole.Centre, "")).ResponseAsync.WithTimeout();
        Assert.Equal(2, centre.Cases.Count);
    }

    private async Task<RpcException> SubscribeErrorAsync(SubscribeRequest request, Metadata headers)
    {
        using var call = _host.Stream.Subscribe(request, headers);
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(cts.Token)).WithTimeout();
    }
}

public sealed class TokenIssuerTests
{
    [Fact]
    public void Issue_Validate_RoundTripsRoleAndScope()
    {
        var issuer = new TokenIssuer(DispatchTestHost.Secret);
        var caller = issuer.Validate(issuer.Issue(DispatchRole.Grid, "G7", TimeSpan.FromMinutes(1)));
        Assert.Equal(DispatchRole.Grid, caller.Role);
        Assert.Equal("G7", caller.ScopeId);
        Assert.Equal("grid:G7", caller.Actor);
    }

    [Fact]
    public void Constructor_ShortSecret_Throws() => Assert.Throws<ArgumentException>(() => new TokenIssuer("short"));

    [Fact]
    public void Issue_StationWithoutScope_Throws() =>
        Assert.Throws<ArgumentException>(() => new TokenIssuer(DispatchTestHost.Secret).Issue(DispatchRole.Station, "", TimeSpan.FromMinutes(1)));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c")]
    [InlineData("..")]
    public void Validate_Garbage_ThrowsTokenException(string token) =>
        Assert.Throws<DispatchTokenException>(() => new TokenIssuer(DispatchTestHost.Secret).Validate(token));

    [Fact]
    public void Validate_AfterExpiryPlusSkew_Throws()
    {
        var time = new FakeTimeProvider();
        var issuer = new TokenIssuer(new DispatchAuthOptions { TokenSecret = DispatchTestHost.Secret, Clock = time, ClockSkew = TimeSpan.FromSeconds(30) });
        var token = issuer.Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(1));
        time.Advance(TimeSpan.FromSeconds(89));
        Assert.Equal(DispatchRole.Centre, issuer.Validate(token).Role);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("expired", Assert.Throws<DispatchTokenException>(() => issuer.Validate(token)).Message, StringComparison.Ordinal);
    }
}

public sealed class AlertStreamClientAuthTests
{
    [Fact]
    public async Task SubscribeAsync_WithBearerTokenOption_ReceivesOwnStation_WithoutIt_Unauthenticated()
    {
        await using var host = await DispatchTestHost.StartAsync(auth: true);
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);

        using var anonymous = new AlertStreamClient(host.Server.Address, new AlertStreamClientOptions { MaxConsecutiveFailures = 0 });
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in anonymous.SubscribeAsync(new SubscribeRequest { StationId = "S1" }, cts.Token))
            {
            }
        }).WithTimeout();
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);

        var options = new AlertStreamClientOptions { BearerToken = host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5)) };
        using var client = new AlertStreamClient(host.Server.Address, options);
        await using var stream = client.SubscribeAsync(new SubscribeRequest { StationId = "S1" }, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = stream.MoveNextAsync().AsTask();
        await Poll.UntilAsync(() => host.Hub.SubscriberCount == 1, "the client to subscribe");
        await host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        Assert.True(await next.WithTimeout());
        Assert.Equal("a1", stream.Current.Alert.AlertId);
    }
}
