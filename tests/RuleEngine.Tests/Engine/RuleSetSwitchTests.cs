using System.Text;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>Hot reload without Kafka: the schedule, the fs.rules record and the switch between two events.</summary>
public sealed class RuleSetSwitchTests : IDisposable
{
    private const long T0 = EngineHarness.T0;
    private const string Mule = "6222880000000042";
    private static readonly string DefaultYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "rules", "default.yaml"));

    private readonly EngineStores _stores = new(new FasterStoreOptions { IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20 });
    private readonly ListSink _sink = new();

    public RuleSetSwitchTests()
    {
        using var tables = new TableApplier(_stores);
        Assert.True(tables.ApplyWatchlist(default, Encoding.UTF8.GetBytes($$"""{"key_type":"ACCOUNT","key":"{{Mule}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}"""), false, out var error), error.ToString());
    }

    // The shipped file with R08's L1 threshold lowered from 10,000 to 1,000 RMB.
    private static string LowerR08Yaml => Replace(DefaultYaml, "large_amount_minor: 1000000", "large_amount_minor: 100000");

    [Fact]
    public void TryProcess_SetEffectiveMidStream_EventsBeforeUseOldThresholdsAtAndAfterUseNewAndIncidentContinues()
    {
        var schedule = new RuleSchedule();
        var switched = new List<(string Version, long At)>();
        using var rules = new RuleSetSwitch(_stores, EngineHarness.DefaultPack, "startup", _sink, schedule: schedule, switched: (d, at) => switched.Add((d.Version, at)));
        var effective = T0 + 10 * EngineHarness.Minute;
        schedule.Add(Deployment(LowerR08Yaml, effective));

        Transfer(rules, "t1", "8613800000001", 500_000, effective - 1);   // old set: 5,000 RMB < 10,000 -> L2
        Assert.Equal("startup", rules.ActiveVersion);
        Transfer(rules, "t2", "8613800000002", 500_000, effective);       // new set: >= 1,000 -> L1
        Transfer(rules, "t3", "8613800000001", 500_000, effective + 1);   // the open incident goes on under the new set

        Assert.Equal(RuleDeployment.VersionOf(LowerR08Yaml), rules.ActiveVersion);
        Assert.Equal([(RuleDeployment.VersionOf(LowerR08Yaml), effective)], switched);
        Assert.Equal(1, rules.Switches);
        Assert.Equal(3, _sink.Alerts.Count);
        var (before, other, after) = (_sink.Alerts[0], _sink.Alerts[1], _sink.Alerts[2]);
        Assert.Equal(Severity.L2, before.Severity);
        Assert.Equal(Severity.L1, other.Severity);
        Assert.NotEqual(before.AlertId, other.AlertId);
        Assert.Equal(before.AlertId, after.AlertId);
        Assert.Equal(before.Version + 1, after.Version);
        Assert.Equal(Severity.L1, after.Severity);
        Assert.Equal(0, schedule.Pending);
    }

    [Fact]
    public void TryProcess_SwitchInsideABatch_TheBatchGoesOnWithTheNewCore()
    {
        // The engine judges a poll's events in one batch of the stores' sessions (EngineWorker); a set that becomes
        // effective in the middle ends the batch on the old core's sessions and opens it on the new core's.
        var schedule = new RuleSchedule();
        using var rules = new RuleSetSwitch(_stores, EngineHarness.DefaultPack, "startup", _sink, schedule: schedule);
        var old = rules.Core;
        var effective = T0 + 10 * EngineHarness.Minute;
        schedule.Add(Deployment(LowerR08Yaml, effective));

        rules.BeginBatch();
        Transfer(rules, "t1", "8613800000001", 500_000, effective - 1);
        Transfer(rules, "t2", "8613800000002", 500_000, effective);
        Transfer(rules, "t3", "8613800000001", 500_000, effective + 1);
        rules.EndBatch();

        Assert.NotSame(old, rules.Core);
        Assert.Equal([Severity.L2, Severity.L1, Severity.L1], _sink.Alerts.Select(a => a.Severity));
        Assert.Equal(_sink.Alerts[0].AlertId, _sink.Alerts[2].AlertId);

        // Outside the batch the new core's sessions work on their own, and a batch can open again.
        var payer = ulong.Parse("8613800000002", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(rules.Core.TryGetParty(payer, out var state));
        rules.BeginBatch();
        Assert.True(rules.Core.TryGetParty(payer, out var inBatch));
        rules.EndBatch();
        Assert.Equal((state.DrainOutMinor, state.IncidentId, state.IncidentVersion), (inBatch.DrainOutMinor, inBatch.IncidentId, inBatch.IncidentVersion));
        Assert.Equal(500_000, inBatch.DrainOutMinor);
    }

    [Fact]
    public void TryProcess_NothingDue_KeepsSetAndCore()
    {
        var schedule = new RuleSchedule();
        using var rules = new RuleSetSwitch(_stores, EngineHarness.DefaultPack, "startup", _sink, schedule: schedule);
        var core = rules.Core;
        schedule.Add(Deployment(LowerR08Yaml, T0 + EngineHarness.Hour));
        Transfer(rules, "t1", "8613800000001", 500_000, T0);
        Assert.Same(core, rules.Core);
        Assert.Equal("startup", rules.ActiveVersion);
        Assert.Equal(Severity.L2, Assert.Single(_sink.Alerts).Severity);
        Assert.Equal(1, schedule.Pending);
    }

    [Fact]
    public void TryProcess_SameVersionDue_DoesNotRebuildTheCore()
    {
        var schedule = new RuleSchedule();
        using var rules = new RuleSetSwitch(_stores, EngineHarness.DefaultPack, RuleDeployment.VersionOf(DefaultYaml), _sink, schedule: schedule);
        var core = rules.Core;
        schedule.Add(Deployment(DefaultYaml, T0));
        Transfer(rules, "t1", "8613800000001", 500_000, T0);
        Assert.Same(core, rules.Core);
        Assert.Equal(0, rules.Switches);
    }

    [Fact]
    public void TryTakeDue_SeveralDue_ReturnsTheLatestAndKeepsLaterOnes()
    {
        var schedule = new RuleSchedule();
        var a = Deployment(LowerR08Yaml, T0 + 300);
        var b = Deployment(DefaultYaml, T0 + 100);
        var c = Deployment(Replace(DefaultYaml, "large_amount_minor: 1000000", "large_amount_minor: 2000000"), T0 + 200);
        schedule.Add(a);
        schedule.Add(b);
        schedule.Add(c);
        Assert.Equal(T0 + 100, schedule.NextDueMs);
        Assert.False(schedule.TryTakeDue(T0 + 99, out _));
        Assert.True(schedule.TryTakeDue(T0 + 250, out var due));
        Assert.Same(c, due);
        Assert.Equal(T0 + 300, schedule.NextDueMs);
        Assert.True(schedule.TryTakeDue(T0 + 300, out due));
        Assert.Same(a, due);
        Assert.Equal(long.MaxValue, schedule.NextDueMs);
    }

    [Fact]
    public void TryDecode_RecordOfToBytes_RoundTrips()
    {
        var d = Deployment(LowerR08Yaml, T0);
        Assert.True(RuleDeployment.TryDecode(d.ToBytes(), out var back, out var errors), string.Join("; ", errors));
        Assert.Equal(d.Version, back!.Version);
        Assert.Equal(T0, back.EffectiveFromMs);
        Assert.Equal("candidate.yaml", back.Source);
        Assert.Equal(100_000, back.RuleSet.Options.R08L1AmountMinor);
    }

    [Fact]
    public void TryDecode_InvalidRuleFile_RefusedWithFileLineErrors()
    {
        var bad = Replace(DefaultYaml, "large_amount_minor: 1000000", "large_amount_minor: lots");
        var json = $$"""{"version":"{{RuleDeployment.VersionOf(bad)}}","effective_from_ms":{{T0}},"source":"bad.yaml","yaml":{{System.Text.Json.JsonSerializer.Serialize(bad)}}}""";
        Assert.False(RuleDeployment.TryDecode(Encoding.UTF8.GetBytes(json), out var d, out var errors));
        Assert.Null(d);
        Assert.Matches(@"^bad\.yaml:\d+: rule R08: parameter large_amount_minor: ", Assert.Single(errors));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"version":"r-000000000000","effective_from_ms":1,"yaml":"version: 1"}""")]
    [InlineData("""{"effective_from_ms":1,"yaml":"version: 1"}""")]
    [InlineData("[]")]
    public void TryDecode_MalformedOrForgedRecord_Refused(string value)
    {
        Assert.False(RuleDeployment.TryDecode(Encoding.UTF8.GetBytes(value), out _, out var errors));
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void TryCreate_InvalidFile_RefusedWithEveryError()
    {
        var bad = Replace(Replace(DefaultYaml, "large_amount_minor: 1000000", "large_amount_minor: lots"), "id: R07", "id: R99");
        Assert.False(RuleDeployment.TryCreate("bad.yaml", bad, T0, T0, out var d, out var errors));
        Assert.Null(d);
        Assert.Equal(2, errors.Count(e => e.File == "bad.yaml" && e.Line > 0));
    }

    [Fact]
    public void Backtest_CandidateDisablesR08_RemovesOnlyR08Alerts()
    {
        var noR08 = Replace(DefaultYaml, "name: PAY_TO_WATCHLISTED_ACCOUNT\n    severity: L2\n    enabled: true", "name: PAY_TO_WATCHLISTED_ACCOUNT\n    severity: L2\n    enabled: false");
        Assert.True(RuleFile.TryParse("no-r08.yaml", noR08, out var candidate, out var errors), string.Join("; ", errors));
        using var backtest = new Backtest(EngineHarness.DefaultPack, candidate!.Options, stores: new FasterStoreOptions { IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20 });
        backtest.ApplyWatchlist(default, Encoding.UTF8.GetBytes($$"""{"key_type":"ACCOUNT","key":"{{Mule}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}"""), false);
        for (var i = 0; i < 3; i++)
        {
            backtest.Feed(EventTopic.Txns, Encoding.UTF8.GetBytes(TransferJson($"t{i}", $"861380000000{i}", 500_000, T0 + i)), T0 + i);
        }

        var result = backtest.Compare(new Dictionary<string, bool>());
        var r08 = result.Rules.Single(r => r.Rule == "R08");
        Assert.Equal((3, 0, 0, 3), (r08.Deployed, r08.Candidate, r08.Added, r08.Removed));
        Assert.Null(r08.DeployedPrecision.Value);
        Assert.All(result.Rules.Where(r => r.Rule != "R08"), r => Assert.Equal((0, 0), (r.Added, r.Removed)));
        Assert.Equal(3, result.Events);
    }

    [Fact]
    public void Backtest_CandidateDisablesR03_CounterpartyRuleComparedToo()
    {
        var noR03 = Replace(DefaultYaml, "name: CALLER_FANOUT\n    typology: CALLER_FANOUT\n    severity: L4\n    enabled: true", "name: CALLER_FANOUT\n    typology: CALLER_FANOUT\n    severity: L4\n    enabled: false");
        Assert.True(RuleFile.TryParse("no-r03.yaml", noR03, out var candidate, out var errors), string.Join("; ", errors));
        using var backtest = new Backtest(EngineHarness.DefaultPack, candidate!.Options, stores: new FasterStoreOptions { IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20 });
        foreach (var line in ScenarioFile.Read("counterparty/R03-caller-fanout-fires.jsonl").Where(l => l.Kind == ScenarioLineKind.Event))
        {
            Assert.True(EventDispatcher.TryGetTopic(line.Topic, out var topic));
            backtest.Feed(topic, Encoding.UTF8.GetBytes(line.Json), line.KafkaTimestampMs);
        }

        var r03 = backtest.Compare(new Dictionary<string, bool>()).Rules.Single(r => r.Rule == "R03");
        Assert.Equal((1, 0, 0, 1), (r03.Deployed, r03.Candidate, r03.Added, r03.Removed));
    }

    [Fact]
    public void Backtest_KnownOutcomes_PrecisionOverKnownOnly()
    {
        // The same events in a plain engine give the alert ids (a hash of party, incident number and lineage).
        string[] ids;
        using (var engine = new EngineHarness(EngineHarness.DefaultPack))
        {
            engine.ListAccount(Mule);
            for (var i = 0; i < 3; i++)
            {
                engine.Feed(FraudShield.Contracts.Topics.Txns, TransferJson($"t{i}", $"861380000000{i}", 500_000, T0 + i), T0 + i);
            }

            ids = [.. engine.Alerts.Select(a => a.AlertId)];
        }

        using var backtest = new Backtest(EngineHarness.DefaultPack, new RulePackOptions { EnabledRules = 0 }, stores: new FasterStoreOptions { IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20 });
        backtest.ApplyWatchlist(default, Encoding.UTF8.GetBytes($$"""{"key_type":"ACCOUNT","key":"{{Mule}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}"""), false);
        for (var i = 0; i < 3; i++)
        {
            backtest.Feed(EventTopic.Txns, Encoding.UTF8.GetBytes(TransferJson($"t{i}", $"861380000000{i}", 500_000, T0 + i)), T0 + i);
        }

        var r08 = backtest.Compare(new Dictionary<string, bool> { [ids[0]] = true, [ids[1]] = false, ["A-unrelated"] = true }).Rules.Single(r => r.Rule == "R08");
        Assert.Equal(new Precision(2, 1), r08.DeployedPrecision);
        Assert.Equal(0.5, r08.DeployedPrecision.Value);
        Assert.Null(r08.CandidatePrecision.Value);
    }

    public void Dispose() => _stores.Dispose();

    private static RuleDeployment Deployment(string yaml, long effectiveFromMs)
    {
        Assert.True(RuleDeployment.TryCreate("candidate.yaml", yaml, effectiveFromMs - 2000, effectiveFromMs, out var d, out var errors), string.Join("; ", errors));
        return d!;
    }

    private static string Replace(string text, string from, string to)
    {
        Assert.Contains(from, text, StringComparison.Ordinal);
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    private static string TransferJson(string id, string payer, long amountMinor, long tsMs) =>
        $$"""{"txn_id":"{{id}}","ts_ms":{{tsMs}},"type":"TRANSFER","payer":{"account":"ACC-{{payer}}","msisdn":"{{payer}}"},"payee":{"account":"{{Mule}}","kind":"PERSON"},"amount_minor":{{amountMinor}},"currency":"CNY"}""";

    private static void Transfer(RuleSetSwitch rules, string id, string payer, long amountMinor, long tsMs) =>
        Assert.True(rules.TryProcess(EventTopic.Txns, Encoding.UTF8.GetBytes(TransferJson(id, payer, amountMinor, tsMs)), tsMs, out var error), error.ToString());
}
