namespace FraudShield.EndToEnd.Tests;

/// <summary>DOMAIN.md JSON events for the end-to-end scenarios.</summary>
internal static class Events
{
    public static string Subject(string person, string msisdn, string station, string grid, string? account = null) =>
        $$"""{"person_id":"{{person}}","msisdns":["{{msisdn}}"],"accounts":[{{(account is null ? "" : $"\"{account}\"")}}],"birth_year":1950,"flags":["elderly"],"station_id":"{{station}}","beat_id":"{{station}}-B1","grid_id":"{{grid}}","grid_worker_id":"W-{{grid}}","family_msisdns":[]}""";

    public static string OverseasCall(string id, string from, string to, long endMs) =>
        $$"""{"event_id":"{{id}}","call_id":"{{id}}","calling":"{{from}}","called":"{{to}}","direction":"IN","start_ms":{{endMs - 1_500_000}},"end_ms":{{endMs}},"duration_s":1500,"answered":true,"origin":"INTERNATIONAL","origin_country":"GB"}""";

    public static string Transfer(string id, string payer, string payee, long tsMs, long amountMinor = 8_000_000, string? payerAccount = null) =>
        $$"""{"txn_id":"{{id}}","ts_ms":{{tsMs}},"type":"TRANSFER","payer":{"account":"{{payerAccount ?? "ACC-" + payer}}","msisdn":"{{payer}}"},"payee":{"account":"{{payee}}","kind":"PERSON"},"amount_minor":{{amountMinor}},"currency":"CNY"}""";

    public static string ListedNumber(string msisdn) =>
        $$"""{"key_type":"MSISDN","key":"+{{msisdn}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}""";

    public static string ListedAccount(string account) =>
        $$"""{"key_type":"ACCOUNT","key":"{{account}}","level":"CONFIRMED","typology":"IMPERSONATE_AUTHORITY"}""";
}
