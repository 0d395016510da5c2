using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>
/// Two dispatch instances (each its own Redis connection, case service and hub) sharing one real redis-server,
/// both following the same alerts, as two dispatch processes behind a load balancer.
/// </summary>
public sealed class TwoDispatchInstancesRedisTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private RedisServer _redis = null!;
    private Instance _a = null!;
    private Instance _b = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync().WithTimeout();
        var prefix = $"t{Guid.NewGuid():N}:";
        _a = await Instance.StartAsync(_redis, prefix, _time);
        _b = await Instance.StartAsync(_redis, prefix, _time);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Ack_OnOneInstance_SeenByTheOtherAtOnce_AndItsAckIsRefused()
    {
        var alert = TestAlerts.Make("a1");
        await Task.WhenAll(_a.Cases.PublishAsync(alert), _b.Cases.PublishAsync(alert)).WithTimeout();
        var seenByB = new TaskCompletionSource<CaseState>(TaskCreationOptions.RunContinuationsAsynchronously);
        _b.Store.Changed += (_, e) =>
        {
            if (e.State.Status == AlertStatus.Signed)
            {
                seenByB.TrySetResult(e.State);
            }
        };

        await _a.Cases.AckAsync("a1", new DispatchCaller(DispatchRole.Station, "S1"), "officer-1").WithTimeout();

        Assert.Equal(AlertStatus.Signed, (await _b.Store.GetAsync("a1").WithTimeout())!.Status);
        Assert.Equal("station:S1/officer-1", (await seenByB.Task.WithTimeout()).SignedBy);
        var ex = await Assert.ThrowsAsync<CaseStateException>(() => _b.Cases.AckAsync("a1", new DispatchCaller(DispatchRole.Station, "S1"), "officer-2")).WithTimeout();
        Assert.Contains("station:S1/officer-1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentSignFor_OnBothInstances_ExactlyOneWins_Repeated20Times()
    {
        for (var round = 0; round < 20; round++)
        {
            var id = $"sign-{round}";
            await _a.Cases.PublishAsync(TestAlerts.Make(id)).WithTimeout();
            var results = await Task.WhenAll(TrySign(_a, id, "a"), TrySign(_b, id, "b")).WithTimeout();
            Assert.Equal(1, results.Count(r => r));
            Assert.Single((await _a.Store.GetAsync(id).WithTimeout())!.History, h => h.Kind == CaseEventKind.Signed);
        }

        static async Task<bool> TrySign(Instance instance, string id, string who)
        {
            await Task.Yield();
            try
            {
                await instance.Cases.AckAsync(id, DispatchCaller.Anonymous, who);
                return true;
            }
            catch (CaseStateException)
            {
                return false;
            }
        }
    }

    [Fact]
    public async Task ConcurrentEscalation_OnBothInstances_FiresOnceAndBothReNotifyOnce_Repeated20Times()
    {
        using var centreA = _a.Hub.Subscribe(AlertScope.All);
        using var centreB = _b.Hub.Subscribe(AlertScope.All);
        for (var round = 1; round <= 20; round++)
        {
            var id = $"esc-{round}";
            var alert = TestAlerts.Make(id, severity: Severity.L1);
            await Task.WhenAll(_a.Cases.PublishAsync(alert), _b.Cases.PublishAsync(alert)).WithTimeout();
            Assert.Equal(id, (await centreA.TakeAsync(1))[0].AlertId);
            Assert.Equal(id, (await centreB.TakeAsync(1))[0].AlertId);

            _time.Advance(TimeSpan.FromMinutes(2));
            var escalated = await Task.WhenAll(
                Task.Run(() => _a.Cases.EscalateDueAsync()),
                Task.Run(() => _b.Cases.EscalateDueAsync())).WithTimeout();
            Assert.Equal(1, escalated.Sum());

            // Each hub re-notifies its own subscribers once: the next entry on each is this escalation.
            var onA = (await centreA.TakeAsync(1))[0];
            var onB = (await centreB.TakeAsync(1))[0];
            Assert.Equal((id, EscalationTier.DistrictCentre), (onA.AlertId, onA.EscalationTier));
            Assert.Equal((id, EscalationTier.DistrictCentre), (onB.AlertId, onB.EscalationTier));

            var state = (await _b.Store.GetAsync(id).WithTimeout())!;
            Assert.Single(state.History, h => h.Kind == CaseEventKind.Escalated);
            Assert.Equal(EscalationTier.DistrictCentre, state.Tier);

            // Sign it so the next round's clock step does not escalate it further.
            await _b.Cases.AckAsync(id, DispatchCaller.Anonymous).WithTimeout();
        }

        Assert.Equal(20, _a.Cases.EscalationNotifications);
        Assert.Equal(20, _b.Cases.EscalationNotifications);
    }

    private sealed class Instance : IAsyncDisposable
    {
        private Instance(RedisCaseStore store, AlertHub hub, CaseService cases)
        {
            Store = store;
            Hub = hub;
            Cases = cases;
        }

        public RedisCaseStore Store { get; }

        public AlertHub Hub { get; }

        public CaseService Cases { get; }

        public static async Task<Instance> StartAsync(RedisServer redis, string prefix, TimeProvider time)
        {
            var store = await RedisCaseStore.ConnectAsync(new RedisCaseStoreOptions { Configuration = redis.Configuration, KeyPrefix = prefix }).WithTimeout();
            var hub = new AlertHub();
            return new Instance(store, hub, new CaseService(store, hub, new InMemoryOutcomeSink(), new CaseOptions(), time));
        }

        public async ValueTask DisposeAsync()
        {
            Cases.Dispose();
            Hub.Dispose();
            await Store.DisposeAsync();
        }
    }
}
