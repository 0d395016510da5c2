using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Tests.Cases;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Core;

namespace FraudShield.AlertDispatch.Tests.Grpc;

/// <summary>Ack, UpdateStatus, ReportOutcome and Alerts.Query/Stats over a real server (authentication off).</summary>
public sealed class CaseRpcTests : IAsyncLifetime
{
    private DispatchTestHost _host = null!;

    public async Task InitializeAsync() => _host = await DispatchTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Lifecycle_SubscribeAckContactOnSiteOutcome_RecordsHistoryAndOutcomes()
    {
        using var call = _host.Stream.Subscribe(new SubscribeRequest { StationId = "S1" });
        await call.ResponseHeadersAsync.WithTimeout();
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        Assert.Null(call.ResponseStream.Current.Escalation);
        await Poll.UntilAsync(() => _host.Store.GetAsync("a1").AsTask().Result?.Status == AlertStatus.Delivered, "the case to be DELIVERED");

        var signed = await _host.Stream.AckAsync(new AckRequest { AlertId = "a1", OperatorId = "officer-7" }).ResponseAsync.WithTimeout();
        Assert.Equal(AlertStatus.Signed, signed.Case.Status);
        Assert.Equal("anonymous/officer-7", signed.Case.SignedBy);
        Assert.Equal(0, signed.Case.NextEscalationMs);

        await _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.Contacted }).ResponseAsync.WithTimeout();
        await _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.OnSite }).ResponseAsync.WithTimeout();
        var closed = await _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "a1", Outcome = Outcome.Dissuaded, LossPreventedMinor = 190_000_000 }).ResponseAsync.WithTimeout();

        Assert.Equal(AlertStatus.Closed, closed.Case.Status);
        Assert.Equal(
            [CaseEventKind.Opened, CaseEventKind.Delivered, CaseEventKind.Signed, CaseEventKind.Status, CaseEventKind.Status, CaseEventKind.Outcome],
            closed.Case.History.Select(h => h.Kind));
        Assert.Equal(
            [CaseEventKind.Signed, CaseEventKind.Status, CaseEventKind.Status, CaseEventKind.Outcome],
            _host.Outcomes.Records.Select(r => r.Kind));
        var last = _host.Outcomes.Records[^1];
        Assert.Equal(Outcome.Dissuaded, last.Outcome);
        Assert.Equal(190_000_000, last.LossPreventedMinor);
        Assert.Equal("S1", last.StationId);
        Assert.Equal(["R01"], last.RuleIds);
    }

    [Fact]
    public async Task Subscribe_CaseStoreHeldUp_TheConsoleGetsTheAlertFirst_ThenItsCaseIsDelivered()
    {
        // A store held up (a signature's disk flush holding its lock, a slow Redis) must not hold the console's copy.
        var gate = new StoreGate();
        await using var host = await DispatchTestHost.StartAsync(wrap: store => new GatedCaseStore(store, gate));
        try
        {
            var alert = TestAlerts.Make("a1");
            await host.Store.UpdateAsync("a1", s => CaseTransitions.Open(s, alert, host.Time.GetUtcNow().ToUnixTimeMilliseconds(), new CaseOptions())).AsTask().WithTimeout();
            using var call = host.Stream.Subscribe(new SubscribeRequest { StationId = "S1" });
            await call.ResponseHeadersAsync.WithTimeout();
            Assert.True(host.Hub.Publish(alert));

            using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            Assert.Equal("a1", call.ResponseStream.Current.Alert.AlertId);
            await gate.Entered.WithTimeout();
            Assert.Equal(AlertStatus.New, (await host.Store.GetAsync("a1"))!.Status);

            gate.Open();
            await Poll.UntilAsync(() => host.Store.GetAsync("a1").AsTask().Result?.Status == AlertStatus.Delivered, "the case to be DELIVERED");
        }
        finally
        {
            gate.Open();
        }
    }

    [Fact]
    public async Task Ack_UnknownAlert_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.AckAsync(new AckRequest { AlertId = "nope" }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("nope", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ack_Twice_FailedPreconditionNamingWhoSigned()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        await _host.Stream.AckAsync(new AckRequest { AlertId = "a1", OperatorId = "first" }).ResponseAsync.WithTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.AckAsync(new AckRequest { AlertId = "a1" }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("already signed for", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("anonymous/first", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateStatus_ContactedBeforeSigning_FailedPreconditionSaysSignFirst()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.Contacted }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("Sign for it first", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateStatus_OnSiteBeforeContacted_FailedPrecondition()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        await _host.Stream.AckAsync(new AckRequest { AlertId = "a1" }).ResponseAsync.WithTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.OnSite }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("must be Contacted first", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateStatus_ClosedAsTarget_InvalidArgument()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "a1", Status = AlertStatus.Closed }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task ReportOutcome_BeforeSigning_FailedPrecondition_AfterClose_FailedPrecondition()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        var early = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "a1", Outcome = Outcome.FalsePositive }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);

        await _host.Stream.AckAsync(new AckRequest { AlertId = "a1" }).ResponseAsync.WithTimeout();
        await _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "a1", Outcome = Outcome.FalsePositive }).ResponseAsync.WithTimeout();
        var late = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "a1", Outcome = Outcome.Dissuaded }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Contains("already closed", late.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportOutcome_NoOutcome_InvalidArgument()
    {
        await _host.Cases.PublishAsync(TestAlerts.Make("a1")).WithTimeout();
        await _host.Stream.AckAsync(new AckRequest { AlertId = "a1" }).ResponseAsync.WithTimeout();
        var ex = await Assert.ThrowsAsync<RpcException>(() => _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "a1" }).ResponseAsync).WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task QueryAndStats_ByStationStatusLevel_CountsTimesLossesAndPrecision()
    {
        for (var i = 0; i < 4; i++)
        {
            var alert = TestAlerts.Make($"s1-{i}", severity: i < 2 ? Severity.L1 : Severity.L2);
            alert.RuleIds.Add(i % 2 == 0 ? "R07" : "R06");
            await _host.Cases.PublishAsync(alert).WithTimeout();
        }

        await _host.Cases.PublishAsync(TestAlerts.Make("s2-0", station: "S2")).WithTimeout();
        _host.Time.Advance(TimeSpan.FromSeconds(30));
        await _host.Stream.AckAsync(new AckRequest { AlertId = "s1-0" }).ResponseAsync.WithTimeout();
        await _host.Stream.AckAsync(new AckRequest { AlertId = "s1-1" }).ResponseAsync.WithTimeout();
        _host.Time.Advance(TimeSpan.FromSeconds(60));
        await _host.Stream.UpdateStatusAsync(new UpdateStatusRequest { AlertId = "s1-0", Status = AlertStatus.Contacted }).ResponseAsync.WithTimeout();
        await _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "s1-0", Outcome = Outcome.Dissuaded, LossPreventedMinor = 5_000_000 }).ResponseAsync.WithTimeout();
        await _host.Stream.ReportOutcomeAsync(new ReportOutcomeRequest { AlertId = "s1-1", Outcome = Outcome.FalsePositive }).ResponseAsync.WithTimeout();

        var s1 = await _host.Alerts.QueryAsync(new QueryRequest { StationId = "S1" }).ResponseAsync.WithTimeout();
        Assert.Equal(4, s1.Cases.Count);
        var closedL1 = await _host.Alerts.QueryAsync(new QueryRequest { StationId = "S1", Status = AlertStatus.Closed, Severity = Severity.L1 }).ResponseAsync.WithTimeout();
        Assert.Equal(["s1-0", "s1-1"], closedL1.Cases.Select(c => c.AlertId).Order());

        var stats = await _host.Alerts.StatsAsync(new StatsRequest { StationId = "S1" }).ResponseAsync.WithTimeout();
        Assert.Equal(4, stats.Total);
        Assert.Equal(2, stats.ByStatus.Single(s => s.Status == AlertStatus.Closed).Count);
        Assert.Equal(2, stats.ByStatus.Single(s => s.Status == AlertStatus.New).Count);
        Assert.Equal(30_000, stats.MeanTimeToSignMs);
        Assert.Equal(90_000, stats.MeanTimeToContactMs);
        Assert.Equal(5_000_000, stats.LossPreventedMinor);
        Assert.Equal(0.5, stats.Rules.Single(r => r.RuleId == "R01").Precision);
        Assert.Equal(1.0, stats.Rules.Single(r => r.RuleId == "R07").Precision);
        Assert.Equal(0.0, stats.Rules.Single(r => r.RuleId == "R06").Precision);
    }
}
