using System.Runtime.CompilerServices;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests;

// The rules added with the rule file, run with the shipped pack (rules/default.yaml): fire + near misses per rule.
public sealed class SeedWalkTests
{
    [Fact]
    public void SeedWalk_R01ThenR06ThenR18_EscalatesOneIncidentToL1()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("seed-r01-r06-r18.jsonl");

        Assert.Equal(3, engine.Alerts.Count);
        Assert.All(engine.Alerts, a => Assert.Equal(engine.Alerts[0].AlertId, a.AlertId));
        Assert.Equal([Severity.L3, Severity.L2, Severity.L1], engine.Alerts.Select(a => a.Severity));
        Assert.Equal(["R01"], engine.Alerts[0].RuleIds);
        Assert.Equal(["R01", "R06"], engine.Alerts[1].RuleIds);
        Assert.Equal(["R01", "R06", "R18"], engine.Alerts[2].RuleIds);
        Assert.Contains("cdr-303", engine.Alerts[1].Evidence.EventIds);
        Assert.Contains("dev-303-install", engine.Alerts[1].Evidence.EventIds);
        Assert.Contains("dev-303-off", engine.Alerts[2].Evidence.EventIds);
        Assert.Equal("IMPERSONATE_AUTHORITY", engine.Alerts[2].Typology);
        Assert.Equal("S03", engine.Alerts[2].Home.StationId);
        var r18 = Assert.Single(engine.Alerts[2].Hits);
        Assert.Equal("8", r18.Values["minutes_after_alert"]);
        Assert.Equal("2", r18.Values["severity_before"]);
    }

    [Fact]
    public void SeedWalk_BuiltInOptions_OnlyTheFirstReleaseRules()
    {
        using var engine = new EngineHarness();
        engine.FeedFile("seed-r01-r06-r18.jsonl");

        Assert.Equal(["R01"], Assert.Single(engine.Alerts).RuleIds);
    }

    [Fact]
    public void SeedCase_DefaultPack_L1WithDrainAndElderlyMarks()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("seed-case.jsonl");

        Assert.Equal(["R01", "R02", "R17"], engine.Alerts[0].RuleIds);
        Assert.Equal("1", engine.Alerts[0].Evidence.Facts["notify_family"]);
        Assert.Equal(Severity.L1, engine.Alerts[^1].Severity);
        Assert.Equal(["R01", "R02", "R07", "R08", "R09", "R17"], engine.Alerts[^1].RuleIds);
    }
}

public sealed class R05OfficialDialTests
{
    private const string Victim = "8613800000005";
    private const string Overseas = "+12025550105";
    private static long CallEnd => T0 + (1500 * 1000L);

    private static EngineHarness AfterLongCall()
    {
        var engine = new EngineHarness(DefaultPack);
        engine.Call("c1", Overseas, Victim, T0, 1500);
        Assert.Single(engine.Alerts);
        return engine;
    }

    [Theory]
    [InlineData(20, true)]
    [InlineData(59, true)]
    [InlineData(61, false)]
    public void HotlineDial_AfterLongCall_WithinWindow_Fires(int minutesAfter, bool fires)
    {
        using var engine = AfterLongCall();
        engine.Call("c2", Victim, "95588", CallEnd + (minutesAfter * Minute), 30, origin: "DOMESTIC", direction: "OUT");

        Assert.Equal(fires, engine.Alerts.Any(a => a.Hits.Any(h => h.RuleId == "R05")));
        if (fires)
        {
            Assert.Equal(Severity.L2, engine.Alerts[^1].Severity);
            Assert.Equal("1", engine.Alerts[^1].Hits.Single(h => h.RuleId == "R05").Values["hotline"]);
        }
    }

    [Fact]
    public void OtherNumberDialled_DoesNotFire()
    {
        using var engine = AfterLongCall();
        engine.Call("c2", Victim, "8613900000000", CallEnd + Minute, 30, origin: "DOMESTIC", direction: "OUT");

        Assert.Single(engine.Alerts);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(2, false)]
    public void CallBacksToCaller_AtCount_Fires(int attempts, bool fires)
    {
        using var engine = AfterLongCall();
        for (var i = 0; i < attempts; i++)
        {
            engine.Call($"cb{i}", Victim, Overseas, CallEnd + ((5 + (10 * i)) * Minute), 0, answered: false, direction: "OUT");
        }

        Assert.Equal(fires, engine.Alerts.Any(a => a.RuleIds.Contains("R05")));
    }

    [Fact]
    public void HotlineDial_AfterShortSuspiciousCall_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListNumber("+8617000000005");
        engine.Call("c1", "+8617000000005", Victim, T0, 599, origin: "DOMESTIC");
        engine.Call("c2", Victim, "95588", T0 + (20 * Minute), 30, origin: "DOMESTIC", direction: "OUT");

        Assert.DoesNotContain(engine.Alerts, a => a.RuleIds.Contains("R05"));
    }

    [Fact]
    public void HotlineDial_BeforeTheCall_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Call("c0", Victim, "95588", T0 - (10 * Minute), 30, origin: "DOMESTIC", direction: "OUT");
        engine.Call("c1", Overseas, Victim, T0, 1500);

        Assert.Equal(["R01"], Assert.Single(engine.Alerts).RuleIds);
    }
}

public sealed class R06ScreenShareTests
{
    private const string Victim = "8613800000006";
    private const string Overseas = "+12025550106";
    private static long CallEnd => T0 + (1500 * 1000L);

    private static EngineHarness AfterLongCall()
    {
        var engine = new EngineHarness(DefaultPack);
        engine.Call("c1", Overseas, Victim, T0, 1500);
        return engine;
    }

    [Theory]
    [InlineData("SCREEN_SHARE", 29, true)]
    [InlineData("REMOTE_CONTROL", 10, true)]
    [InlineData("MEETING", 1, true)]
    [InlineData("SCREEN_SHARE", 31, false)]
    [InlineData("FAKE_INVEST", 5, false)]
    public void InstallAfterCall_ByCategoryAndDelay(string category, int minutesAfter, bool fires)
    {
        using var engine = AfterLongCall();
        engine.Device("d1", Victim, CallEnd + (minutesAfter * Minute), "INSTALL", category);

        Assert.Equal(fires, engine.Alerts.Any(a => a.RuleIds.Contains("R06")));
        if (fires)
        {
            Assert.Equal(Severity.L2, engine.Alerts[^1].Severity);
        }
    }

    [Fact]
    public void ScreenShareStart_DuringTheCall_Fires()
    {
        using var engine = AfterLongCall();
        engine.Device("d1", Victim, T0 + (10 * Minute), "SCREEN_SHARE_START", onCall: true);

        Assert.Equal("1", engine.Alerts[^1].Hits.Single(h => h.RuleId == "R06").Values["on_call"]);
    }

    [Fact]
    public void ScreenShareStart_BeforeTheCall_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Device("d1", Victim, T0 - Minute, "SCREEN_SHARE_START");
        engine.Call("c1", Overseas, Victim, T0, 1500);

        Assert.Equal(["R01"], Assert.Single(engine.Alerts).RuleIds);
    }

    [Fact]
    public void ScreenShareStop_DoesNotFire()
    {
        using var engine = AfterLongCall();
        engine.Device("d1", Victim, CallEnd + Minute, "SCREEN_SHARE_STOP");

        Assert.Single(engine.Alerts);
    }

    [Fact]
    public void ScreenShareThenPaymentToListedAccount_ComposesToL1()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListNumber("+8617000000006");
        engine.ListAccount("6222880000000006");
        engine.Call("c1", "+8617000000006", Victim, T0, 120, origin: "DOMESTIC");
        engine.Device("d1", Victim, T0 + (5 * Minute), "INSTALL", "SCREEN_SHARE");
        engine.Transfer("t1", Victim, "6222880000000006", T0 + (20 * Minute), 500_000);

        Assert.Equal([Severity.L3, Severity.L2, Severity.L1], engine.Alerts.Select(a => a.Severity));
        Assert.Equal(Severity.L2, engine.Alerts[^1].Hits.Single(h => h.RuleId == "R08").Severity);
    }

    [Fact]
    public void LargeTransferWithinWindowOfScreenShare_FiresR07()
    {
        using var engine = AfterLongCall();
        engine.Device("d1", Victim, CallEnd + (25 * Minute), "REMOTE_CONTROL");
        engine.Transfer("t1", Victim, "6222000000000006", CallEnd + (25 * Minute) + (110 * Minute), 6_000_000);

        Assert.Contains("R07", engine.Alerts[^1].RuleIds);
        Assert.Equal(Severity.L1, engine.Alerts[^1].Severity);
    }
}

public sealed class R09BalanceDrainTests
{
    private const string Victim = "8613800000009";
    private const string Overseas = "+12025550109";
    private static long CallEnd => T0 + (1500 * 1000L);

    private static EngineHarness AfterLongCall()
    {
        var engine = new EngineHarness(DefaultPack);
        engine.Call("c1", Overseas, Victim, T0, 1500);
        return engine;
    }

    [Theory]
    [InlineData(400_000, true)]  // 2,000,000 of 2,400,000: 83 %
    [InlineData(500_001, false)] // 2,000,000 of 2,500,001: 79.99 %
    public void OneTransfer_ByShareOfBalance_Fires(long balanceAfter, bool fires)
    {
        using var engine = AfterLongCall();
        engine.Transfer("t1", Victim, "6222000000000009", CallEnd + (30 * Minute), 2_000_000, balanceAfter: balanceAfter);

        var r09 = engine.Alerts[^1].Hits.SingleOrDefault(h => h.RuleId == "R09");
        Assert.Equal(fires, r09 is not null);
        if (fires)
        {
            Assert.Equal(Severity.L1, engine.Alerts[^1].Severity);
            Assert.Equal("2400000", r09!.Values["balance_before_minor"]);
            Assert.Equal("83", r09.Values["percent"]);
        }
    }

    [Theory]
    [InlineData(23, true)]
    [InlineData(25, false)]
    public void TwoOutflows_SummedWithinWindow_Fire(int hoursApart, bool fires)
    {
        using var engine = AfterLongCall();
        engine.Transfer("t1", Victim, "6222000000000009", CallEnd + Minute, 1_000_000, balanceAfter: 1_500_000);
        engine.Call("c2", Overseas, Victim, CallEnd + ((hoursApart - 1) * Hour), 60);
        engine.Transfer("t2", Victim, "6222000000000010", CallEnd + (hoursApart * Hour), 1_000_000, type: "CASH_OUT", balanceAfter: 400_000);

        Assert.Equal(fires, engine.Alerts.Any(a => a.RuleIds.Contains("R09")));
    }

    [Fact]
    public void Drain_WithoutAnyRiskSignal_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Transfer("t1", Victim, "6222000000000009", T0, 2_000_000, balanceAfter: 100_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void Drain_BelowMinimumMoved_DoesNotFire()
    {
        using var engine = AfterLongCall();
        engine.Transfer("t1", Victim, "6222000000000009", CallEnd + Minute, 999_999, balanceAfter: 1_000);

        Assert.DoesNotContain(engine.Alerts, a => a.RuleIds.Contains("R09"));
    }

    [Fact]
    public void Drain_WithoutBalance_DoesNotFire()
    {
        using var engine = AfterLongCall();
        engine.Transfer("t1", Victim, "6222000000000009", CallEnd + Minute, 2_000_000);

        Assert.DoesNotContain(engine.Alerts, a => a.RuleIds.Contains("R09"));
    }

    [Fact]
    public void Drain_AfterRiskyAppInstall_Fires()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Device("d1", Victim, T0, "INSTALL", "FAKE_INVEST");
        engine.Transfer("t1", Victim, "6222000000000009", T0 + Hour, 2_000_000, balanceAfter: 100_000);

        Assert.Equal(["R09"], Assert.Single(engine.Alerts).RuleIds);
    }
}

public sealed class R11EscalatingTopupsTests
{
    private const string Victim = "8613800000011";

    private static EngineHarness WithContext()
    {
        var engine = new EngineHarness(DefaultPack);
        engine.Device("d1", Victim, T0, "INSTALL", "FAKE_INVEST");
        return engine;
    }

    [Theory]
    [InlineData(100_000, 150_000, 250_000, true)]  // 1,000 -> 1,500 -> 2,500: total 5,000
    [InlineData(100_000, 150_000, 224_999, false)] // the third step is below 1.5 x
    [InlineData(100_000, 150_000, 249_999, false)] // total 4,999.99
    public void ThreeTransfersToNewPayees_ByStepAndTotal(long a, long b, long c, bool fires)
    {
        using var engine = WithContext();
        engine.Transfer("t1", Victim, "6222000000001101", T0 + Hour, a);
        engine.Transfer("t2", Victim, "6222000000001102", T0 + (10 * Hour), b);
        engine.Transfer("t3", Victim, "6222000000001103", T0 + (30 * Hour), c);

        Assert.Equal(fires, engine.Alerts.Any(x => x.RuleIds.Contains("R11")));
        if (fires)
        {
            var alert = Assert.Single(engine.Alerts);
            Assert.Equal(Severity.L2, alert.Severity);
            Assert.Equal("FAKE_INVESTMENT", alert.Typology);
            Assert.Equal("500000", alert.Hits[0].Values["total_minor"]);
        }
    }

    [Fact]
    public void ThirdTransferOutsideWindow_DoesNotFire()
    {
        using var engine = WithContext();
        engine.Transfer("t1", Victim, "6222000000001101", T0 + Hour, 100_000);
        engine.Transfer("t2", Victim, "6222000000001102", T0 + (10 * Hour), 150_000);
        engine.Transfer("t3", Victim, "6222000000001103", T0 + (74 * Hour), 300_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void SamePayeeAgain_DoesNotCount()
    {
        using var engine = WithContext();
        engine.Transfer("t1", Victim, "6222000000001101", T0 + Hour, 100_000);
        engine.Transfer("t2", Victim, "6222000000001102", T0 + (2 * Hour), 150_000);
        engine.Transfer("t3", Victim, "6222000000001102", T0 + (3 * Hour), 300_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void WithoutRiskSignal_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Transfer("t1", Victim, "6222000000001101", T0 + Hour, 100_000);
        engine.Transfer("t2", Victim, "6222000000001102", T0 + (2 * Hour), 150_000);
        engine.Transfer("t3", Victim, "6222000000001103", T0 + (3 * Hour), 300_000);

        Assert.Empty(engine.Alerts);
    }
}

public sealed class R12RebateThenBiggerOutTests
{
    private const string Victim = "8613800000012";
    private const string VictimAccount = "6217000000000012";
    private const string Stranger = "8617100000012";

    private static EngineHarness WithRebate(long rebateMinor, string payer = Stranger)
    {
        var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer("rebate-1", payer, VictimAccount, T0, rebateMinor);
        return engine;
    }

    [Theory]
    [InlineData(10_000, 100_000, 5, true)]  // 100 RMB in, 1,000 out after 5 h
    [InlineData(10_000, 99_999, 5, false)]  // just under 10 x
    [InlineData(10_000, 100_000, 25, false)] // outside 24 h
    [InlineData(50_000, 500_000, 1, false)] // 500 RMB is not a small rebate
    public void SmallInboundThenBiggerOut(long inbound, long outbound, int hoursAfter, bool fires)
    {
        using var engine = WithRebate(inbound);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + (hoursAfter * Hour), outbound);

        Assert.Equal(fires, engine.Alerts.Any(a => a.RuleIds.Contains("R12")));
        if (fires)
        {
            var alert = Assert.Single(engine.Alerts);
            Assert.Equal(Severity.L3, alert.Severity);
            Assert.Equal("ORDER_BRUSHING", alert.Typology);
            Assert.Contains("rebate-1", alert.Evidence.EventIds);
            Assert.Contains("t1", alert.Evidence.EventIds);
        }
    }

    [Fact]
    public void InboundFromResident_IsNotAStranger()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, account: VictimAccount);
        engine.Resident("8613800000099");
        engine.Transfer("rebate-1", "8613800000099", VictimAccount, T0, 10_000);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + Hour, 1_000_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void OutboundBeforeInbound_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer("t1", Victim, "6222000000001201", T0 - Hour, 1_000_000);
        engine.Transfer("rebate-1", Stranger, VictimAccount, T0, 10_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void OutboundToKnownPayee_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer("t0", Victim, "6222000000001201", T0 - (48 * Hour), 20_000);
        engine.Transfer("rebate-1", Stranger, VictimAccount, T0, 10_000);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + Hour, 1_000_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void RebateFiresOnce()
    {
        using var engine = WithRebate(10_000);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + Hour, 100_000);
        engine.Transfer("t2", Victim, "6222000000001202", T0 + (2 * Hour), 100_000);

        Assert.Single(engine.Alerts);
    }
}

public sealed class R17ElderlyFamilyAlertTests
{
    private const string Victim = "8613800000017";
    private const string Fraudster = "+8617000000017";

    [Theory]
    [InlineData(1961, true)]  // 65 in 2026
    [InlineData(1962, false)] // 64
    public void ListedContact_ByAge_MarksForFamily(int birthYear, bool fires)
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, birthYear: birthYear);
        engine.ListNumber(Fraudster);
        engine.Call("c1", Fraudster, Victim, T0, 120, origin: "DOMESTIC");

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal(fires, alert.RuleIds.Contains("R17"));
        Assert.Equal(fires ? Severity.L2 : Severity.L3, alert.Severity);
        Assert.Equal(fires, alert.Evidence.Facts.ContainsKey("notify_family"));
        if (fires)
        {
            Assert.Equal("65", alert.Hits.Single(h => h.RuleId == "R17").Values["age"]);
        }
    }

    [Fact]
    public void ElderlyPayerToListedAccount_NoTrigger_NoR17()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, birthYear: 1940);
        engine.ListAccount("6222880000000017");
        engine.Transfer("t1", Victim, "6222880000000017", T0, 500_000);

        Assert.Equal(["R08"], Assert.Single(engine.Alerts).RuleIds);
    }

    [Fact]
    public void SecondTriggerInSameIncident_R17Once_MarkKept()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, birthYear: 1950);
        engine.ListNumber(Fraudster);
        engine.Call("c1", Fraudster, Victim, T0, 120, origin: "DOMESTIC");
        engine.Call("c2", Fraudster, Victim, T0 + Hour, 120, origin: "DOMESTIC");

        Assert.Equal(2, engine.Alerts.Count);
        Assert.DoesNotContain(engine.Alerts[1].Hits, h => h.RuleId == "R17");
        Assert.Equal("1", engine.Alerts[1].Evidence.Facts["notify_family"]);
    }
}

public sealed class R18UnreachableTests
{
    private const string Victim = "8613800000018";
    private const string Fraudster = "+8617000000018";

    private static EngineHarness AfterAlert(int seconds)
    {
        var engine = new EngineHarness(DefaultPack);
        engine.ListNumber(Fraudster);
        engine.Call("c1", Fraudster, Victim, T0, seconds, origin: "DOMESTIC");
        return engine;
    }

    private static long End(int seconds) => T0 + (seconds * 1000L);

    [Theory]
    [InlineData("POWER_OFF", 14, true)]
    [InlineData("DETACH", 15, true)]
    [InlineData("POWER_OFF", 16, false)]
    [InlineData("ACCESSIBILITY_ON", 5, false)]
    public void AfterL2Alert_HandsetSignal_EscalatesToL1(string type, int minutesAfter, bool fires)
    {
        using var engine = AfterAlert(300);
        engine.Device("d1", Victim, End(300) + (minutesAfter * Minute), type);

        Assert.Equal(fires ? 2 : 1, engine.Alerts.Count);
        if (fires)
        {
            Assert.Equal(Severity.L1, engine.Alerts[1].Severity);
            Assert.Equal(["R02", "R18"], engine.Alerts[1].RuleIds);
        }
    }

    [Fact]
    public void AfterL3Alert_PowerOff_DoesNotEscalate()
    {
        using var engine = AfterAlert(120);
        engine.Device("d1", Victim, End(120) + Minute, "POWER_OFF");

        Assert.Single(engine.Alerts);
    }

    [Fact]
    public void PowerOffBeforeTheAlert_DoesNotFire()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListNumber(Fraudster);
        engine.Device("d0", Victim, T0 - Minute, "POWER_OFF");
        engine.Call("c1", Fraudster, Victim, T0, 300, origin: "DOMESTIC");

        Assert.Equal(["R02"], Assert.Single(engine.Alerts).RuleIds);
    }

    [Fact]
    public void SecondPowerOff_FiresOnce()
    {
        using var engine = AfterAlert(300);
        engine.Device("d1", Victim, End(300) + Minute, "POWER_OFF");
        engine.Device("d2", Victim, End(300) + (3 * Minute), "DETACH");

        Assert.Equal(2, engine.Alerts.Count);
    }
}

public sealed class DefaultPackTests
{
    [Fact]
    public void BenignTraffic_DefaultPack_NoAlerts()
    {
        var city = new CitySimulator(new CityOptions { Residents = 2_000 }, seed: 3);
        using var engine = new EngineHarness(DefaultPack);
        foreach (var record in city.Register().Concat(city.Watchlist()))
        {
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value));
        }

        var t = T0;
        for (var i = 0; i < 20_000; i++)
        {
            var record = city.NextBenign(t += 50);
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value), t);
        }

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void DefaultFile_FirstReleaseRules_SameParametersAsBuiltIn()
    {
        var builtIn = new RulePackOptions();
        var pack = DefaultPack;

        Assert.Equal(
            (builtIn.R01MinCallSeconds, builtIn.R01MinSummedSeconds, builtIn.R01SumWindow, builtIn.R01QuietHistory, builtIn.R01ElderAge, builtIn.R01ElderSeverity, builtIn.R01Typology),
            (pack.R01MinCallSeconds, pack.R01MinSummedSeconds, pack.R01SumWindow, pack.R01QuietHistory, pack.R01ElderAge, pack.R01ElderSeverity, pack.R01Typology));
        Assert.Equal((builtIn.R02MinSeconds, builtIn.R02StrongSeconds, builtIn.R02StrongSeverity), (pack.R02MinSeconds, pack.R02StrongSeconds, pack.R02StrongSeverity));
        Assert.Equal((builtIn.R07MinAmountMinor, builtIn.R07MaxMultiple, builtIn.R07Window), (pack.R07MinAmountMinor, pack.R07MaxMultiple, pack.R07Window));
        Assert.Equal((builtIn.R08L1AmountMinor, builtIn.R08LargeSeverity), (pack.R08L1AmountMinor, pack.R08LargeSeverity));
        Assert.Equal(builtIn.IncidentWindow, pack.IncidentWindow);
        foreach (var rule in new[] { RuleId.R01, RuleId.R02, RuleId.R07, RuleId.R08 })
        {
            Assert.Equal(builtIn.Severities[(int)rule], pack.Severities[(int)rule]);
        }

        Assert.Equal(RuleIds.ImplementedMask, pack.EnabledRules);
    }

    [Fact]
    public void SimulatedSeedScenario_DefaultPack_L1()
    {
        var city = new CitySimulator(new CityOptions { Residents = 500 }, seed: 7);
        using var engine = new EngineHarness(DefaultPack);
        foreach (var record in city.Register().Concat(city.Watchlist()))
        {
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value));
        }

        var scenario = city.NextScenario(T0);
        foreach (var record in scenario.Records)
        {
            engine.Feed(record.Topic, System.Text.Encoding.UTF8.GetString(record.Value), T0);
        }

        Assert.Equal(Severity.L1, engine.Alerts[^1].Severity);
    }

    [Fact]
    public void PartyState_IsBlittableAndBounded()
    {
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<PartyState>());
        Assert.Equal(488, Unsafe.SizeOf<PartyState>());
    }
}
