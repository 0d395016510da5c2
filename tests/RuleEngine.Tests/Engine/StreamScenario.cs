using System.Globalization;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>What a stream scenario does.</summary>
internal enum StreamScenarioKind
{
    /// <summary>A 450 s overseas call: under R01's min_call (600 s) of the shipped set, over the candidate's 300 s.</summary>
    ThresholdCall,

    /// <summary>A 25-minute call from a listed number, then, 2 s after it ended, 80,000 RMB to a listed account: alerts under both sets.</summary>
    ListedCallThenMule,

    /// <summary>A 450 s overseas call, then 80,000 RMB to a new payee 2 s after it ended: R07 needs the call to be suspicious.</summary>
    ThresholdCallThenTransfer,
}

/// <summary>
/// One victim's scripted scenario (a fresh number outside the simulated city, unregistered) with the alert versions each set gives, as
/// "version severity rules". Shared by <c>RuleSetSwitchStreamTests</c> and the end-to-end hot reload test (which links this file).
/// </summary>
internal sealed record StreamScenario(int Index, StreamScenarioKind Kind, string Victim, IReadOnlyList<(string Topic, string Json, long Ts)> Events)
{
    /// <summary>The shipped file (rules/default.yaml) with R01's single-call threshold lowered from 600 s to 300 s.</summary>
    public static string R01At300sYaml
    {
        get
        {
            const string R01 = "name: OVERSEAS_LONG_CALL\n    typology: IMPERSONATE_AUTHORITY\n    severity: L3\n    enabled: true\n    params:\n      min_call: ";
            var yaml = File.ReadAllText(Path.Combine(RepoPaths.Root, "rules", "default.yaml"));
            Assert.Equal(yaml.IndexOf(R01 + "600s", StringComparison.Ordinal), yaml.LastIndexOf(R01, StringComparison.Ordinal));
            return yaml.Replace(R01 + "600s", R01 + "300s", StringComparison.Ordinal);
        }
    }

    /// <summary>Builds scenario <paramref name="index"/> (kinds rotate) whose call ends at <paramref name="callEndMs"/>.</summary>
    public static StreamScenario Create(int index, long callEndMs, string fraudster, string mule)
    {
        var kind = (StreamScenarioKind)(index % 3);
        var victim = "86139" + (10_000_000 + index).ToString(CultureInfo.InvariantCulture);
        var id = $"sw-{index}";
        List<(string, string, long)> events = kind switch
        {
            StreamScenarioKind.ThresholdCall => [Call(id + "-c", "+12025550142", victim, callEndMs, 450)],
            StreamScenarioKind.ListedCallThenMule => [Call(id + "-c", fraudster, victim, callEndMs, 1500), Transfer(id + "-t", victim, mule, callEndMs + 2_000)],
            _ => [Call(id + "-c", "+12025550142", victim, callEndMs, 450), Transfer(id + "-t", victim, "6222000077" + index.ToString("D6", CultureInfo.InvariantCulture), callEndMs + 2_000)],
        };
        return new StreamScenario(index, kind, victim, events);
    }

    /// <summary>The alert versions ("version severity rules") the scenario gives under the shipped set or the candidate.</summary>
    public IReadOnlyList<string> Expected(bool after) => (Kind, after) switch
    {
        (StreamScenarioKind.ThresholdCall, false) => [],
        (StreamScenarioKind.ThresholdCall, true) => ["1 L3 R01"],
        (StreamScenarioKind.ListedCallThenMule, _) => ["1 L2 R01,R02", "2 L1 R01,R02,R07,R08"],
        (StreamScenarioKind.ThresholdCallThenTransfer, false) => [],
        (StreamScenarioKind.ThresholdCallThenTransfer, true) => ["1 L3 R01", "2 L1 R01,R07"],
        _ => throw new ArgumentOutOfRangeException(nameof(after)),
    };

    /// <summary>An alert version as "version severity rules".</summary>
    public static string Describe(Alert alert) =>
        string.Create(CultureInfo.InvariantCulture, $"{alert.Version} {alert.Severity} {string.Join(',', alert.RuleIds)}");

    /// <summary>A watchlist record listing a number (CONFIRMED).</summary>
    public static string ListedNumberJson(string msisdn) =>
        $$"""{"key_type":"MSISDN","key":"{{msisdn}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}""";

    /// <summary>A watchlist record listing an account (CONFIRMED).</summary>
    public static string ListedAccountJson(string account) =>
        $$"""{"key_type":"ACCOUNT","key":"{{account}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}""";

    // The call record is stamped when the call ends; a transfer when it is made.
    private static (string, string, long) Call(string id, string from, string to, long endMs, int seconds) =>
        (Topics.Calls, $$"""{"event_id":"{{id}}","calling":"{{from}}","called":"{{to}}","direction":"IN","start_ms":{{endMs - (seconds * 1000L)}},"end_ms":{{endMs}},"duration_s":{{seconds}},"answered":true,"origin":"INTERNATIONAL"}""", endMs);

    private static (string, string, long) Transfer(string id, string payer, string payee, long tsMs) =>
        (Topics.Txns, $$"""{"txn_id":"{{id}}","ts_ms":{{tsMs}},"type":"TRANSFER","payer":{"account":"ACC-{{payer}}","msisdn":"{{payer}}"},"payee":{"account":"{{payee}}","kind":"PERSON"},"amount_minor":8000000,"currency":"CNY"}""", tsMs);
}
