using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Core;
using Grpc.Net.Client;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>
/// A real dispatch server on the Redis case store while its private redis-server (append-only, fsync always) is
/// killed and started again. While Redis is down: case RPCs answer UNAVAILABLE and change nothing; alerts are still
/// delivered; escalation passes fail and change nothing. After the restart: cases of alerts delivered during the
/// outage open with their original deadlines, every passed deadline escalates exactly once, each escalation is
/// re-notified exactly once, and the refused sign-for succeeds on retry.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime, IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private RedisServer _redis = null!;
    private RedisCaseStore _store = null!;
    private AlertHub _hub = null!;
    private CaseService _cases = null!;
    private DispatchServer _server = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync(appendOnly: true).WithTimeout();
        _store = await RedisCaseStore.ConnectAsync(new RedisCaseStoreOptions { Configuration = _redis.Configuration + ",connectTimeout=2000,asyncTimeout=2000", KeyPrefix = $"t{Guid.NewGuid():N}:" }).WithTimeout();
        _hub = new AlertHub();
        _cases = new CaseService(_store, _hub, new InMemoryOutcomeSink(), new CaseOptions(), _time);
        _server = await DispatchServer.StartAsync(new DispatchServerOptions(), _hub, _cases).WithTimeout();
        _channel = GrpcChannel.ForAddress(_server.Address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        await _redis.DisposeAsync();
    }

    public void Dispose()
    {
        _cases?.Dispose();
        _hub?.Dispose();
    }

    [Fact]
    public async Task RedisKilledAndRestarted_AckUnavailableWhileDown_NothingHalfApplied_EscalationsPauseThenFireOnce()
    {
        var stream = new AlertStream.AlertStreamClient(_channel);
        var alerts = new Alerts.AlertsClient(_channel);
        using var centre = _hub.Subscribe(AlertScope.All);
        await _cases.PublishAsync(TestAlerts.Make("before-1")).WithTimeout();
        await _cases.PublishAsync(TestAlerts.Make("before-2")).WithTimeout();
        Assert.Equal(["before-1", "before-2"], (await centre.TakeAsync(2)).Select(e => e.AlertId));

        await _redis.KillAsync();

        // Case RPCs: UNAVAILABLE (retryable), never UNKNOWN, and fast (no waiting for a reconnect).
        var started = DateTime.UtcNow;
        var ack = await Assert.ThrowsAsync<RpcException>(() => stream.AckAsync(new AckRequest { AlertId = "before-1", OperatorId = "o-1" }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.Unavailable, ack.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"Ack took {DateTime.UtcNow - started} to fail");
        var status = await Assert.ThrowsAsync<RpcException>(() => stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "before-2", Status = AlertStatus.Contacted }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.Unavailable, status.StatusCode);
        var query = await Assert.ThrowsAsync<RpcException>(() => alerts.QueryAsync(new QueryRequest()).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.Unavailable, query.StatusCode);

        // An alert arriving now is delivered at once; its case waits for the store.
        await _cases.PublishAsync(TestAlerts.Make("during-1")).WithTimeout();
        Assert.Equal("during-1", (await centre.TakeAsync(1))[0].AlertId);
        Assert.Equal(1, _cases.PendingOpens);

        // Deadlines pass while Redis is down: the escalation pass fails and changes nothing.
        _time.Advance(TimeSpan.FromMinutes(2));
        await Assert.ThrowsAsync<CaseStoreUnavailableException>(() => _cases.EscalateDueAsync()).WithTimeout();
        Assert.Equal(0, _cases.EscalationNotifications);

        await _redis.StartAgainAsync().WithTimeout();
        await WaitForStoreAsync();

        // Nothing of the refused calls was applied.
        var before1 = (await _store.GetAsync("before-1").WithTimeout())!;
        Assert.Equal(AlertStatus.New, before1.Status);
        Assert.DoesNotContain(before1.History, h => h.Kind == CaseEventKind.Signed);
        Assert.Null(await _store.GetAsync("during-1").WithTimeout());

        // The first pass that reaches the store opens the pending case (deadline counted from its arrival, so
        // already passed) and escalates all three, once each.
        Assert.Equal(3, await EscalateWhenReachableAsync());
        Assert.Equal(0, _cases.PendingOpens);
        var notified = await centre.TakeAsync(3);
        Assert.Equal(["before-1", "before-2", "during-1"], notified.Select(e => e.AlertId).Order(StringComparer.Ordinal));
        Assert.All(notified, e => Assert.Equal(EscalationTier.DistrictCentre, e.EscalationTier));
        Assert.Equal(0, await _cases.EscalateDueAsync().WithTimeout());
        Assert.Equal(3, _cases.EscalationNotifications);
        foreach (var id in new[] { "before-1", "before-2", "during-1" })
        {
            var state = (await _store.GetAsync(id).WithTimeout())!;
            Assert.Single(state.History, h => h.Kind == CaseEventKind.Escalated);
            Assert.Single(state.History, h => h.Kind == CaseEventKind.Opened);
        }

        // The retried sign-for succeeds once.
        var signed = await stream.AckAsync(new AckRequest { AlertId = "before-1", OperatorId = "o-1" }).ResponseAsync.WithTimeout();
        Assert.Equal(AlertStatus.Signed, signed.Case.Status);
        var again = await Assert.ThrowsAsync<RpcException>(() => stream.AckAsync(new AckRequest { AlertId = "before-1", OperatorId = "o-1" }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Equal(3, (await alerts.QueryAsync(new QueryRequest()).ResponseAsync.WithTimeout()).Cases.Count);

        // Nothing else was re-notified (the hub entries after the three escalations: none).
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var extra in centre.ReadAllAsync(quiet.Token))
            {
                Assert.Fail($"unexpected hub entry {extra.AlertId} {extra.EscalationTier}");
            }
        }).WithTimeout();
    }

    [Fact]
    public async Task DisposeAsync_WhileRedisIsDown_CompletesWithoutThrowing()
    {
        await _redis.KillAsync();
        await Assert.ThrowsAsync<CaseStoreUnavailableException>(() => _store.GetAsync("a1").AsTask()).WithTimeout();

        // A dispatch shutting down during an outage must get past its case store to stop the rest.
        await _store.DisposeAsync().WithTimeout();
    }

    /// <summary>Waits until the store's connection is back (StackExchange.Redis reconnects on its own).</summary>
    private async Task WaitForStoreAsync()
    {
        var deadline = DateTime.UtcNow + TimeoutExtensions.DefaultTimeout;
        while (true)
        {
            try
            {
                await _store.GetAsync("probe").WithTimeout();
                return;
            }
            catch (CaseStoreUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>An escalation pass, retried as the escalation service would while the connection settles.</summary>
    private async Task<int> EscalateWhenReachableAsync()
    {
        var deadline = DateTime.UtcNow + TimeoutExtensions.DefaultTimeout;
        while (true)
        {
            try
            {
                return await _cases.EscalateDueAsync().WithTimeout();
            }
            catch (CaseStoreUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }
}
