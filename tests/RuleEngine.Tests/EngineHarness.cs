using System.Text;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests;

/// <summary>Collects emitted alerts (unit tests only; production emits to fs.alerts).</summary>
internal sealed class ListSink : IAlertSink
{
    public List<Alert> Alerts { get; } = [];

    public void Emit(Alert alert) => Alerts.Add(alert);
}

/// <summary>
/// An engine on real FASTER stores in a temporary folder, fed through the same dispatcher and table applier as the
/// Kafka loop. Scenario lines are <c>{"topic": "fs.calls", "event": {...}}</c>.
/// </summary>
internal sealed class EngineHarness : IDisposable
{
    public const long T0 = 1_790_000_000_000; // 2026-09-21, a fixed event-time origin.
    public const long Minute = 60_000;
    public const long Hour = 60 * Minute;

    private readonly EngineStores _stores;
    private readonly TableApplier _tables;
    private readonly EventDispatcher _dispatcher;

    public EngineHarness(RulePackOptions? rules = null, string? directory = null, Func<EngineStores, CheckpointManifest?>? recover = null, IRebateRouter? rebates = null)
    {
        _stores = new EngineStores(new FasterStoreOptions { Directory = directory, IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20 });
        Recovered = recover?.Invoke(_stores);
        _tables = new TableApplier(_stores);
        Core = new EngineCore(_stores, rules ?? new RulePackOptions(), Sink, rebates: rebates);
        _dispatcher = new EventDispatcher(Core, new EventParser());
    }

    public ListSink Sink { get; } = new();

    public EngineStores Stores => _stores;

    public CheckpointManifest? Recovered { get; }

    public EngineCore Core { get; }

    public IReadOnlyList<Alert> Alerts => Sink.Alerts;

    public void Feed(string topic, string json, long kafkaTimestampMs = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        ParseError error;
        bool ok;
        switch (topic)
        {
            case Topics.Watchlist:
                ok = _tables.ApplyWatchlist(default, bytes, tombstone: false, out error);

                break;
            case Topics.Registry:
                ok = _tables.ApplyRegistry(bytes, tombstone: false, out error);
                break;
            default:
                Assert.True(EventDispatcher.TryGetTopic(topic, out var eventTopic), $"unknown topic {topic}");
                ok = _dispatcher.TryProcess(eventTopic, bytes, kafkaTimestampMs, out error);
                break;
        }

        Assert.True(ok, $"{topic} record rejected: {error}: {json}");
    }

    /// <summary>Feeds one binary record of an engine input (fs.rebates) through the dispatcher; false with the reason when refused.</summary>
    public bool FeedRecord(string topic, byte[] value, long kafkaTimestampMs, out ParseError error)
    {
        Assert.True(EventDispatcher.TryGetTopic(topic, out var inputTopic), $"unknown topic {topic}");
        return _dispatcher.TryProcess(inputTopic, value, kafkaTimestampMs, out error);
    }

    /// <summary>
    /// Feeds a scenario file (JSONL, one <c>{"topic", "event"}</c> per line, optionally <c>"kafka_ts"</c>; '#' lines are
    /// comments; <c>{"expect": ...}</c> lines are checked by <see cref="ScenarioFile"/> and skipped here).
    /// </summary>
    public void FeedFile(string name)
    {
        foreach (var line in ScenarioFile.Read(name))
        {
            if (line.Kind == ScenarioLineKind.Event)
            {
                Feed(line.Topic, line.Json, line.KafkaTimestampMs);
            }
        }
    }

    public void RemoveWatch(string recordKey) =>
        Assert.True(_tables.ApplyWatchlist(Encoding.UTF8.GetBytes(recordKey), default, tombstone: true, out var error), error.ToString());

    // Event builders with DOMAIN.md field names; only what a test varies is a parameter.
    public void Resident(string msisdn, string station = "S01", string grid = "S01-G01", int birthYear = 1980, string account = "") =>
        Feed(Topics.Registry, $$"""{"person_id":"P-{{msisdn}}","msisdns":["{{msisdn}}"],"accounts":[{{(account.Length > 0 ? $"\"{account}\"" : "")}}],"birth_year":{{birthYear}},"station_id":"{{station}}","beat_id":"{{station}}-B1","grid_id":"{{grid}}","grid_worker_id":"W-{{grid}}"}""");

    public void ListNumber(string msisdn, string typology = "IMPERSONATE_AUTHORITY") =>
        Feed(Topics.Watchlist, $$"""{"key_type":"MSISDN","key":"{{msisdn}}","level":"CONFIRMED","typology":"{{typology}}"}""");

    public void ListAccount(string account, string typology = "IMPERSONATE_AUTHORITY") =>
        Feed(Topics.Watchlist, $$"""{"key_type":"ACCOUNT","key":"{{account}}","level":"CONFIRMED","typology":"{{typology}}"}""");

    public void Call(string id, string from, string to, long startMs, int seconds, string origin = "INTERNATIONAL", bool answered = true, string direction = "IN") =>
        Feed(Topics.Calls, $$"""{"event_id":"{{id}}","calling":"{{from}}","called":"{{to}}","direction":"{{direction}}","start_ms":{{startMs}},"end_ms":{{startMs + (seconds * 1000L)}},"duration_s":{{seconds}},"answered":{{(answered ? "true" : "false")}},"origin":"{{origin}}"}""", startMs + (seconds * 1000L));

    public void Transfer(string id, string payerMsisdn, string payeeAccount, long tsMs, long amountMinor, string type = "TRANSFER", long? balanceAfter = null) =>
        Feed(Topics.Txns, $$"""{"txn_id":"{{id}}","ts_ms":{{tsMs}},"type":"{{type}}","payer":{"account":"ACC-{{payerMsisdn}}","msisdn":"{{payerMsisdn}}"},"payee":{"account":"{{payeeAccount}}","kind":"PERSON"},"amount_minor":{{amountMinor}},"currency":"CNY"{{(balanceAfter is { } b ? $",\"payer_balance_after_minor\":{b}" : "")}}}""", tsMs);

    public void Device(string id, string msisdn, long tsMs, string type, string? category = null, bool onCall = false) =>
        Feed(Topics.Signals, $$"""{"kind":"device","event_id":"{{id}}","msisdn":"{{msisdn}}","device_id":"D-{{msisdn}}","ts_ms":{{tsMs}},"type":"{{type}}"{{(category is null ? "" : $",\"app_category\":\"{category}\"")}},"on_call":{{(onCall ? "true" : "false")}}}""", tsMs);

    /// <summary>The shipped rule file (rules/default.yaml), compiled.</summary>
    public static RulePackOptions DefaultPack { get; } = RuleFile.Load(Path.Combine(AppContext.BaseDirectory, "rules", "default.yaml")).Options;

    public void Sms(string id, string from, string to, long tsMs) =>
        Feed(Topics.Signals, $$"""{"event_id":"{{id}}","sender":"{{from}}","receiver":"{{to}}","ts_ms":{{tsMs}},"sender_class":"INTERNATIONAL"}""", tsMs);

    public void Dispose()
    {
        Core.Dispose();
        _tables.Dispose();
        _stores.Dispose();
    }
}
