using FraudShield.Contracts.Alerts.V1;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests;

// R01, R02, R07 and R08 fire / near-miss cases are scenario files (Scenarios/rules/R0*.jsonl), run with the shipped pack
// (whose thresholds for these rules are the built-in ones: DefaultPackTests).
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

// R02's fire and near-miss cases are scenario files (Scenarios/rules/R02-*.jsonl); these check what a file cannot.
public sealed class R02WatchlistContactTests
{
    private const string Victim = "8613800000002";
    private const string Fraudster = "+8617000000001";

    [Fact]
    public void CallBack_VictimDialsListedNumber_AlertIsAboutTheVictim()
    {
        using var engine = new EngineHarness();
        engine.ListNumber(Fraudster);
        engine.Call("c1", Victim, Fraudster, T0, 20, origin: "DOMESTIC", direction: "OUT");

        Assert.Equal("8613800000002", Assert.Single(engine.Alerts).Subject.Msisdn);
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
}

// R08's fire and near-miss cases are scenario files (Scenarios/rules/R08-*.jsonl); these check routing and incident ids.
public sealed class R08PayToListedAccountTests
{
    private const string Payer = "8613800000004";
    private const string Mule = "6222880000000001";

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
