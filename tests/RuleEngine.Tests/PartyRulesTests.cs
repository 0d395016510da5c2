using System.Text;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests;

// R10, R13 and R14: what their alerts explain and how their state is kept. Fire and near-miss cases are the scenario
// files Scenarios/rules/R10-*, R13-*, R14-*; these tests check what a data file cannot (hit values, evidence, subject,
// allocations).
public sealed class PartyRulesTests
{
    [Fact]
    public void R10_Alert_ExplainsTheConsolidation()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("rules/R10-sweep-then-out-fires.jsonl");

        var alert = Assert.Single(engine.Alerts);
        var hit = Assert.Single(alert.Hits);
        Assert.Equal(("R10", "NEW_CARD_CONSOLIDATION"), (hit.RuleId, hit.Name));
        Assert.Equal("5000000", hit.Values["swept_minor"]);
        Assert.Equal("2", hit.Values["source_accounts"]);
        Assert.Equal("300", hit.Values["minutes_after_first_sweep"]);
        Assert.Equal(["t10-out"], alert.Evidence.EventIds);
        Assert.Equal("6222000000777001", alert.Evidence.Facts["payee_account"]);
        Assert.Equal(4_500_000, alert.AmountAtRiskMinor);
        Assert.Equal("UNKNOWN", alert.Typology);
        Assert.Equal("8613800000010", alert.Subject.Msisdn);
    }

    [Fact]
    public void R10_OutLegWithoutNumber_AlertsTheSweepingParty()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("rules/R10-out-leg-without-number.jsonl");

        var alert = Assert.Single(engine.Alerts);
        Assert.Equal("8613800000010", alert.Subject.Msisdn);
        Assert.Equal("S01", alert.Home.StationId);
        Assert.Equal(JurisdictionSource.Address, alert.Home.Source);
    }

    [Fact]
    public void R10_AfterSuspiciousCall_TakesTheCallsTypology()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListNumber("+442079460010", "IMPERSONATE_AUTHORITY");
        engine.Call("c1", "+442079460010", "8613800000010", T0 - (3 * Hour), 90, origin: "DOMESTIC");
        engine.FeedFile("rules/R10-sweep-then-out-fires.jsonl");

        // The call opened an incident (R02) that is closed by the time the money leaves: R10 opens a new one and takes
        // the typology of the latest suspicious contact.
        Assert.Equal(2, engine.Alerts.Count);
        Assert.Equal(["R10"], engine.Alerts[1].RuleIds);
        Assert.Equal("IMPERSONATE_AUTHORITY", engine.Alerts[1].Typology);
    }

    [Fact]
    public void R13_Alert_CountsFeesAndNewPayees()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("rules/R13-loan-app-then-fees-fires.jsonl");

        var alert = Assert.Single(engine.Alerts);
        var hit = Assert.Single(alert.Hits);
        Assert.Equal(("R13", "FEE_CHAIN"), (hit.RuleId, hit.Name));
        Assert.Equal("3", hit.Values["fees"]);
        Assert.Equal("2", hit.Values["new_payees"]);
        Assert.Equal("1200", hit.Values["minutes_after_contact"]);
        Assert.Equal(["t13-fee3"], alert.Evidence.EventIds);
        Assert.Equal("FAKE_LOAN", alert.Typology);
    }

    [Fact]
    public void R13_FiresOncePerEpisode_AgainAfterANewContact()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("rules/R13-loan-app-then-fees-fires.jsonl");
        engine.Transfer("t-more", "8613800000013", "6222000000130009", T0 + (21 * Hour), 60_000);
        Assert.Single(engine.Alerts);

        // Four days later a new loan contact opens a new episode: the payees paid in the first one are no longer new.
        var later = T0 + (96 * Hour);
        engine.Device("d2", "8613800000013", later, "INSTALL", "FAKE_LOAN");
        engine.Transfer("t-a", "8613800000013", "6222000000130001", later + Hour, 60_000);
        engine.Transfer("t-b", "8613800000013", "6222000000130002", later + (2 * Hour), 60_000);
        engine.Transfer("t-c", "8613800000013", "6222000000131001", later + (3 * Hour), 60_000);
        engine.Transfer("t-d", "8613800000013", "6222000000131001", later + (4 * Hour), 60_000);
        Assert.Single(engine.Alerts);
        engine.Transfer("t-e", "8613800000013", "6222000000131002", later + (5 * Hour), 60_000);

        Assert.Equal(2, engine.Alerts.Count);
        Assert.NotEqual(engine.Alerts[0].AlertId, engine.Alerts[1].AlertId);
        Assert.Equal("2", Assert.Single(engine.Alerts[1].Hits).Values["new_payees"]);
    }

    [Fact]
    public void R14_Alert_ShowsSumThresholdAndTypical()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.FeedFile("rules/R14-typical-multiple-fires.jsonl");

        var alert = Assert.Single(engine.Alerts);
        var hit = Assert.Single(alert.Hits);
        Assert.Equal(("R14", "BOSS_URGENT_PAYMENT"), (hit.RuleId, hit.Name));
        Assert.Equal("1000000", hit.Values["window_sum_minor"]);
        Assert.Equal("1000000", hit.Values["threshold_minor"]);
        Assert.Equal("200000", hit.Values["typical_minor"]);
        Assert.Equal(["t14-pay1"], alert.Evidence.EventIds);
        Assert.Equal("IMPERSONATE_BOSS", alert.Typology);
        Assert.Equal("8613800000014", alert.Subject.Msisdn);
    }

    [Fact]
    public void DefaultFile_PartyRules_SameParametersAsBuiltIn()
    {
        var builtIn = new RulePackOptions();
        var pack = DefaultPack;

        Assert.Equal(
            (builtIn.R10NewAccountAge, builtIn.R10MinSourceAccounts, builtIn.R10MinSweptMinor, builtIn.R10MinOutPercent, builtIn.R10Window),
            (pack.R10NewAccountAge, pack.R10MinSourceAccounts, pack.R10MinSweptMinor, pack.R10MinOutPercent, pack.R10Window));
        Assert.Equal(
            (builtIn.R13MinFeeMinor, builtIn.R13MaxFeeMinor, builtIn.R13MinFees, builtIn.R13MinNewPayees, builtIn.R13Window),
            (pack.R13MinFeeMinor, pack.R13MaxFeeMinor, pack.R13MinFees, pack.R13MinNewPayees, pack.R13Window));
        Assert.Equal(builtIn.R13LoanAppCategories, pack.R13LoanAppCategories);
        Assert.Equal(builtIn.R13LoanTypologies, pack.R13LoanTypologies);
        Assert.Equal(builtIn.R13LoanKeywords, pack.R13LoanKeywords);
        Assert.Equal(builtIn.R13KeywordSenders, pack.R13KeywordSenders);
        Assert.Equal(
            (builtIn.R14MinAmountMinor, builtIn.R14TypicalMultiple, builtIn.R14MinHistory, builtIn.R14Window),
            (pack.R14MinAmountMinor, pack.R14TypicalMultiple, pack.R14MinHistory, pack.R14Window));
        Assert.False(builtIn.IsEnabled(RuleId.R10) || builtIn.IsEnabled(RuleId.R13) || builtIn.IsEnabled(RuleId.R14));
    }

    [Fact]
    public void PartyRules_PerEventPath_AllocatesNothing()
    {
        const string Victim = "8613800000020", Payer = "8613800000021", Loaner = "8617000002020", Spammer = "8617000002021";
        using var engine = new EngineHarness(DefaultPack);
        engine.Resident(Victim, account: "6217000000020001");
        engine.Resident(Payer, account: "6217000000021001");
        engine.ListNumber(Loaner, "FAKE_LOAN");
        var dispatcher = new EventDispatcher(engine.Core, new EventParser());

        // Every path of R10/R13/R14 that keeps state without firing: loan contacts by SMS keyword, app and call (all in one
        // 48 h episode); fees to one payee (never two new ones), counted until the count saturates; sweeps into a fresh new account from one source (never two); a transfer out of
        // it below half of the sweep, large enough for R14's threshold, from a private payer (the register is read).
        var events = new List<(EventTopic Topic, byte[] Bytes, long Ts)>();
        for (var i = 0; i < 280; i++)
        {
            var t = T0 + (i * 10 * Minute);
            var newAccount = $"62300000{i:D8}";
            events.Add((EventTopic.Signals, Json($$"""{"kind":"sms","event_id":"s{{i}}","sender":"{{Spammer}}","receiver":"{{Victim}}","ts_ms":{{t}},"sender_class":"PERSONAL","keyword_flags":["LOAN"]}"""), t));
            events.Add((EventTopic.Signals, Json($$"""{"kind":"device","event_id":"d{{i}}","msisdn":"{{Victim}}","device_id":"D1","ts_ms":{{t}},"type":"INSTALL","app_category":"FAKE_LOAN"}"""), t));
            events.Add((EventTopic.Calls, Json($$"""{"event_id":"c{{i}}","calling":"{{Loaner}}","called":"{{Victim}}","direction":"IN","start_ms":{{t}},"end_ms":{{t + 30_000}},"duration_s":30,"answered":true,"origin":"DOMESTIC"}"""), t));
            events.Add((EventTopic.Txns, Txn($"f{i}", t + 1, "6217000000020001", Victim, "6222000000200001", 60_000, null), t + 1));
            events.Add((EventTopic.Txns, Txn($"w{i}", t + 2, "6217000000021001", Payer, newAccount, 30_000_000, t - Hour), t + 2));
            events.Add((EventTopic.Txns, Txn($"o{i}", t + 3, newAccount, Payer, $"62220000{i:D8}", 12_000_000, null), t + 3));
        }

        var warmUp = events.Count / 3;
        for (var i = 0; i < warmUp; i++)
        {
            Assert.True(dispatcher.TryProcess(events[i].Topic, events[i].Bytes, events[i].Ts, out var error), error.ToString());
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok = true;
        for (var i = warmUp; i < events.Count; i++)
        {
            ok &= dispatcher.TryProcess(events[i].Topic, events[i].Bytes, events[i].Ts, out _);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(ok);
        Assert.Empty(engine.Alerts);
        Assert.Equal(0, allocated);
        Assert.True(engine.Core.TryGetParty(ulong.Parse(Victim, System.Globalization.CultureInfo.InvariantCulture), out var state));
        Assert.Equal((T0, byte.MaxValue, (byte)1), (state.LoanContactMs, state.FeeCount, state.FeePayees));
        Assert.True(engine.Core.TryGetParty(ulong.Parse(Payer, System.Globalization.CultureInfo.InvariantCulture), out state));
        Assert.True(state.NewAccount != 0 && state.SweepSources == 1 && state.TypicalCount == byte.MaxValue);
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Txn(string id, long ts, string payerAccount, string payerMsisdn, string payeeAccount, long amount, long? openedMs) =>
        Json($$"""{"txn_id":"{{id}}","ts_ms":{{ts}},"type":"TRANSFER","payer":{"account":"{{payerAccount}}","msisdn":"{{payerMsisdn}}"},"payee":{"account":"{{payeeAccount}}","kind":"PERSON"{{(openedMs is { } o ? $",\"opened_ms\":{o}" : "")}}},"amount_minor":{{amount}},"currency":"CNY"}""");
}
