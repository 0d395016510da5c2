using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.Benchmarks;

/// <summary>
/// The full rule pack per event, JSON in: <see cref="EventDispatcher.TryProcess"/> (parse + R01/R02/R07/R08 with
/// FASTER reads and writes of party state) over a rotating array of <see cref="CitySimulator"/> events, with realistic
/// tables: 10 M watchlist entries (5 M numbers, 5 M mule accounts, the top of DOMAIN.md's 10^5-10^7) and 1 M registered
/// residents (a district). The baseline is a
/// bare <see cref="Utf8JsonReader"/> scan of the same messages. Setup checks the seed scenario raises its L1 alert at
/// the victim's home station and that a pass over the benign events raises none. Each pass gives every event a new id
/// (the last characters of its id, rewritten in place): the engine applies an event id once per party, so the same
/// bytes replayed would measure the duplicate check instead of the rules. The lateness is the largest a rule file
/// allows, so the passes (all within 82 s of event time) and the scenario events (stamped up to 26 min earlier) are
/// all judged. As in the engine worker, the passes judge events in batches of the stores' sessions
/// (<see cref="EngineCore.BeginBatch"/>, a new one every <see cref="EngineWorker.MaxBatch"/> events).
/// </summary>
[BenchmarkCategory("engine")]
public class EngineBenchmarks : IDisposable
{
    internal const int Events = 4096;

    private readonly CountingSink _sink = new();
    private EngineStores? _stores;
    private EngineCore? _core;
    private EventDispatcher? _dispatcher;
    private VerdictHints? _hints;
    private Message[] _benign = [];
    private Message[] _mixed = [];
    private Message[][] _cold = [];
    private readonly byte[] _coldArena = new byte[EngineWorker.MaxBatch * 1024];
    private readonly int[] _coldEnds = new int[EngineWorker.MaxBatch];
    private int _coldNext;
    private int _coldScanNext;
    private int _pass;

    /// <summary>Slices of <see cref="Events"/> benign events in the cold pool (<see cref="BenignCold"/>).</summary>
    internal const int ColdSlices = 64;

    // Rounds over the cold pool before the round that must raise no alert (see Setup).
    private const int ColdSettleRounds = 5;

    internal const int Residents = 1_000_000;
    internal const int ListedNumbers = 5_000_000;
    internal const int ListedAccounts = 5_000_000;

    [GlobalSetup]
    public void Setup()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cityOptions = new CityOptions { Residents = Residents, ListedNumbers = ListedNumbers, ListedAccounts = ListedAccounts };
        var city = new CitySimulator(cityOptions, seed: 42);

        // Each store's index sized for its own keys, as the product sizes them; the log memory holds the whole watchlist.
        _stores = new EngineStores(WatchlistFixture.Options(ListedNumbers + ListedAccounts), StoreCapacity.ForCity(cityOptions));
        using (var tables = new TableApplier(_stores))
        {
            foreach (var record in city.Register().Concat(city.Watchlist()))
            {
                var ok = record.Topic == Topics.Registry
                    ? tables.ApplyRegistry(record.Value, tombstone: false, out var error)
                    : tables.ApplyWatchlist(record.Key, record.Value, tombstone: false, out error);
                WatchlistFixture.Check(ok, $"table record rejected: {error}");
            }
        }

        WatchlistFixture.Check(_stores.Watchlist.Count == ListedNumbers + ListedAccounts, $"watchlist holds {_stores.Watchlist.Count}");
        WatchlistFixture.Check(_stores.Register.SubjectsApplied == Residents, $"register holds {_stores.Register.SubjectsApplied}");
        _core = new EngineCore(_stores, new RulePackOptions { Lateness = RulePackOptions.MaxLateness }, _sink);
        _dispatcher = new EventDispatcher(_core, new EventParser());
        _hints = new VerdictHints(_stores, ParserOptions.Default);

        // The seed scenario must end in an L1 alert (R07 + R08) routed to the victim's home station.
        var scenario = city.NextScenario(CannedEvents.T0 - (24 * 3600_000L));
        foreach (var record in scenario.Records)
        {
            Process(new Message(record), expectAlert: true);
        }

        var alert = _sink.Last!;
        WatchlistFixture.Check(alert.Severity == Severity.L1, $"seed scenario alert is {alert.Severity}");
        WatchlistFixture.Check(alert.RuleIds.Contains("R07") && alert.RuleIds.Contains("R08"), "seed scenario alert lacks R07/R08");
        WatchlistFixture.Check(alert.Home.StationId == scenario.StationId, $"alert routed to {alert.Home.StationId}, expected {scenario.StationId}");

        // Benign traffic: 80 % calls, 8 % SMS, 12 % transfers between residents. Mixed: 1 pair in every 64 events (2 events in 64) is a scenario's, each event raising an alert.
        _benign = new Message[Events];
        _mixed = new Message[Events];
        for (var i = 0; i < Events; i++)
        {
            _benign[i] = new Message(city.NextBenign(CannedEvents.T0 + (i * 20L)));
        }

        for (var i = 0; i < Events; i += 2)
        {
            var pair = i % 64 == 0 ? city.NextScenario(CannedEvents.T0 + (i * 20L)).Records : null;
            _mixed[i] = pair is null ? _benign[i] : new Message(pair[0]);
            _mixed[i + 1] = pair is null ? _benign[i + 1] : new Message(pair[1]);
        }

        // Replaying the same benign events can sum a party's international minutes past R01's threshold once; let
        // that settle, then require a pass without alerts so the measured benign path is the no-alert path.
        for (var pass = 0; pass < 3; pass++)
        {
            Benign();
        }

        var before = _sink.Count;
        Benign();
        WatchlistFixture.Check(_sink.Count == before, $"a benign pass raised {_sink.Count - before} alerts");

        // The cold pool: 64 slices of benign events over the whole city, 10 ms apart after the sets above (43.7 minutes
        // in all, inside the 1 h lateness when a pass goes back to the first slice), international calls left out:
        // going back 43.7 minutes of event time round after round re-opens R01's summing windows, which time never
        // does. Judged ColdSettleRounds times over to settle as above, then once more without alerts.
        _cold = new Message[ColdSlices][];
        for (var s = 0; s < ColdSlices; s++)
        {
            _cold[s] = new Message[Events];
            for (var i = 0; i < Events;)
            {
                var record = city.NextBenign(CannedEvents.T0 + (Events * 20L) + ((((long)s * Events) + i) * 10L));
                if (record.Value.AsSpan().IndexOf("\"origin\":\"INTERNATIONAL\""u8) < 0)
                {
                    _cold[s][i++] = new Message(record);
                }
            }
        }

        WatchlistFixture.Check(_cold.All(slice => slice.All(m => m.Value.Length <= _coldArena.Length / EngineWorker.MaxBatch)), "a cold event is larger than its share of the arena");
        for (var pass = 0; pass < ColdSettleRounds * ColdSlices; pass++)
        {
            BenignCold();
        }

        before = _sink.Count;
        for (var pass = 0; pass < ColdSlices; pass++)
        {
            BenignColdWithoutPrefetch();
        }

        WatchlistFixture.Check(_sink.Count == before, $"the cold pool raised {_sink.Count - before} alerts (the last: {string.Join('+', _sink.Last!.RuleIds)})");
        Console.WriteLine(
            $"// engine setup: watchlist {_stores.Watchlist.Count:N0}, register {_stores.Register.SubjectsApplied:N0}, " +
            $"party log {_stores.Parties.LogRecords / 1e6:F1} MB, pair log {_stores.Pairs.LogRecords / 1e6:F1} MB, alerts so far {_sink.Count}, {clock.Elapsed.TotalSeconds:F1} s");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _core?.Dispose();
        _stores?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Bare JSON scan of the benign messages: the floor for any parser.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int ReaderScan() => Scan(_benign);

    /// <summary>
    /// Bare JSON scan of the cold pool, one slice per pass in the same rotation as <see cref="BenignCold"/>: the same
    /// events read from the same place (memory, not the cache), so the ratio of the two is the engine's cost over
    /// reading the events themselves at city scale.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Events)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int ReaderScanCold() => Scan(_cold[_coldScanNext++ % ColdSlices]);

    private static int Scan(Message[] messages)
    {
        var tokens = 0;
        foreach (var message in messages)
        {
            var reader = new Utf8JsonReader(message.Value);
            while (reader.Read())
            {
                tokens++;
            }
        }

        WatchlistFixture.Check(tokens > Events * 10, "scan read too few tokens");
        return tokens;
    }

    /// <summary>The full pack on benign traffic: every watchlist lookup misses, no alert.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public long Benign()
    {
        var dispatcher = _dispatcher!;
        NewIds(_benign);
        for (var i = 0; i < _benign.Length; i++)
        {
            InBatches(i);
            var message = _benign[i];
            if (!dispatcher.TryProcess(message.Topic, message.Value, message.TimestampMs, out var error))
            {
                Fail(error);
            }
        }

        _core!.EndBatch();
        return _core.EventsProcessed;
    }

    /// <summary>
    /// Benign traffic over the city rather than over one set of 4,096 events that stays in the cache: each pass judges
    /// the next of <see cref="ColdSlices"/> slices (262,144 events over 1 M residents), so a party's index bucket and a
    /// caller's watchlist filter block are DRAM misses, as at a node's steady state. As the engine worker does, each
    /// batch's records are handed over one by one with their <see cref="VerdictHints"/> and judged afterwards.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Events)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public long BenignCold() => Cold(prefetch: true);

    /// <summary><see cref="BenignCold"/> without the hints: what they save.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public long BenignColdWithoutPrefetch() => Cold(prefetch: false);

    // As the worker: the poll hands over each record of a batch (hints given, then the record copied, as the merge
    // copies it), then the batch is judged from the copies. Both kinds copy, so reading each cold event's bytes from
    // memory once is in both; only the hints differ.
    private long Cold(bool prefetch)
    {
        var dispatcher = _dispatcher!;
        var core = _core!;
        var hints = _hints!;
        var arena = _coldArena;
        var ends = _coldEnds;
        var messages = _cold[_coldNext++ % ColdSlices];
        NewIds(messages);
        for (var start = 0; start < messages.Length; start += EngineWorker.MaxBatch)
        {
            var end = Math.Min(messages.Length, start + EngineWorker.MaxBatch);
            var at = 0;
            for (var i = start; i < end; i++)
            {
                var message = messages[i];
                if (prefetch)
                {
                    hints.Give(message.Topic, message.Key, message.Value);
                }

                message.Value.CopyTo(arena, at);
                at += message.Value.Length;
                ends[i - start] = at;
            }

            if (prefetch)
            {
                hints.FollowUp();
            }

            core.BeginBatch();
            at = 0;
            for (var i = start; i < end; i++)
            {
                var message = messages[i];
                var value = arena.AsSpan(at, ends[i - start] - at);
                at = ends[i - start];
                if (!dispatcher.TryProcess(message.Topic, value, message.TimestampMs, out var error))
                {
                    Fail(error);
                }
            }

            core.EndBatch();
        }

        return core.EventsProcessed;
    }

    /// <summary>Benign traffic with one seed-scenario pair (call, transfer) in every 64 events, each raising an alert: alerts (and their allocations) included.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long Mixed()
    {
        var dispatcher = _dispatcher!;
        var alerts = _sink.Count;
        NewIds(_mixed);
        for (var i = 0; i < _mixed.Length; i++)
        {
            InBatches(i);
            var message = _mixed[i];
            if (!dispatcher.TryProcess(message.Topic, message.Value, message.TimestampMs, out var error))
            {
                Fail(error);
            }
        }

        _core!.EndBatch();
        WatchlistFixture.Check(_sink.Count > alerts, "mixed pass raised no alert");
        return _core!.EventsProcessed;
    }

    /// <summary>
    /// <see cref="Mixed"/> with each scenario event timed on its own (for <c>engine-loop</c>'s <c>split</c> kind):
    /// adds the wall-clock ticks of the scenario calls, the scenario transfers and the benign events to <paramref name="ticks"/>
    /// [0], [1] and [2].
    /// </summary>
    internal long MixedSplit(long[] ticks)
    {
        var dispatcher = _dispatcher!;
        NewIds(_mixed);
        var benignStart = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < _mixed.Length; i++)
        {
            InBatches(i);
            var message = _mixed[i];
            var scenario = i % 64 < 2;
            var start = scenario ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            if (scenario)
            {
                ticks[2] += start - benignStart;
            }

            if (!dispatcher.TryProcess(message.Topic, message.Value, message.TimestampMs, out var error))
            {
                Fail(error);
            }

            if (scenario)
            {
                benignStart = System.Diagnostics.Stopwatch.GetTimestamp();
                ticks[i % 64] += benignStart - start;
            }
        }

        ticks[2] += System.Diagnostics.Stopwatch.GetTimestamp() - benignStart;
        _core!.EndBatch();
        return _core.EventsProcessed;
    }

    // As the engine worker does, events are judged in batches of the stores' sessions, a new one every
    // EngineWorker.MaxBatch events (the worker's batches are a poll's records, up to that many).
    private void InBatches(int i)
    {
        if (i % EngineWorker.MaxBatch == 0)
        {
            _core!.EndBatch();
            _core.BeginBatch();
        }
    }

    // Rewrites the last (up to) 4 characters of every event's id with the pass number in hex.
    private void NewIds(Message[] messages)
    {
        var pass = ++_pass;
        foreach (var message in messages)
        {
            var end = message.IdEnd;
            for (var i = 1; i <= 4 && message.Value[end - i] != (byte)'"'; i++)
            {
                message.Value[end - i] = (byte)"0123456789abcdef"[(pass >> (4 * (i - 1))) & 0xF];
            }
        }
    }

    private void Process(Message message, bool expectAlert)
    {
        var before = _sink.Count;
        if (!_dispatcher!.TryProcess(message.Topic, message.Value, message.TimestampMs, out var error))
        {
            Fail(error);
        }

        WatchlistFixture.Check(!expectAlert || _sink.Count > before, "scenario event raised no alert");
    }

    private static void Fail(ParseError error) => throw new InvalidOperationException($"event rejected: {error}");

    private readonly record struct Message(EventTopic Topic, byte[] Key, byte[] Value, long TimestampMs, int IdEnd)
    {
        public Message(SimRecord record)
            : this(TopicOf(record.Topic), record.Key, record.Value, TimestampOf(record.Value), IdEndOf(record.Value))
        {
        }

        // The index of the closing quote of the event's id (event_id, or txn_id for a transaction).
        private static int IdEndOf(byte[] json)
        {
            var span = json.AsSpan();
            var at = span.IndexOf("\"event_id\":\""u8);
            var start = at >= 0 ? at + 12 : span.IndexOf("\"txn_id\":\""u8) + 10;
            return start + span[start..].IndexOf((byte)'"');
        }

        private static EventTopic TopicOf(string name) =>
            EventDispatcher.TryGetTopic(name, out var topic) ? topic : throw new InvalidOperationException("not an event topic: " + name);

        private static long TimestampOf(byte[] json)
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            return root.TryGetProperty("end_ms", out var end) ? end.GetInt64() : root.GetProperty("ts_ms").GetInt64();
        }
    }

    private sealed class CountingSink : IAlertSink
    {
        public long Count { get; private set; }

        public Alert? Last { get; private set; }

        public void Emit(Alert alert)
        {
            Count++;
            Last = alert;
        }
    }
}
