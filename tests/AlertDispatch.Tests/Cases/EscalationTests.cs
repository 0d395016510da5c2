using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>Ack deadlines and escalation on a fake clock: nothing before the deadline, one tier per passed deadline.</summary>
public sealed class EscalationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private CaseHarness _h = null!;

    public Task InitializeAsync()
    {
        _h = CaseHarness.Open("fraudshield-escalation", _time);
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _h.DisposeAsync().AsTask();

    [Fact]
    public async Task EscalateDue_L1_NothingAt1m59_DistrictCentreAt2m_CityAt4m_ThenNoMore()
    {
        using var centre = _h.Hub.Subscribe(AlertScope.All);
        await _h.Cases.PublishAsync(TestAlerts.Make("a1", severity: Severity.L1)).WithTimeout();
        Assert.Null((await centre.TakeAsync(1))[0].DecodeEscalation());

        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(0, await _h.Cases.EscalateDueAsync().WithTimeout());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _h.Cases.EscalateDueAsync().WithTimeout());
        var first = (await centre.TakeAsync(1))[0];
        Assert.Equal("a1", first.AlertId);
        var escalation = first.DecodeEscalation()!;
        Assert.Equal(EscalationTier.DistrictCentre, escalation.Tier);
        Assert.Equal(_time.NowMs, escalation.EscalatedMs);
        Assert.Equal(_time.NowMs + 120_000, escalation.AckDueMs);
        Assert.Equal(_time.NowMs, escalation.MissedDueMs);

        Assert.Equal(0, await _h.Cases.EscalateDueAsync().WithTimeout());
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await _h.Cases.EscalateDueAsync().WithTimeout());
        Assert.Equal(EscalationTier.City, (await centre.TakeAsync(1))[0].EscalationTier);

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await _h.Cases.EscalateDueAsync().WithTimeout());
        var state = (await _h.Store.GetAsync("a1").WithTimeout())!;
        Assert.Equal(EscalationTier.City, state.Tier);
        Assert.Equal(2, state.History.Count(h => h.Kind == CaseEventKind.Escalated));
        Assert.All(state.History.Where(h => h.Kind == CaseEventKind.Escalated), h => Assert.Equal(CaseTransitions.DispatchActor, h.Actor));
        Assert.Equal(2, _h.Cases.EscalationNotifications);
    }

    [Fact]
    public async Task EscalateDue_L2UsesEngineDeadlineThenFiveMinuteWindow()
    {
        var due = _time.NowMs + 45_000;
        await _h.Cases.PublishAsync(TestAlerts.Make("a2", severity: Severity.L2, ackDueMs: due)).WithTimeout();
        _time.Advance(TimeSpan.FromSeconds(44));
        Assert.Equal(0, await _h.Cases.EscalateDueAsync().WithTimeout());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await _h.Cases.EscalateDueAsync().WithTimeout());
        Assert.Equal(_time.NowMs + 300_000, (await _h.Store.GetAsync("a2").WithTimeout())!.AckDueMs);
    }

    [Fact]
    public async Task EscalateDue_SignedBeforeDeadline_NeverEscalates()
    {
        await _h.Cases.PublishAsync(TestAlerts.Make("a3")).WithTimeout();
        _time.Advance(TimeSpan.FromSeconds(60));
        await _h.Cases.AckAsync("a3", DispatchCaller.Anonymous).WithTimeout();
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(0, await _h.Cases.EscalateDueAsync().WithTimeout());
        Assert.Equal(EscalationTier.Station, (await _h.Store.GetAsync("a3").WithTimeout())!.Tier);
    }

    [Fact]
    public async Task PublishAsync_AlertEmittedBeforeTheRetentionHorizon_WithoutACase_NeitherOpenedNorDelivered_WithACase_Delivered()
    {
        using var all = _h.Hub.Subscribe(AlertScope.All);
        var retention = new CaseOptions().ClosedCaseRetention;
        var old = TestAlerts.Make("old");
        old.EmittedMs = _time.NowMs - (long)retention.TotalMilliseconds - 1;
        var fresh = TestAlerts.Make("fresh");
        fresh.EmittedMs = _time.NowMs - (long)retention.TotalMilliseconds;

        Assert.False(await _h.Cases.PublishAsync(old).WithTimeout());
        Assert.Null(await _h.Store.GetAsync("old").WithTimeout());
        Assert.True(await _h.Cases.PublishAsync(fresh).WithTimeout());
        Assert.Equal(["fresh"], (await all.TakeAsync(1)).Select(e => e.AlertId));
        Assert.Equal(1, _h.Cases.AlertsPastRetention);

        // A day on, the same alert is past the horizon too, but its case lives: a newer version is opened and delivered.
        _time.Advance(TimeSpan.FromDays(1));
        var newer = fresh.Clone();
        newer.Version = 2;
        Assert.True(await _h.Cases.PublishAsync(newer).WithTimeout());
        Assert.Equal(2, (await _h.Store.GetAsync("fresh").WithTimeout())!.Alert.Version);
        Assert.Equal(1, _h.Cases.AlertsPastRetention);
        Assert.Equal(["fresh/2"], (await all.TakeAsync(1)).Select(e => $"{e.AlertId}/{e.Version}"));
    }

    [Fact]
    public async Task EscalationService_RetiresClosedCasesPastTheRetention_OnItsFirstPassAndEveryInterval()
    {
        var options = _h.Cases.Options;
        foreach (var id in new[] { "early", "late" })
        {
            await _h.Cases.PublishAsync(TestAlerts.Make(id)).WithTimeout();
            await _h.Cases.AckAsync(id, DispatchCaller.Anonymous).WithTimeout();
            await _h.Cases.ReportOutcomeAsync(id, Outcome.Dissuaded, 0, 0, DispatchCaller.Anonymous).WithTimeout();
            _time.Advance(TimeSpan.FromDays(1));
        }

        await _h.Cases.PublishAsync(TestAlerts.Make("unsigned", severity: Severity.L4)).WithTimeout();

        // Past the retention for "early" only (closed a day before "late", two days ago).
        _time.Advance(options.ClosedCaseRetention - TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        await using var service = new EscalationService(_h.Cases);
        await service.StartAsync(CancellationToken.None).WithTimeout();
        await Poll.UntilAsync(() => _time.ActiveTimerCount > 0, "the escalation loop to wait on the clock");
        _time.Advance(options.EscalationPollInterval);
        await Poll.UntilAsync(() => _h.Cases.CasesRetired == 1, "the first pass to retire the early case");
        Assert.Null(await _h.Store.GetAsync("early").WithTimeout());
        Assert.NotNull(await _h.Store.GetAsync("late").WithTimeout());

        // The next passes within the interval retire nothing; "late" passes the horizon a day later and the first pass
        // after that retires it.
        await Poll.UntilAsync(() => _time.ActiveTimerCount > 0 && service.Passes > 0, "the escalation loop to wait on the clock again");
        var passes = service.Passes;
        _time.Advance(options.EscalationPollInterval);
        await Poll.UntilAsync(() => service.Passes > passes, "a pass within the retirement interval");
        Assert.Equal(1, _h.Cases.CasesRetired);
        await Poll.UntilAsync(() => _time.ActiveTimerCount > 0, "the escalation loop to wait on the clock again");
        _time.Advance(TimeSpan.FromDays(1));
        await Poll.UntilAsync(() => _h.Cases.CasesRetired == 2, "a later pass to retire the late case");
        Assert.Null(await _h.Store.GetAsync("late").WithTimeout());
        Assert.NotNull(await _h.Store.GetAsync("unsigned").WithTimeout());
    }

    [Fact]
    public void CaseOptions_RetentionUnderADay_Refused_InfiniteKeepsEveryCase()
    {
        var hour = new CaseOptions { ClosedCaseRetention = TimeSpan.FromHours(1) };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CaseService(_h.Store, _h.Hub, new InMemoryOutcomeSink(), hour, _time));
        Assert.Contains("ClosedCaseRetention", ex.Message, StringComparison.Ordinal);
        Assert.Equal(long.MinValue, new CaseOptions { ClosedCaseRetention = Timeout.InfiniteTimeSpan }.RetentionHorizonMs(_time.NowMs));
    }

    [Fact]
    public async Task EscalationService_OnFakeClock_EscalatesWhenTheClockPassesTheDeadline()
    {
        using var station = _h.Hub.Subscribe(AlertScope.Station("S1"));
        await using var service = new EscalationService(_h.Cases);
        await service.StartAsync(CancellationToken.None).WithTimeout();
        await _h.Cases.PublishAsync(TestAlerts.Make("a4", severity: Severity.L1)).WithTimeout();
        Assert.Null((await station.TakeAsync(1))[0].DecodeEscalation());

        // Step one poll interval at a time, each once the loop waits on the clock again.
        for (var i = 0; i < 120; i++)
        {
            Assert.Equal(EscalationTier.Station, (await _h.Store.GetAsync("a4").WithTimeout())!.Tier);
            await Poll.UntilAsync(() => _time.ActiveTimerCount > 0, "the escalation loop to wait on the clock");
            var passes = service.Passes;
            _time.Advance(TimeSpan.FromSeconds(1));
            await Poll.UntilAsync(() => service.Passes > passes, "an escalation pass");
        }

        var escalated = (await station.TakeAsync(1))[0];
        Assert.Equal(EscalationTier.DistrictCentre, escalated.EscalationTier);
        Assert.Equal(EscalationTier.DistrictCentre, (await _h.Store.GetAsync("a4").WithTimeout())!.Tier);
    }
}
