using FraudShield.Contracts.Alerts.V1;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests;

public sealed class SeedCaseTests
{
    [Fact]
    public void SeedCase_CallThenTransfer_OneIncidentRaisedToL1()
    {
        using var engine = new EngineHarness();
        engine.FeedFile("seed-case.jsonl");

        Assert.Equal(2, engine.Alerts.Count);
        var (first, second) = (engine.Alerts[0], engine.Alerts[1]);
        Assert.Equal(first.AlertId, second.AlertId);
        Assert.Equal([1, 2], [first.Version, second.Version]);
        Assert.Equal(Severity.L2, first.Severity);
        Assert.Equal(["R01", "R02"], first.RuleIds);
        Assert.Equal(Severity.L1, second.Severity);
        Assert.Equal(["R01", "R02", "R07", "R08"], second.RuleIds);
        Assert.Equal("IMPERSONATE_AUTHORITY", second.Typology);
        Assert.Equal(8_000_000, second.AmountAtRiskMinor);
        Assert.Equal("S07", second.Home.StationId);
        Assert.Equal("S07-G03", second.Home.GridId);
        Assert.Equal(JurisdictionSource.Address, second.Home.Source);
        Assert.Equal("861******8000", second.Subject.MsisdnMasked);
        Assert.Equal(["8613900139000"], second.Subject.FamilyMsisdns);
        Assert.Contains("txn-1", second.Evidence.EventIds);
        Assert.Contains("cdr-1", second.Evidence.EventIds);
        var r07 = Assert.Single(second.Hits, h => h.RuleId == "R07");
        Assert.Equal("8000000", r07.Values["amount_minor"]);
        Assert.Equal("5000000", r07.Values["threshold_minor"]);
    }

    [Fact]
    public void SeedCase_ReplayedOnFreshState_SameAlertIds()
    {
        using var a = new EngineHarness();
        using var b = new EngineHarness();
        a.FeedFile("seed-case.jsonl");
        b.FeedFile("seed-case.jsonl");

        Assert.Equal(a.Alerts.Select(x => (x.AlertId, x.Version)), b.Alerts.Select(x => (x.AlertId, x.Version)));
    }
}

public sealed class R01OverseasLongCallTests
{
    private const string Victim = "8613800000001";
    private const string Overseas = "+12025550100";

    [Theory]
    [InlineData(600, true)]
    [InlineData(599, false)]
    public void LongOverseasCall_AtThreshold_Fires(int seconds, bool fires)
    {
        using var engine = new EngineHarness();
        engine.Resident(Victim, birthYear: 1990);
        engine.Call("c1", Overseas, Victim, T0, seconds);

        Assert.Equal(fires, engine.Alerts.Any(a => a.RuleIds.Contains("R01")));
        if (fires)
        {
            Assert.Equal(Severity.L3, engine.Alerts[0].Severity);
        }
    }

    [Fact]
    public void LongOverseasCall_CalleeOver60_IsL2()
    {
        using var engine = new EngineHarness();
        engine.Resident(Victim, birthYear: 1950);
        engine.Call("c1", Overseas, Victim, T0, 900);

        Assert.Equal(Severity.L2, Assert.Single(engine.Alerts).Severity);
    }

    [Theory]
    [InlineData("DOMESTIC", true)]
    [InlineData("LANDLINE", true)]
    [InlineData("INTERNATIONAL", false)]
    [InlineData("VIRTUAL", false)]
    public void LongCall_ByOrigin_OnlyInternationalOrVirtualFires(string origin, bool silent)
    {
        using var engine = new EngineHarness();
        engine.Call("c1", Overseas, Victim, T0, 1800, origin);

        Assert.Equal(silent, engine.Alerts.Count == 0);
    }

    [Fact]
    public void LongOverseasCall_Unanswered_DoesNotFire()
    {
        using var engine = new EngineHarness();
        engine.Call("c1", Overseas, Victim, T0, 1800, answered: false);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void LongOverseasCall_CalleeHadInternationalCall10DaysBefore_DoesNotFire()
    {
        using var engine = new EngineHarness();
        engine.Call("c0", "+33140000000", Victim, T0 - (240 * Hour), 120);
        engine.Call("c1", Overseas, Victim, T0, 1800);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void LongOverseasCall_CalleeLastInternationalCall31DaysBefore_Fires()
    {
        using var engine = new EngineHarness();
        engine.Call("c0", "+33140000000", Victim, T0 - (31 * 24 * Hour), 120);
        engine.Call("c1", Overseas, Victim, T0, 1800);

        Assert.Single(engine.Alerts);
    }

    [Theory]
    [InlineData(30, true)]   // 700 s + 700 s within 2 h
    [InlineData(130, false)] // the second call starts outside the 2 h window
    public void ShorterCalls_SummedWithinWindow_Fire(int minutesApart, bool fires)
    {
        using var engine = new EngineHarness();
        engine.Call("c1", Overseas, Victim, T0, 500);
        engine.Call("c2", Overseas, Victim, T0 + (minutesApart * Minute), 500);
        engine.Call("c3", Overseas, Victim, T0 + (minutesApart * Minute) + (10 * Minute), 300);

        Assert.Equal(fires, engine.Alerts.Count == 1);
    }

    [Fact]
    public void SecondLongCall_SameWindow_FiresOnce()
    {
        using var engine = new EngineHarness();
        engine.Call("c1", Overseas, Victim, T0, 900);
        engine.Call("c2", Overseas, Victim, T0 + (20 * Minute), 900);

        Assert.Single(engine.Alerts);
    }
}

public sealed class R02WatchlistContactTests
{
    private const string Victim = "8613800000002";
    private const string Fraudster = "+8617000000001";

    [Theory]
    [InlineData(59, null)]
    [InlineData(60, Severity.L3)]
    [InlineData(299, Severity.L3)]
    [InlineData(300, Severity.L2)]
    public void DomesticCallFromListedNumber_ByDuration_Severity(int seconds, Severity? expected)
    {
        using var engine = new EngineHarness();
        engine.ListNumber(Fraudster);
        engine.Call("c1", Fraudster, Victim, T0, seconds, origin: "DOMESTIC");

        Assert.Equal(expected, engine.Alerts.Count == 0 ? null : engine.Alerts[0].Severity);
        Assert.All(engine.Alerts, a => Assert.Equal(["R02"], a.RuleIds));
    }

    [Fact]
    public void CallBack_VictimDialsListedNumber_IsL2()
    {
        using var engine = new EngineHarness();
        engine.ListNumber(Fraudster);
        engine.Call("c1", Victim, Fraudster, T0, 20, origin: "DOMESTIC", direction: "OUT");

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal(Severity.L2, alert.Severity);
        Assert.Equal("8613800000002", alert.Subject.Msisdn);
    }

    [Fact]
    public void ListedNumberInAnotherSpelling_StillMatches()
    {
        using var engine = new EngineHarness();
        engine.ListNumber("170-0000-0001");
        engine.Call("c1", "008617000000001", Victim, T0, 120, origin: "DOMESTIC");

        Assert.Single(engine.Alerts);
    }

    [Fact]
    public void RemovedFromWatchlist_NoLongerMatches()
    {
        using var engine = new EngineHarness();
        engine.ListNumber(Fraudster);
        engine.RemoveWatch("MSISDN:" + Fraudster);
        engine.Call("c1", Fraudster, Victim, T0, 600, origin: "DOMESTIC");

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void SmsFromListedNumber_IsL3()
    {
        using var engine = new EngineHarness();
        engine.ListNumber(Fraudster);
        engine.Sms("s1", Fraudster, Victim, T0);

        Assert.Equal(Severity.L3, Assert.Single(engine.Alerts).Severity);
    }
}

public sealed class R07CallThenLargeTransferTests
{
    private const string Victim = "8613800000003";
    private const string Overseas = "+12025550100";

    private static EngineHarness AfterSuspiciousCall()
    {
        var engine = new EngineHarness();
        engine.Resident(Victim, birthYear: 1985);
        engine.Call("c1", Overseas, Victim, T0, 1500);
        Assert.Single(engine.Alerts);
        return engine;
    }

    private static long CallEnd => T0 + (1500 * 1000L);

    [Theory]
    [InlineData(5_000_000, true)]
    [InlineData(4_999_999, false)]
    public void TransferAfterCall_AtAmountThreshold_Fires(long amount, bool fires)
    {
        using var engine = AfterSuspiciousCall();
        engine.Transfer("t1", Victim, "6222000000000001", CallEnd + (10 * Minute), amount);

        Assert.Equal(fires, engine.Alerts.Count == 2);
        if (fires)
        {
            Assert.Equal(Severity.L1, engine.Alerts[1].Severity);
            Assert.Contains("R07", engine.Alerts[1].RuleIds);
        }
    }

    [Theory]
    [InlineData(119, true)]
    [InlineData(121, false)]
    public void TransferAfterCall_AtWindowEdge_Fires(int minutesAfterCall, bool fires)
    {
        using var engine = AfterSuspiciousCall();
        engine.Transfer("t1", Victim, "6222000000000001", CallEnd + (minutesAfterCall * Minute), 8_000_000);

        Assert.Equal(fires, engine.Alerts.Count == 2);
    }

    [Fact]
    public void TransferDuringTheCall_Fires()
    {
        using var engine = AfterSuspiciousCall();
        engine.Transfer("t1", Victim, "6222000000000001", T0 + (20 * Minute), 8_000_000);

        Assert.Equal(2, engine.Alerts.Count);
    }

    [Fact]
    public void TransferBeforeTheCall_DoesNotFire()
    {
        using var engine = AfterSuspiciousCall();
        engine.Transfer("t1", Victim, "6222000000000001", T0 - Minute, 8_000_000);

        Assert.Single(engine.Alerts);
    }

    [Fact]
    public void TransferToKnownPayee_DoesNotFire()
    {
        using var engine = new EngineHarness();
        engine.Transfer("t0", Victim, "6222000000000001", T0 - (24 * Hour), 100_000);
        engine.Call("c1", Overseas, Victim, T0, 1500);
        engine.Transfer("t1", Victim, "6222000000000001", CallEnd + (10 * Minute), 8_000_000);

        Assert.Single(engine.Alerts);
    }

    [Theory]
    [InlineData(3_000_000, 8_999_999, false)] // 90-day max 30,000: the threshold is 90,000
    [InlineData(3_000_000, 9_000_000, true)]
    public void TransferAfterCall_Against90DayMax_Fires(long previousMax, long amount, bool fires)
    {
        using var engine = new EngineHarness();
        engine.Transfer("t0", Victim, "6222000000000009", T0 - (60 * 24 * Hour), previousMax);
        engine.Call("c1", Overseas, Victim, T0, 1500);
        engine.Transfer("t1", Victim, "6222000000000001", CallEnd + (10 * Minute), amount);

        Assert.Equal(fires, engine.Alerts.Count == 2);
    }

    [Fact]
    public void LargeTransferWithoutSuspiciousCall_DoesNotFire()
    {
        using var engine = new EngineHarness();
        engine.Call("c1", "+8613900000000", Victim, T0, 1500, origin: "DOMESTIC");
        engine.Transfer("t1", Victim, "6222000000000001", CallEnd + Minute, 50_000_000);

        Assert.Empty(engine.Alerts);
    }
}

public sealed class R08PayToListedAccountTests
{
    private const string Payer = "8613800000004";
    private const string Mule = "6222880000000001";

    [Theory]
    [InlineData(1_000_000, Severity.L1)]
    [InlineData(999_999, Severity.L2)]
    public void PaymentToListedAccount_ByAmount_Severity(long amount, Severity expected)
    {
        using var engine = new EngineHarness();
        engine.ListAccount(Mule);
        engine.Transfer("t1", Payer, Mule, T0, amount);

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal(expected, alert.Severity);
        Assert.Equal(["R08"], alert.RuleIds);
    }

    [Fact]
    public void PaymentToUnlistedAccount_DoesNotFire()
    {
        using var engine = new EngineHarness();
        engine.ListAccount(Mule);
        engine.Transfer("t1", Payer, "6222880000000002", T0, 50_000_000);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void UnregisteredPayer_RoutedToCityCentre()
    {
        using var engine = new EngineHarness();
        engine.ListAccount(Mule);
        engine.Transfer("t1", Payer, Mule, T0, 2_000_000);

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal("CITY-CENTRE", alert.Home.StationId);
        Assert.Equal(JurisdictionSource.HomeArea, alert.Home.Source);
    }

    [Fact]
    public void SecondPaymentWithinIncidentWindow_UpdatesSameAlert_SeverityOnlyRises()
    {
        using var engine = new EngineHarness();
        engine.ListAccount(Mule);
        engine.Transfer("t1", Payer, Mule, T0, 2_000_000);
        engine.Transfer("t2", Payer, Mule, T0 + Hour, 50_000);
        engine.Transfer("t3", Payer, Mule, T0 + (7 * Hour), 50_000);

        Assert.Equal(3, engine.Alerts.Count);
        Assert.Equal(engine.Alerts[0].AlertId, engine.Alerts[1].AlertId);
        Assert.Equal(Severity.L1, engine.Alerts[1].Severity);
        Assert.Equal(2, engine.Alerts[1].Version);
        Assert.NotEqual(engine.Alerts[0].AlertId, engine.Alerts[2].AlertId);
        Assert.Equal(Severity.L2, engine.Alerts[2].Severity);
    }
}

public sealed class RegisterTests
{
    [Fact]
    public void Register_EscapedNumbersInArrays_AreDecodedBeforeNormalizing()
    {
        using var engine = new EngineHarness();
        engine.Feed(FraudShield.Contracts.Topics.Registry, """{"person_id":"P-1","msisdns":["\u002B8613800000009"],"station_id":"S05","grid_id":"S05-G02"}""");
        engine.ListAccount("6222880000000001");
        engine.Transfer("t1", "8613800000009", "6222880000000001", EngineHarness.T0, 2_000_000);

        Assert.Equal("S05", Assert.Single(engine.Alerts).Home.StationId);
    }
}

public sealed class EvidenceFactTests
{
    [Fact]
    public void TransferToListedAccount_AlertCarriesPayeeAccount_NextCallAlertDoesNot()
    {
        using var engine = new EngineHarness();
        engine.ListAccount("6222880000000001");
        engine.ListNumber("+8617000000001");
        engine.Transfer("t1", "8613800000051", "6222880000000001", EngineHarness.T0, 2_000_000);
        engine.Call("c1", "+8617000000001", "8613800000052", EngineHarness.T0 + 1000, 120, origin: "DOMESTIC");

        Assert.Equal("6222880000000001", engine.Alerts[0].Evidence.Facts["payee_account"]);
        Assert.False(engine.Alerts[1].Evidence.Facts.ContainsKey("payee_account"));
        Assert.Equal("8617000000001", engine.Alerts[1].Evidence.Facts["counterpart_msisdn"]);
        Assert.False(engine.Alerts[0].Evidence.Facts.ContainsKey("counterpart_msisdn"));
    }
}

public sealed class EvidenceFactOrderTests
{
    [Fact]
    public void CallAlertThenTransferAlert_TransferDoesNotCarryTheCallsCounterpart()
    {
        using var engine = new EngineHarness();
        engine.ListAccount("6222880000000001");
        engine.ListNumber("+8617000000001");
        engine.Call("c1", "+8617000000001", "8613800000052", EngineHarness.T0, 120, origin: "DOMESTIC");
        engine.Transfer("t1", "8613800000051", "6222880000000001", EngineHarness.T0 + 1000, 2_000_000);

        Assert.Equal("8617000000001", engine.Alerts[0].Evidence.Facts["counterpart_msisdn"]);
        Assert.False(engine.Alerts[1].Evidence.Facts.ContainsKey("counterpart_msisdn"));
        Assert.Equal("6222880000000001", engine.Alerts[1].Evidence.Facts["payee_account"]);
    }
}
