using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;

namespace FraudShield.EndToEnd.Tests;

/// <summary>DOMAIN.md JSON events for the end-to-end scenarios.</summary>
internal static class Events
{
    /// <summary>Produces a record with a UTF-8 key and value (an event, a table record) and waits for its acknowledgement.</summary>
    public static Task<DeliveryResult<byte[], byte[]>> ProduceAsync(IProducer<byte[], byte[]> producer, string topic, string key, string value) =>
        producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = Encoding.UTF8.GetBytes(value) });

    /// <summary>
    /// The tables of the listed-caller-then-mule scenario: each victim in the register (person P-i, home station
    /// <paramref name="stationOf"/>(i), its grid G01), the fraudster's number and the mule's account on the watchlist.
    /// </summary>
    public static async Task ProduceScenarioTablesAsync(IProducer<byte[], byte[]> producer, IReadOnlyList<string> victims, Func<int, string> stationOf, string fraudster, string mule)
    {
        for (var i = 0; i < victims.Count; i++)
        {
            await ProduceAsync(producer, Topics.Registry, $"P-{i}", Subject($"P-{i}", "+" + victims[i], stationOf(i), stationOf(i) + "-G01"));
        }

        await ProduceAsync(producer, Topics.Watchlist, "MSISDN:+" + fraudster, ListedNumber(fraudster));
        await ProduceAsync(producer, Topics.Watchlist, "ACCOUNT:" + mule, ListedAccount(mule));
    }

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
