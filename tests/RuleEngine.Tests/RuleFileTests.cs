using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Tests;

public sealed class RuleFileTests
{
    // Line numbers below refer to this text.
    private const string Valid = """
        version: 1
        incident_window: 6h
        composition:
          - when: [R01, R07]
            then: L1
        rules:
          - id: R01
            name: OVERSEAS_LONG_CALL
            severity: L3
            enabled: true
            params:
              min_call: 600s
          - id: R07
            name: CALL_THEN_LARGE_TRANSFER
            severity: L1
            enabled: true
            params:
              min_amount_minor: 5000000
              window: 2h
        """;

    private static IReadOnlyList<RuleFileError> Errors(string text)
    {
        Assert.False(RuleFile.TryParse("rules/x.yaml", text, out var set, out var errors));
        Assert.Null(set);
        Assert.NotEmpty(errors);
        return errors;
    }

    private static string Only(string text) => Assert.Single(Errors(text)).ToString();

    [Fact]
    public void DefaultFile_Loads_AllRulesListed_PlannedOnesDisabled()
    {
        var set = RuleFile.Load(Path.Combine(AppContext.BaseDirectory, "rules", "default.yaml"));

        Assert.Equal(18, set.Entries.Count);
        Assert.Equal(Enumerable.Range(0, 18).Select(i => (RuleId)i), set.Entries.Select(e => e.Id));
        Assert.DoesNotContain(set.Entries, e => e.Planned || !RuleIds.IsImplemented(e.Id));
        Assert.All(set.Entries, e => Assert.Equal(!e.Planned, e.Enabled));
        Assert.Equal(4, set.Options.Composition.Count);
    }

    [Fact]
    public void ValidText_Compiles()
    {
        Assert.True(RuleFile.TryParse("rules/x.yaml", Valid, out var set, out _));
        Assert.Equal(RuleIds.Bit(RuleId.R01) | RuleIds.Bit(RuleId.R07), set!.Options.EnabledRules);
        Assert.Equal(TimeSpan.FromHours(2), set.Options.R07Window);
    }

    [Fact]
    public void WrongType_NamesFileLineRuleAndParameter() =>
        Assert.Equal("rules/x.yaml:18: rule R07: parameter min_amount_minor: expected a whole number, got \"lots\"",
            Only(Valid.Replace("min_amount_minor: 5000000", "min_amount_minor: lots")));

    [Fact]
    public void UnknownRuleId_IsRefused() =>
        Assert.Equal("rules/x.yaml:13: rule R99: id: unknown rule id \"R99\" (this build knows R01-R18)", Only(Valid.Replace("id: R07", "id: R99")));

    [Fact]
    public void DuplicateRuleId_IsRefused() =>
        Assert.StartsWith("rules/x.yaml:13: rule R01: id: duplicate", Only(Valid.Replace("id: R07", "id: R01").Replace("CALL_THEN_LARGE_TRANSFER", "OVERSEAS_LONG_CALL")));

    [Fact]
    public void UnknownParameter_IsRefused() =>
        Assert.StartsWith("rules/x.yaml:12: rule R01: parameter min_cal: unknown parameter; expected one of: min_call,", Only(Valid.Replace("min_call: 600s", "min_cal: 600s")));

    [Fact]
    public void NegativeDuration_IsOutOfRange() =>
        Assert.Equal("rules/x.yaml:19: rule R07: parameter window: out of range: a duration must be positive, got \"-2h\"", Only(Valid.Replace("window: 2h", "window: -2h")));

    [Theory]
    [InlineData("window: 2 hours", "expected a duration like 600s, 30m, 2h or 30d, got \"2 hours\"")]
    [InlineData("window: 0s", "out of range: a duration must be positive, got \"0s\"")]
    [InlineData("window: [2h]", "expected a single value, got a list")]
    public void BadDuration_IsRefused(string replacement, string reason) =>
        Assert.Equal("rules/x.yaml:19: rule R07: parameter window: " + reason, Only(Valid.Replace("window: 2h", replacement)));

    [Fact]
    public void SecondsParameter_WithMilliseconds_IsRefused() =>
        Assert.Equal("rules/x.yaml:12: rule R01: parameter min_call: expected whole seconds (600s, 10m, 1h)", Only(Valid.Replace("min_call: 600s", "min_call: 1500ms")));

    [Fact]
    public void AmountOutOfRange_IsRefused() =>
        Assert.StartsWith("rules/x.yaml:18: rule R07: parameter min_amount_minor: out of range: expected 1 to", Only(Valid.Replace("min_amount_minor: 5000000", "min_amount_minor: -5")));

    [Fact]
    public void BadSeverity_IsRefused() =>
        Assert.Equal("rules/x.yaml:15: rule R07: severity: expected a level L1, L2, L3 or L4, got \"L0\"", Only(Valid.Replace("severity: L1", "severity: L0")));

    [Fact]
    public void BadEnabled_IsRefused() =>
        Assert.Equal("rules/x.yaml:10: rule R01: enabled: expected true or false, got \"yes please\"", Only(Valid.Replace("enabled: true\n    params:\n      min_call", "enabled: yes please\n    params:\n      min_call")));

    [Fact]
    public void MissingSeverity_IsRefused() =>
        Assert.Equal("rules/x.yaml:13: rule R07: severity: missing", Only(Valid.Replace("    severity: L1\n", "")));

    [Fact]
    public void NameNotMatchingTheId_IsRefused() =>
        Assert.StartsWith("rules/x.yaml:8: rule R01: name: expected \"OVERSEAS_LONG_CALL\"", Only(Valid.Replace("name: OVERSEAS_LONG_CALL", "name: LONG_CALL")));

    [Fact]
    public void PlannedRuleEnabled_IsRefused() =>
        Assert.Equal("rules/x.yaml:24: rule R03: enabled: a planned rule cannot be enabled (no evaluator in this build)",
            Only(Valid + "\n  - id: R03\n    name: CALLER_FANOUT\n    severity: L4\n    status: planned\n    enabled: true"));

    [Fact]
    public void UnknownTopLevelField_IsRefused() =>
        Assert.StartsWith("rules/x.yaml:2: incident_windw: unknown field", Only(Valid.Replace("incident_window: 6h", "incident_windw: 6h")));

    [Fact]
    public void CompositionWithUnknownRule_IsRefused() =>
        Assert.Equal("rules/x.yaml:4: composition[1].when: expected a rule id R01-R18, got \"R77\"", Only(Valid.Replace("when: [R01, R07]", "when: [R01, R77]")));

    [Fact]
    public void CompositionWithOneRule_IsRefused() =>
        Assert.Equal("rules/x.yaml:4: composition[1].when: name at least two rules", Only(Valid.Replace("when: [R01, R07]", "when: [R01]")));

    [Fact]
    public void MalformedYaml_NamesTheLine()
    {
        Assert.Matches(@"^rules/x\.yaml:1[4-9]: malformed YAML: ", Only(Valid.Replace("    severity: L1", "    severity: [L1")));
        Assert.Matches(@"^rules/x\.yaml:12: malformed YAML: ", Only(Valid.Replace("min_call: 600s", "min_call: \"600s")));
        Assert.Matches(@"^rules/x\.yaml:9: malformed YAML: ", Only(Valid.Replace("    severity: L3", "  severity: L3")));
    }

    [Fact]
    public void RepeatedKey_IsRefused()
    {
        var error = Only(Valid.Replace("      window: 2h", "      window: 2h\n      window: 3h"));
        Assert.StartsWith("rules/x.yaml:", error);
        Assert.Contains("window", error);
    }

    [Fact]
    public void SeveralErrors_AllReported_FileRefusedAsAWhole()
    {
        var errors = Errors(Valid.Replace("min_call: 600s", "min_call: soon").Replace("min_amount_minor: 5000000", "min_amount_minor: lots"));
        Assert.Equal([12, 18], errors.Select(e => e.Line));
        Assert.Equal(["R01", "R07"], errors.Select(e => e.Rule));
    }

    [Fact]
    public void BadListValues_AreRefused()
    {
        var text = Valid + "\n  - id: R06\n    name: SCREENSHARE_AFTER_CALL\n    severity: L2\n    enabled: true\n    params:\n      app_categories: [SCREEN_SHARE, TELEPORT]";
        Assert.StartsWith("rules/x.yaml:25: rule R06: parameter app_categories: expected an app category", Only(text));
    }

    [Fact]
    public void RatioAndPercent_AreParsed()
    {
        var text = Valid + "\n  - id: R11\n    name: ESCALATING_TOPUPS\n    severity: L2\n    enabled: true\n    params:\n      min_step_ratio: 2.25\n  - id: R09\n    name: BALANCE_DRAIN\n    severity: L1\n    enabled: true\n    params:\n      min_percent: 90%";
        Assert.True(RuleFile.TryParse("x", text, out var set, out var errors), string.Join("\n", errors));
        Assert.Equal(2250, set!.Options.R11StepPermille);
        Assert.Equal(90, set.Options.R09MinPercent);
        Assert.Equal("rules/x.yaml:31: rule R09: parameter min_percent: out of range: expected 1% to 100%, got 120%", Only(text.Replace("90%", "120%")).Replace("x:", "rules/x.yaml:", StringComparison.Ordinal));
    }

    // R10, R13 and R14 appended to Valid: lines 20-46 (R10 20-29, R13 30-40, R14 41-46).
    private const string PartyRules = Valid + """

          - id: R10
            name: NEW_CARD_CONSOLIDATION
            severity: L2
            enabled: true
            params:
              new_account_age: 7d
              min_source_accounts: 3
              min_swept_minor: 2_000_000
              min_out_percent: 70%
              window: 24h
          - id: R13
            name: FEE_CHAIN
            severity: L2
            enabled: true
            params:
              min_fee_minor: 10000
              max_fee_minor: 500000
              loan_typologies: [FAKE_LOAN, CREDIT_REPAIR]
              loan_keywords: [loan, daikuan]
              keyword_senders: [PERSONAL]
              loan_app_categories: [FAKE_LOAN, UNKNOWN_APK]
          - id: R14
            name: BOSS_URGENT_PAYMENT
            severity: L2
            enabled: true
            params:
              min_history: 10
        """;

    [Fact]
    public void PartyRuleParameters_AreParsed()
    {
        Assert.True(RuleFile.TryParse("x", PartyRules, out var set, out var errors), string.Join("\n", errors));
        var o = set!.Options;
        Assert.Equal((TimeSpan.FromDays(7), 3, 2_000_000L, 70, TimeSpan.FromHours(24)), (o.R10NewAccountAge, o.R10MinSourceAccounts, o.R10MinSweptMinor, o.R10MinOutPercent, o.R10Window));
        Assert.Equal((10_000L, 500_000L), (o.R13MinFeeMinor, o.R13MaxFeeMinor));
        Assert.Equal(["FAKE_LOAN", "CREDIT_REPAIR"], o.R13LoanTypologies);
        Assert.Equal(["loan", "daikuan"], o.R13LoanKeywords);
        Assert.Equal([Ingest.Events.SenderClass.Personal], o.R13KeywordSenders);
        Assert.Equal([Ingest.Events.AppCategory.FakeLoan, Ingest.Events.AppCategory.UnknownApk], o.R13LoanAppCategories);
        Assert.Equal(10, o.R14MinHistory);
        Assert.Equal(new RulePackOptions().R14MinAmountMinor, o.R14MinAmountMinor);
        Assert.Equal(RuleIds.Bit(RuleId.R10) | RuleIds.Bit(RuleId.R13) | RuleIds.Bit(RuleId.R14), o.EnabledRules & (RuleIds.Bit(RuleId.R10) | RuleIds.Bit(RuleId.R13) | RuleIds.Bit(RuleId.R14)));
    }

    [Fact]
    public void FeeRange_MinAboveMax_NamesTheGivenParameter()
    {
        Assert.Equal("rules/x.yaml:35: rule R13: parameter min_fee_minor: min_fee_minor (600000) must not exceed max_fee_minor (500000)",
            Only(PartyRules.Replace("min_fee_minor: 10000", "min_fee_minor: 600000")));
        Assert.Equal("rules/x.yaml:35: rule R13: parameter max_fee_minor: min_fee_minor (20000) must not exceed max_fee_minor (10000)",
            Only(PartyRules.Replace("      min_fee_minor: 10000\n", "").Replace("max_fee_minor: 500000", "max_fee_minor: 10000")));
    }

    [Theory]
    [InlineData("loan_keywords: [loan, daikuan]", "loan_keywords: [loan, \"dai kuan\"]", 38, "parameter loan_keywords: expected a keyword flag of ASCII letters, digits, _ or -, got \"dai kuan\"")]
    [InlineData("loan_keywords: [loan, daikuan]", "loan_keywords: []", 38, "parameter loan_keywords: expected a non-empty list of SMS keyword flags like [loan, credit_repair]")]
    [InlineData("loan_typologies: [FAKE_LOAN, CREDIT_REPAIR]", "loan_typologies: [FAKE_LOAN, fake loan]", 37, "parameter loan_typologies: expected an upper-case name like IMPERSONATE_AUTHORITY, got \"fake loan\"")]
    [InlineData("keyword_senders: [PERSONAL]", "keyword_senders: [PERSONAL, PIGEON]", 39, "parameter keyword_senders: expected an SMS sender class (PERSONAL, SHORT_CODE, INTERNATIONAL, OFFICIAL), got \"PIGEON\"")]
    [InlineData("min_history: 10", "min_history: 300", 46, "parameter min_history: out of range: expected 1 to 255, got 300")]
    [InlineData("min_out_percent: 70%", "min_out_percent: 120%", 28, "parameter min_out_percent: out of range: expected 1% to 100%, got 120%")]
    [InlineData("min_source_accounts: 3", "min_source_accounts: 0", 26, "parameter min_source_accounts: out of range: expected 1 to 20, got 0")]
    public void PartyRuleParameters_BadValues_NameFileLineRuleAndParameter(string from, string to, int line, string reason)
    {
        var rule = line < 30 ? "R10" : line < 41 ? "R13" : "R14";
        Assert.Equal($"rules/x.yaml:{line}: rule {rule}: {reason}", Only(PartyRules.Replace(from, to)));
    }

    [Fact]
    public void CompositionTable_DrivesSeverity()
    {
        var text = Valid.Replace("when: [R01, R07]", "when: [R01, R02]")
            + "\n  - id: R02\n    name: WATCHLIST_CONTACT\n    severity: L3\n    enabled: true";
        Assert.True(RuleFile.TryParse("x", text, out var set, out _));
        using var engine = new EngineHarness(set!.Options);
        engine.ListNumber("+442079460001");
        engine.Call("c1", "+442079460001", "8613800000077", EngineHarness.T0, 900);

        Assert.Equal(Contracts.Alerts.V1.Severity.L1, Assert.Single(engine.Alerts).Severity);
    }

    [Fact]
    public void DisabledRule_DoesNotFire()
    {
        var text = Valid.Replace("    enabled: true\n    params:\n      min_call", "    enabled: false\n    params:\n      min_call");
        Assert.True(RuleFile.TryParse("x", text, out var set, out _));
        using var engine = new EngineHarness(set!.Options);
        engine.Call("c1", "+12025550100", "8613800000078", EngineHarness.T0, 1800);

        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void MissingFile_IsAnError()
    {
        var e = Assert.Throws<RuleFileException>(() => RuleFile.Load("/nonexistent/rules.yaml"));
        Assert.StartsWith("/nonexistent/rules.yaml:0: cannot read the file", Assert.Single(e.Errors).ToString());
    }
}
