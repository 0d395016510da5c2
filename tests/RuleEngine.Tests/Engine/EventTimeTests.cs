using System.Text;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>Lateness (the watermark, <see cref="RejectReason.Late"/>) and duplicate delivery, one behaviour at a time.</summary>
public sealed class EventTimeTests
{
    private const string Victim = "8613800000044";
    private const string Mule = "6222880000000044";
    private const long Lateness = 2 * Minute;

    private static string Txn(string id, long tsMs, long amountMinor = 2_000_000, string payee = Mule) =>
        $$"""{"txn_id":"{{id}}","ts_ms":{{tsMs}},"type":"TRANSFER","payer":{"account":"ACC-{{Victim}}","msisdn":"{{Victim}}"},"payee":{"account":"{{payee}}","kind":"PERSON"},"amount_minor":{{amountMinor}},"currency":"CNY"}""";

    private static string Call(string id, long startMs, int seconds) =>
        $$"""{"event_id":"{{id}}","calling":"+12025550144","called":"{{Victim}}","direction":"IN","start_ms":{{startMs}},"end_ms":{{startMs + (seconds * 1000L)}},"duration_s":{{seconds}},"answered":true,"origin":"INTERNATIONAL"}""";

    private static string Device(string id, long tsMs, string type = "SCREEN_SHARE_START") =>
        $$"""{"kind":"device","event_id":"{{id}}","msisdn":"{{Victim}}","device_id":"D-44","ts_ms":{{tsMs}},"type":"{{type}}","on_call":false}""";

    private static bool TryFeed(EngineHarness engine, EventTopic topic, string json, out ParseError error, long kafkaTimestampMs = 0) =>
        new EventDispatcher(engine.Core, new EventParser()).TryProcess(topic, Encoding.UTF8.GetBytes(json), kafkaTimestampMs, out error);

    [Fact]
    public void TryProcess_OlderThanWatermarkMinusLateness_RejectedLateNotAppliedAndCounted()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListAccount(Mule);
        engine.Feed(Topics.Txns, Txn("t-new", T0 + (10 * Minute)));

        Assert.False(TryFeed(engine, EventTopic.Txns, Txn("t-old", T0 + (10 * Minute) - Lateness - 1), out var error));

        Assert.Equal(RejectReason.Late, error.Reason);
        Assert.Equal("ts_ms", error.Field);
        Assert.Equal(1, engine.Core.EventsLate);
        Assert.Equal(T0 + (10 * Minute), engine.Core.WatermarkMs);
        Assert.Single(engine.Alerts); // t-new's R08 only: the late transfer was not judged
        Assert.Equal(1, engine.Core.EventsProcessed);
    }

    [Fact]
    public void TryProcess_OutOfOrderWithinLateness_Applied()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListAccount(Mule);
        engine.Feed(Topics.Txns, Txn("t-new", T0 + (10 * Minute)));

        Assert.True(TryFeed(engine, EventTopic.Txns, Txn("t-older", T0 + (10 * Minute) - Lateness), out _));

        Assert.Equal(0, engine.Core.EventsLate);
        Assert.Equal(2, engine.Alerts.Count);
    }

    [Fact]
    public void TryProcess_LongCallRecord_JudgedLateByItsEndNotItsStart()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Feed(Topics.Signals, Device("d1", T0 + (30 * Minute), "ACCESSIBILITY_ON"));

        // A 25-minute call that ended a minute ago is on time (its record exists only at its end)...
        Assert.True(TryFeed(engine, EventTopic.Calls, Call("c-long", T0 + (4 * Minute), 25 * 60), out _));

        // ...one that ended more than the lateness ago is not, and reports the field that made it late.
        Assert.False(TryFeed(engine, EventTopic.Calls, Call("c-old", T0, (27 * 60) + 59), out var error));
        Assert.Equal(RejectReason.Late, error.Reason);
        Assert.Equal("end_ms", error.Field);

        // A call moves the watermark to its start, so an event during it that arrives after the record is on time.
        Assert.Equal(T0 + (30 * Minute), engine.Core.WatermarkMs);
    }

    [Fact]
    public void Watermark_EventStampedInTheFuture_CappedAtKafkaTimestampPlusLateness()
    {
        using var engine = new EngineHarness(DefaultPack);

        Assert.True(TryFeed(engine, EventTopic.Txns, Txn("t-future", T0 + (24 * Hour)), out _, kafkaTimestampMs: T0));

        Assert.Equal(T0 + Lateness, engine.Core.WatermarkMs);
        Assert.True(TryFeed(engine, EventTopic.Txns, Txn("t-now", T0 + Minute), out _, kafkaTimestampMs: T0 + Minute));
    }

    [Fact]
    public void Lateness_SetByRuleFile_UsedByTheEngine()
    {
        Assert.True(RuleFile.TryParse("rules/x.yaml", "lateness: 30s\nrules:\n  - id: R08\n    name: PAY_TO_WATCHLISTED_ACCOUNT\n    severity: L2\n    enabled: true\n", out var set, out var errors), string.Join("\n", errors));
        Assert.Equal(TimeSpan.FromSeconds(30), set!.Options.Lateness);
        using var engine = new EngineHarness(set.Options);
        engine.Feed(Topics.Txns, Txn("t1", T0 + Minute));

        Assert.True(TryFeed(engine, EventTopic.Txns, Txn("t2", T0 + 30_000), out _));
        Assert.False(TryFeed(engine, EventTopic.Txns, Txn("t3", T0 + 29_999), out var error));
        Assert.Equal(RejectReason.Late, error.Reason);
    }

    [Theory]
    [InlineData("lateness: 2h", "rules/x.yaml:1: lateness: out of range: at most 60m (events are judged at once; a longer lateness only keeps more late events), got \"2h\"")]
    [InlineData("lateness: soon", "rules/x.yaml:1: lateness: expected a duration like 600s, 30m, 2h or 30d, got \"soon\"")]
    [InlineData("lateness: 0s", "rules/x.yaml:1: lateness: out of range: a duration must be positive, got \"0s\"")]
    public void Lateness_InvalidInRuleFile_RefusedNamingFileLineAndField(string line, string expected)
    {
        Assert.False(RuleFile.TryParse("rules/x.yaml", line + "\nrules: []\n", out _, out var errors));

        Assert.Equal(expected, Assert.Single(errors).ToString());
    }

    [Fact]
    public void Lateness_ShippedPack_TwoMinutes()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), DefaultPack.Lateness);
        Assert.Equal(TimeSpan.FromMinutes(2), new RulePackOptions().Lateness);
    }

    [Fact]
    public void Watermark_AfterCheckpointRecovery_StillRejectsLateEvents()
    {
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        using (var before = new EngineHarness(DefaultPack, directory: dir.Path))
        {
            before.Feed(Topics.Txns, Txn("t1", T0 + (10 * Minute)));
            checkpoints.Commit(Manifest(before), before.Stores);
        }

        using var after = new EngineHarness(DefaultPack, directory: dir.Path, recover: checkpoints.Recover);

        Assert.Equal(T0 + (10 * Minute), after.Core.WatermarkMs);
        Assert.False(TryFeed(after, EventTopic.Txns, Txn("t0", T0), out var error));
        Assert.Equal(RejectReason.Late, error.Reason);
    }

    [Fact]
    public void Duplicate_SameTransferTwice_AppliedOnce()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.ListAccount(Mule);

        engine.Feed(Topics.Txns, Txn("t1", T0));
        engine.Feed(Topics.Txns, Txn("t1", T0));

        Assert.Single(engine.Alerts);
        Assert.Equal(1, engine.Core.DuplicatesIgnored);
        Assert.True(engine.Core.TryGetParty(ulong.Parse(Victim, System.Globalization.CultureInfo.InvariantCulture), out var state));
        Assert.Equal(2_000_000, state.DrainOutMinor);
    }

    [Fact]
    public void Duplicate_AfterCheckpointRecovery_StillRecognised()
    {
        using var dir = new TempDirectory();
        var checkpoints = new EngineCheckpoints(Path.Combine(dir.Path, "checkpoints"));
        using (var before = new EngineHarness(DefaultPack, directory: dir.Path))
        {
            before.ListAccount(Mule);
            before.Feed(Topics.Txns, Txn("t1", T0));
            checkpoints.Commit(Manifest(before), before.Stores);
        }

        using var after = new EngineHarness(DefaultPack, directory: dir.Path, recover: checkpoints.Recover);
        after.ListAccount(Mule);
        after.Feed(Topics.Txns, Txn("t1", T0));

        Assert.Empty(after.Alerts);
        Assert.Equal(1, after.Core.DuplicatesIgnored);
    }

    [Theory]
    [InlineData(RecentEventHashes.Length - 1, true)]
    [InlineData(RecentEventHashes.Length, false)]
    public void Duplicate_AfterOtherEventsOfTheParty_RecognisedWhileAmongTheLastEight(int eventsBetween, bool recognised)
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Feed(Topics.Txns, Txn("t0", T0, amountMinor: 100));
        for (var i = 1; i <= eventsBetween; i++)
        {
            engine.Feed(Topics.Txns, Txn($"t{i}", T0 + (i * 1000), amountMinor: 100, payee: $"62220000000001{i:D2}"));
        }

        engine.Feed(Topics.Txns, Txn("t0", T0, amountMinor: 100));

        Assert.Equal(recognised ? 1 : 0, engine.Core.DuplicatesIgnored);
    }

    [Fact]
    public void Duplicate_SameIdOfAnotherEventKind_NotADuplicate()
    {
        using var engine = new EngineHarness(DefaultPack);
        engine.Feed(Topics.Signals, Device("x1", T0, "POWER_OFF"));
        engine.Feed(Topics.Txns, Txn("x1", T0));

        Assert.Equal(0, engine.Core.DuplicatesIgnored);
    }

    [Fact]
    public void AlertId_SameLineageAndIncidentWhicheverEventOpensIt_SameId()
    {
        string IdWhen(bool transferFirst)
        {
            using var engine = new EngineHarness(DefaultPack);
            engine.Core.StartLineage(T0);
            engine.ListAccount(Mule);
            engine.Resident(Victim, birthYear: 1950);
            if (transferFirst)
            {
                engine.Feed(Topics.Txns, Txn("t1", T0 + (25 * Minute) + 10_000));
            }

            engine.Feed(Topics.Calls, Call("c1", T0, 25 * 60));
            if (!transferFirst)
            {
                engine.Feed(Topics.Txns, Txn("t1", T0 + (25 * Minute) + 10_000));
            }

            return Assert.Single(engine.Alerts.Select(a => a.AlertId).Distinct());
        }

        Assert.Equal(IdWhen(transferFirst: false), IdWhen(transferFirst: true));
    }

    [Fact]
    public void AlertId_FreshStoresStartedOnLaterInput_NewIds()
    {
        string IdOfFirstIncident(long from)
        {
            using var engine = new EngineHarness(DefaultPack);
            engine.ListAccount(Mule);
            engine.Feed(Topics.Txns, Txn("t-" + from, from));
            return Assert.Single(engine.Alerts).AlertId;
        }

        // Stores rebuilt from nothing (no checkpoint) on later input number their incidents from 1 again: the lineage
        // (the time of their first event) keeps the ids apart, so consumers never take a new incident for an old one.
        Assert.NotEqual(IdOfFirstIncident(T0), IdOfFirstIncident(T0 + Hour));
        Assert.Equal(IdOfFirstIncident(T0), IdOfFirstIncident(T0));
    }

    [Fact]
    public void TryProcess_EventTimePaths_ZeroAllocations()
    {
        // Fixed parties and payees (FASTER updates in place after the first pass), new ids and times per event: an
        // early screen share and power-off, a hotline dial before any call, a transfer, its duplicate, one out of
        // order within the lateness and one late.
        const int Iterations = 500;
        using var engine = new EngineHarness(DefaultPack);
        var dispatcher = new EventDispatcher(engine.Core, new EventParser());
        var messages = new (EventTopic Topic, byte[] Json)[2][];
        for (var pass = 0; pass < 2; pass++)
        {
            var list = new List<(EventTopic, byte[])>();
            for (var i = 0; i < Iterations; i++)
            {
                var t = T0 + (((pass * Iterations) + i) * 1000L);
                var id = $"{pass}-{i}";
                list.Add((EventTopic.Signals, Encoding.UTF8.GetBytes(Device("d" + id, t))));
                list.Add((EventTopic.Signals, Encoding.UTF8.GetBytes(Device("o" + id, t, "POWER_OFF"))));
                list.Add((EventTopic.Calls, Encoding.UTF8.GetBytes($$"""{"event_id":"h{{id}}","calling":"{{Victim}}","called":"95588","direction":"OUT","start_ms":{{t}},"end_ms":{{t + 20_000}},"duration_s":20,"answered":true,"origin":"DOMESTIC"}""")));
                list.Add((EventTopic.Txns, Encoding.UTF8.GetBytes(Txn("t" + id, t, amountMinor: 100, payee: "6222000000000401"))));
                list.Add((EventTopic.Txns, Encoding.UTF8.GetBytes(Txn("t" + id, t, amountMinor: 100, payee: "6222000000000401"))));
                list.Add((EventTopic.Txns, Encoding.UTF8.GetBytes(Txn("e" + id, t - Minute, amountMinor: 100, payee: "6222000000000402"))));
                list.Add((EventTopic.Txns, Encoding.UTF8.GetBytes(Txn("l" + id, t - (3 * Minute), amountMinor: 100, payee: "6222000000000403"))));
            }

            messages[pass] = [.. list];
        }

        long allocated = 0, rejected = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var (topic, json) in messages[pass])
            {
                rejected += dispatcher.TryProcess(topic, json, 0, out _) ? 0 : 1;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
        Assert.Empty(engine.Alerts);
        Assert.Equal(2 * Iterations, rejected); // the late ones
        Assert.Equal(2 * Iterations, engine.Core.DuplicatesIgnored);
    }

    private static CheckpointManifest Manifest(EngineHarness engine) => new()
    {
        Sequence = 1,
        CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        Parties = engine.Stores.Parties.Checkpoint(),
        Pairs = engine.Stores.Pairs.Checkpoint(),
        Positions = [],
    };
}
