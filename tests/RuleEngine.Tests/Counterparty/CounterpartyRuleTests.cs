using System.Runtime.CompilerServices;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Rules;
using Xunit.Abstractions;

namespace FraudShield.RuleEngine.Tests.Counterparty;

public sealed class CounterpartyRuleTests(ITestOutputHelper output)
{
    public static TheoryData<string> Files() => [.. FileNames()];

    private static List<string> FileNames() =>
        [.. Directory.EnumerateFiles(ScenarioFile.PathOf("counterparty"), "*.jsonl").Order(StringComparer.Ordinal).Select(f => Path.Combine("counterparty", Path.GetFileName(f)))];

    [Theory]
    [MemberData(nameof(Files))]
    public void ScenarioFile_WithShippedPack_MeetsItsExpectations(string file)
    {
        using var harness = new CounterpartyHarness();

        var expectations = harness.Run(file);

        Assert.True(expectations > 0, $"{file} has no expect line");
    }

    [Fact]
    public void CallerFanout_Fires_AlertExplainsItselfAndGoesToTheCentre()
    {
        using var harness = new CounterpartyHarness();
        harness.Run(Path.Combine("counterparty", "R03-caller-fanout-fires.jsonl"));

        var alert = Assert.Single(harness.Alerts);
        Assert.Equal(["R03"], alert.RuleIds);
        Assert.Equal(Severity.L4, alert.Severity);
        Assert.Equal("CALLER_FANOUT", alert.Typology);
        Assert.Equal("8617000000001", alert.Subject.Msisdn);
        Assert.Equal("CITY-CENTRE", alert.Home.StationId);
        Assert.Equal(JurisdictionSource.HomeArea, alert.Home.Source);
        var hit = Assert.Single(alert.Hits);
        Assert.Equal("30", hit.Values["distinct_callees"]);
        Assert.Equal("20", hit.Values["answer_rate_percent"]);
        Assert.Equal("0", hit.Values["median_duration_s"]);
        Assert.Equal("30", hit.Values["calls"]);
        Assert.Equal(["fo-30"], alert.Evidence.EventIds);
        Assert.Equal("MSISDN", alert.Evidence.Facts[CounterpartyAggregator.SubjectKindFact]);
        Assert.Equal("8617000000001", alert.Evidence.Facts["counterpart_msisdn"]);
        Assert.Equal("SUSPECTED", alert.Evidence.Facts[CounterpartyAggregator.ProposeWatchlistFact]);
        Assert.Equal(CounterpartyAggregator.AlertIdOf(RuleId.R03, CounterpartyRecord.KeyOfCaller(8617000000001), alert.CreatedMs), alert.AlertId);
    }

    [Fact]
    public void SimBank_Fires_SubjectIsTheImeiWithItsNumbers()
    {
        using var harness = new CounterpartyHarness();
        harness.Run(Path.Combine("counterparty", "R04-sim-bank-fires.jsonl"));

        var alert = Assert.Single(harness.Alerts);
        Assert.Equal("5", alert.Hits[0].Values["numbers_on_imei"]);
        Assert.Equal("IMEI", alert.Evidence.Facts[CounterpartyAggregator.SubjectKindFact]);
        Assert.Equal("867530012345678", alert.Evidence.Facts[CounterpartyAggregator.SubjectKeyFact]);
        Assert.Equal("IMEI ****5678", alert.Subject.MsisdnMasked);
        Assert.Empty(alert.Subject.Msisdn);
        Assert.Equal(5, alert.Evidence.Facts["imei_numbers"].Split(',').Length);
    }

    [Fact]
    public void MulePassThrough_Fires_ListsThePayersAsVictims()
    {
        using var harness = new CounterpartyHarness();
        harness.Run(Path.Combine("counterparty", "R15-mule-pass-through-fires.jsonl"));

        var alert = Assert.Single(harness.Alerts);
        var hit = Assert.Single(alert.Hits);
        Assert.Equal("3", hit.Values["payers"]);
        Assert.Equal("83", hit.Values["forwarded_percent"]);
        Assert.Equal("3000000", hit.Values["in_minor"]);
        Assert.Equal("2500000", hit.Values["out_minor"]);
        Assert.Equal("10", hit.Values["account_age_days"]);
        Assert.Equal("8613800000001,8613800000002,8613800000003", alert.Evidence.Facts[CounterpartyAggregator.PayersFact]);
        Assert.Equal("6230000000000001", alert.Evidence.Facts["payee_account"]);
        Assert.Equal("ACCOUNT ****0001", alert.Subject.MsisdnMasked);
        Assert.Equal(["m4"], alert.Evidence.EventIds);
    }

    [Fact]
    public void FanInFanOut_Fires_WithRatioAndResidual()
    {
        using var harness = new CounterpartyHarness();
        harness.Run(Path.Combine("counterparty", "R16-fan-in-fan-out-fires.jsonl"));

        var hit = Assert.Single(Assert.Single(harness.Alerts).Hits);
        Assert.Equal("R16", hit.RuleId);
        Assert.Equal("10", hit.Values["counterparties"]);
        Assert.Equal("1016", hit.Values["in_out_ratio_permille"]);
        Assert.Equal("1", hit.Values["residual_percent"]);
    }

    [Fact]
    public void FanInFanOut_WithoutNewAccountRequirement_FiresOnAnEstablishedAccount()
    {
        using var harness = new CounterpartyHarness(EngineHarness.DefaultPack with { R16RequireNewAccount = false });

        harness.Run(Path.Combine("counterparty", "R16-fan-in-fan-out-fires.jsonl"));
        foreach (var line in ScenarioFile.Read(Path.Combine("counterparty", "R16-fan-in-fan-out-near-misses.jsonl")))
        {
            if (line.Kind == ScenarioLineKind.Event && line.Json.Contains("f5-", StringComparison.Ordinal))
            {
                harness.Feed(line.Topic, line.Json);
            }
        }

        Assert.Equal(2, harness.Alerts.Count(a => a.RuleIds.Contains("R16")));
    }

    [Fact]
    public void Replay_SameRecordsFreshState_SameAlertIds()
    {
        var files = FileNames();
        List<string> Run()
        {
            using var harness = new CounterpartyHarness();
            foreach (var line in files.SelectMany(ScenarioFile.Read).Where(l => l.Kind == ScenarioLineKind.Event))
            {
                harness.Feed(line.Topic, line.Json);
            }

            return [.. harness.Alerts.Select(a => a.AlertId)];
        }

        var first = Run();
        var second = Run();

        Assert.True(first.Count >= 6, $"expected the firing scenarios to alert, got {first.Count}");
        Assert.Equal(first, second);
        Assert.Equal(first.Count, first.Distinct().Count());
    }

    [Fact]
    public void Redelivery_EveryRecordTwice_SameAlertsAndDuplicatesCounted()
    {
        using var once = new CounterpartyHarness();
        using var twice = new CounterpartyHarness();
        foreach (var file in new[] { "R03-caller-fanout-fires.jsonl", "R04-sim-bank-fires.jsonl", "R15-mule-pass-through-fires.jsonl", "R16-fan-in-fan-out-fires.jsonl" })
        {
            foreach (var line in ScenarioFile.Read(Path.Combine("counterparty", file)).Where(l => l.Kind == ScenarioLineKind.Event))
            {
                once.Feed(line.Topic, line.Json);
                twice.Feed(line.Topic, line.Json);
                twice.Feed(line.Topic, line.Json);
            }
        }

        Assert.Equal(once.Alerts.Select(a => a.AlertId), twice.Alerts.Select(a => a.AlertId));
        Assert.Equal(4, once.Alerts.Count);
        Assert.Equal(0, once.Aggregator.Duplicates);
        Assert.Equal(once.Records, twice.Aggregator.Duplicates);
    }

    [Fact]
    public void BothLegsOfOneCall_CountOnce()
    {
        using var harness = new CounterpartyHarness();
        for (var i = 0; i < 30; i++)
        {
            var callee = 8613900000000 + i;
            var start = EngineHarness.T0 + (i * EngineHarness.Minute);
            // The caller's OUT record and the callee's IN record of the same call, with their own event ids.
            harness.Feed(Topics.Calls, $$"""{"event_id":"o{{i}}","calling":"8617000000099","called":"{{callee}}","direction":"OUT","start_ms":{{start}},"duration_s":0,"answered":false,"origin":"DOMESTIC"}""");
            harness.Feed(Topics.Calls, $$"""{"event_id":"i{{i}}","calling":"8617000000099","called":"{{callee}}","direction":"IN","start_ms":{{start}},"duration_s":0,"answered":false,"origin":"DOMESTIC"}""");
        }

        var alert = Assert.Single(harness.Alerts);
        Assert.Equal("30", alert.Hits[0].Values["calls"]);
        Assert.Equal(30, harness.Aggregator.Duplicates);
    }

    [Fact]
    public void PackWithoutCounterpartyRules_NothingFires()
    {
        using var harness = new CounterpartyHarness(new RulePackOptions());
        foreach (var file in FileNames())
        {
            foreach (var line in ScenarioFile.Read(file).Where(l => l.Kind == ScenarioLineKind.Event))
            {
                harness.Feed(line.Topic, line.Json);
            }
        }

        Assert.Empty(harness.Alerts);
    }

    [Fact]
    public void UseRules_Switch_NewThresholdsApplyToKeptState()
    {
        using var harness = new CounterpartyHarness(EngineHarness.DefaultPack with { R04MinNumbers = 8 });
        var lines = ScenarioFile.Read(Path.Combine("counterparty", "R04-sim-bank-fires.jsonl")).Where(l => l.Kind == ScenarioLineKind.Event).ToList();
        foreach (var line in lines.Take(5))
        {
            harness.Feed(line.Topic, line.Json);
        }

        Assert.Empty(harness.Alerts);
        harness.Aggregator.UseRules(EngineHarness.DefaultPack);
        harness.Feed(lines[5].Topic, lines[5].Json);

        Assert.Equal("5", Assert.Single(harness.Alerts).Hits[0].Values["numbers_on_imei"]);
    }

    [Fact]
    public void Aggregates_HaveFixedSizes()
    {
        Assert.Equal(936, Unsafe.SizeOf<CallerAggregate>());
        Assert.Equal(1288, Unsafe.SizeOf<AccountAggregate>());
        Assert.Equal(16, Unsafe.SizeOf<CallEntry>());
        Assert.Equal(32, Unsafe.SizeOf<TxnEntry>());
    }

    [Fact]
    public void BenignSimulatorTraffic_TwentyMinutesAtDemoRate_NoCounterpartyAlert()
    {
        // The demo's default: 5,000 residents, 200 benign events/s. The simulator's residents make ~5 transfers an
        // hour each, so accounts do reach ten counterparties with in/out near 1; they are neither young nor newly
        // active, so R15 and R16 stay quiet. Calls are 80 % answered (no fan-out) and carry no IMEI (no SIM bank).
        var (alerts, records, r16Loose) = RunBenign(TimeSpan.FromMinutes(20));

        output.WriteLine($"{records} counterparty records; alerts {alerts}; R16 without require_new_account: {r16Loose}");
        Assert.True(records > 200_000, $"{records}");
        Assert.Equal(0, alerts);
        Assert.True(r16Loose > 0, "without require_new_account the simulator's dense turnover should look like layering");
    }

    private static (int Alerts, long Records, int R16Loose) RunBenign(TimeSpan duration)
    {
        using var strict = new CounterpartyHarness();
        using var loose = new CounterpartyHarness(EngineHarness.DefaultPack with { R16RequireNewAccount = false });
        var city = new CitySimulator(new CityOptions(), seed: 7);
        const int rate = 200;
        var events = (int)(duration.TotalSeconds * rate);
        for (var i = 0; i < events; i++)
        {
            var record = city.NextBenign(EngineHarness.T0 + (i * 1000L / rate));
            strict.Feed(record.Topic, record.Value);
            loose.Feed(record.Topic, record.Value);
        }

        return (strict.Alerts.Count, strict.Records, loose.Alerts.Count(a => a.RuleIds.Contains("R16")));
    }
}
