using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Commands;
using FraudShield.Ingest.Events;

namespace FraudShield.EndToEnd.Tests;

/// <summary>The derivation behind `fraudshield watchlist proposals`: outcomes joined with their alerts' evidence.</summary>
public sealed class WatchlistProposalTests
{
    private static Alert AlertWith(string id, params (string Fact, string Value)[] facts)
    {
        var alert = new Alert { AlertId = id, Version = 1, Typology = "IMPERSONATE_AUTHORITY", Evidence = new Evidence() };
        foreach (var (fact, value) in facts)
        {
            alert.Evidence.Facts[fact] = value;
        }

        return alert;
    }

    private static OutcomeRecord Closed(string alertId, Outcome outcome) => new() { AlertId = alertId, Outcome = outcome, Kind = CaseEventKind.Outcome };

    [Fact]
    public void Derive_DissuadedCase_ProposesCallerSuspected()
    {
        var alerts = new Dictionary<string, Alert> { ["A-1"] = AlertWith("A-1", ("counterpart_msisdn", "442079460001")) };

        var proposal = Assert.Single(WatchlistProposal.Derive([Closed("A-1", Outcome.Dissuaded)], alerts));

        Assert.Equal(("MSISDN", "+442079460001", "SUSPECTED", "DISSUADED"), (proposal.KeyType, proposal.Key, proposal.Level, proposal.Outcome));
        Assert.Equal(["A-1"], proposal.AlertIds);
        Assert.Matches("^WP-[0-9a-f]{10}$", proposal.Id);
    }

    [Fact]
    public void Derive_CounterpartyIntel_ProposesItsSubjectWithoutAnOutcome()
    {
        var fanout = AlertWith("A-9", ("subject_kind", "MSISDN"), ("subject_key", "8617000000001"), ("propose_watchlist", "SUSPECTED"), ("counterpart_msisdn", "8617000000001"));
        fanout.RuleIds.Add("R03");
        var simBank = AlertWith("A-10", ("subject_kind", "IMEI"), ("subject_key", "867530099990002"), ("propose_watchlist", "SUSPECTED"));
        simBank.RuleIds.Add("R04");
        var plain = AlertWith("A-11", ("counterpart_msisdn", "442079460009"));
        var alerts = new Dictionary<string, Alert> { ["A-9"] = fanout, ["A-10"] = simBank, ["A-11"] = plain };

        var proposals = WatchlistProposal.Derive([], alerts);

        Assert.Equal(2, proposals.Count);
        Assert.Contains(proposals, p => p is { KeyType: "MSISDN", Key: "+8617000000001", Level: "SUSPECTED", Outcome: "INTEL R03" });
        Assert.Contains(proposals, p => p is { KeyType: "IMEI", Key: "867530099990002", Level: "SUSPECTED", Outcome: "INTEL R04" });
    }

    [Fact]
    public void Derive_SameNumberDissuadedThenDefrauded_OneConfirmedProposalNamingBothAlerts()
    {
        var alerts = new Dictionary<string, Alert>
        {
            ["A-1"] = AlertWith("A-1", ("counterpart_msisdn", "442079460001")),
            ["A-2"] = AlertWith("A-2", ("counterpart_msisdn", "442079460001"), ("counterpart_presented_msisdn", "861010110"), ("payee_account", "6222880000000042")),
        };

        var proposals = WatchlistProposal.Derive([Closed("A-1", Outcome.Dissuaded), Closed("A-2", Outcome.AlreadyDefrauded)], alerts);

        Assert.Equal(3, proposals.Count);
        var caller = Assert.Single(proposals, p => p.Key == "+442079460001");
        Assert.Equal("CONFIRMED", caller.Level);
        Assert.Equal(["A-1", "A-2"], caller.AlertIds);
        Assert.Contains(proposals, p => p is { KeyType: "MSISDN", Key: "+861010110" });
        Assert.Contains(proposals, p => p is { KeyType: "ACCOUNT", Key: "6222880000000042", Level: "CONFIRMED" });
        Assert.All(proposals, p => Assert.Equal("CONFIRMED", p.Level));
    }

    [Theory]
    [InlineData(Outcome.FalsePositive)]
    [InlineData(Outcome.Unreachable)]
    [InlineData(Outcome.Refused)]
    [InlineData(Outcome.Duplicate)]
    [InlineData(Outcome.Unspecified)]
    public void Derive_OtherOutcomes_NoProposal(Outcome outcome)
    {
        var alerts = new Dictionary<string, Alert> { ["A-1"] = AlertWith("A-1", ("counterpart_msisdn", "442079460001")) };

        Assert.Empty(WatchlistProposal.Derive([Closed("A-1", outcome)], alerts));
    }

    [Fact]
    public void Derive_UnknownAlertOrNoCounterpart_NoProposal()
    {
        var alerts = new Dictionary<string, Alert> { ["A-1"] = AlertWith("A-1") };

        Assert.Empty(WatchlistProposal.Derive([Closed("A-1", Outcome.AlreadyDefrauded), Closed("A-9", Outcome.AlreadyDefrauded)], alerts));
    }

    [Fact]
    public void ToWatchlistJson_AcceptedByTheEngineParser()
    {
        var alerts = new Dictionary<string, Alert> { ["A-1"] = AlertWith("A-1", ("counterpart_msisdn", "442079460001")) };
        var proposal = Assert.Single(WatchlistProposal.Derive([Closed("A-1", Outcome.AlreadyDefrauded)], alerts));

        Assert.True(new EventParser().TryParseWatchlistEntry(proposal.ToWatchlistJson(), out var entry, out var error), error.ToString());

        Assert.Equal(WatchKeyType.Msisdn, entry.KeyType);
        Assert.Equal(WatchLevel.Confirmed, entry.Level);
    }
}
