using System.Runtime.CompilerServices;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests;

// The rule pack shipped in rules/default.yaml: seed walks, what the alerts of single rules carry, the pack itself.
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

// The fire / near-miss cases of R05, R06, R09, R11, R12, R17 and R18 are scenario files (Scenarios/rules/R*.jsonl); the
// tests below check what a file cannot: the condition values, evidence, typology and facts of the alerts.
public sealed class R05OfficialDialTests
{
    [Fact]
    public void HotlineDial_AfterLongCall_HitRecordsTheHotline()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Call("c1", "+12025550105", "8613800000005", T0, 1500);
        engine.Call("c2", "8613800000005", "95588", T0 + (1500 * 1000L) + (20 * Minute), 30, origin: "DOMESTIC", direction: "OUT");

        Assert.Equal("1", engine.Alerts[^1].Hits.Single(h => h.RuleId == "R05").Values["hotline"]);
    }
}

public sealed class R06ScreenShareTests
{
    private const string Victim = "8613800000006";

    [Fact]
    public void ScreenShareStart_DuringTheCall_HitRecordsOnCall()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Call("c1", "+12025550106", Victim, T0, 1500);
        engine.Device("d1", Victim, T0 + (10 * Minute), "SCREEN_SHARE_START", onCall: true);

        Assert.Equal("1", engine.Alerts[^1].Hits.Single(h => h.RuleId == "R06").Values["on_call"]);
    }

    [Fact]
    public void ScreenShareThenPaymentToListedAccount_R08HitStaysL2WhileCompositionMakesTheAlertL1()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListNumber("+8617000000006");
        engine.ListAccount("6222880000000006");
        engine.Call("c1", "+8617000000006", Victim, T0, 120, origin: "DOMESTIC");
        engine.Device("d1", Victim, T0 + (5 * Minute), "INSTALL", "SCREEN_SHARE");
        engine.Transfer("t1", Victim, "6222880000000006", T0 + (20 * Minute), 500_000);

        Assert.Equal(Severity.L1, engine.Alerts[^1].Severity);
        Assert.Equal(Severity.L2, engine.Alerts[^1].Hits.Single(h => h.RuleId == "R08").Severity);
    }
}

public sealed class R09BalanceDrainTests
{
    [Fact]
    public void OneTransfer_83PercentOfBalance_HitRecordsBalanceAndPercent()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Call("c1", "+12025550109", "8613800000009", T0, 1500);
        engine.Transfer("t1", "8613800000009", "6222000000000009", T0 + (1500 * 1000L) + (30 * Minute), 2_000_000, balanceAfter: 400_000);

        var r09 = engine.Alerts[^1].Hits.Single(h => h.RuleId == "R09");
        Assert.Equal("2400000", r09.Values["balance_before_minor"]);
        Assert.Equal("83", r09.Values["percent"]);
    }
}

public sealed class R11EscalatingTopupsTests
{
    [Fact]
    public void ThreeEscalatingTopups_AlertIsFakeInvestmentWithTotal()
    {
        const string victim = "8613800000011";
        using var engine = new EngineHarness(DefaultPack);
        engine.Device("d1", victim, T0, "INSTALL", "FAKE_INVEST");
        engine.Transfer("t1", victim, "6222000000001101", T0 + Hour, 100_000);
        engine.Transfer("t2", victim, "6222000000001102", T0 + (10 * Hour), 150_000);
        engine.Transfer("t3", victim, "6222000000001103", T0 + (30 * Hour), 250_000);

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal("FAKE_INVESTMENT", alert.Typology);
        Assert.Equal("500000", alert.Hits[0].Values["total_minor"]);
    }
}

public sealed class R12RebateThenBiggerOutTests
{
    [Fact]
    public void RebateThenTenTimesOut_AlertIsOrderBrushingCitingBothPayments()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident("8613800000012", account: "6217000000000012");
        engine.Transfer("rebate-1", "8617100000012", "6217000000000012", T0, 10_000);
        engine.Transfer("t1", "8613800000012", "6222000000001201", T0 + (5 * Hour), 100_000);

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal("ORDER_BRUSHING", alert.Typology);
        Assert.Contains("rebate-1", alert.Evidence.EventIds);
        Assert.Contains("t1", alert.Evidence.EventIds);
    }
}

public sealed class R17ElderlyFamilyAlertTests
{
    private const string Victim = "8613800000017";
    private const string Fraudster = "+8617000000017";

    [Theory]
    [InlineData(1961, true)]  // 65 in 2026
    [InlineData(1962, false)] // 64
    public void ListedContact_ByAge_NotifyFamilyFactAndAge(int birthYear, bool fires)
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, birthYear: birthYear);
        engine.ListNumber(Fraudster);
        engine.Call("c1", Fraudster, Victim, T0, 120, origin: "DOMESTIC");

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal(fires, alert.Evidence.Facts.ContainsKey("notify_family"));
        if (fires)
        {
            Assert.Equal("65", alert.Hits.Single(h => h.RuleId == "R17").Values["age"]);
        }
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
        Assert.Equal(536, Unsafe.SizeOf<PartyState>());
    }
}
