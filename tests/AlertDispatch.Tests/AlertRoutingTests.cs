using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.AlertDispatch.Tests;

public sealed class AlertRoutingTests
{
    [Fact]
    public async Task Publish_DefaultTable_StationGetsL1L2_GridGetsL1L3_CentreGetsAll()
    {
        using var hub = new AlertHub();
        using var station = hub.Subscribe(AlertScope.Station("S1"));
        using var grid = hub.Subscribe(AlertScope.Grid("G1"));
        using var centre = hub.Subscribe(AlertScope.All);

        foreach (var level in new[] { Severity.L1, Severity.L2, Severity.L3, Severity.L4 })
        {
            hub.Publish(TestAlerts.Make(level.ToString(), severity: level));
        }

        hub.Publish(TestAlerts.Make("end", severity: Severity.L1));
        Assert.Equal(["L1", "L2", "end"], (await station.TakeAsync(3)).Select(e => e.AlertId));
        Assert.Equal(["L1", "L3", "end"], (await grid.TakeAsync(3)).Select(e => e.AlertId));
        Assert.Equal(["L1", "L2", "L3", "L4", "end"], (await centre.TakeAsync(5)).Select(e => e.AlertId));
    }

    [Fact]
    public async Task Publish_ConfiguredTable_Applies()
    {
        var options = new AlertHubOptions();
        options.Routing.StationLevels.Add(Severity.L3);
        options.Routing.GridLevels.Remove(Severity.L1);
        using var hub = new AlertHub(options);
        using var station = hub.Subscribe(AlertScope.Station("S1"));
        using var grid = hub.Subscribe(AlertScope.Grid("G1"));

        hub.Publish(TestAlerts.Make("l1", severity: Severity.L1));
        hub.Publish(TestAlerts.Make("l3", severity: Severity.L3));
        Assert.Equal(["l1", "l3"], (await station.TakeAsync(2)).Select(e => e.AlertId));
        Assert.Equal(["l3"], (await grid.TakeAsync(1)).Select(e => e.AlertId));
    }

    [Fact]
    public async Task Subscribe_ResumeReplay_FollowsLevelRouting()
    {
        using var hub = new AlertHub();
        var start = hub.FormatResumeToken(0);
        hub.Publish(TestAlerts.Make("l4", severity: Severity.L4));
        hub.Publish(TestAlerts.Make("l2", severity: Severity.L2));
        using var grid = hub.Subscribe(AlertScope.Grid("G1"), start);
        Assert.Equal(0, grid.ReplayCount);
        using var station = hub.Subscribe(AlertScope.Station("S1"), start);
        Assert.Equal(["l2"], (await station.TakeAsync(1)).Select(e => e.AlertId));
    }

    [Fact]
    public void NotifiesFamily_DefaultL1Only()
    {
        var routing = new AlertRoutingOptions();
        Assert.True(routing.NotifiesFamily(Severity.L1));
        Assert.False(routing.NotifiesFamily(Severity.L2));
    }
}
