using System.Globalization;
using FraudShield.Contracts;
using FraudShield.RuleEngine.Engine;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// Two engine processes in one consumer group on an embedded cluster: when the second joins, the partitions that move
/// to it keep a party's calls and transfers together (the same partition number of every event topic), and it rebuilds
/// their state from the input without producing again the alerts the first engine already produced.
/// </summary>
public sealed class RebalanceKafkaTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int Victims = 12;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SecondEngineJoins_MovedPartitionsRebuildStateQuietly_EachAlertVersionOnceAndSequencesStillFire()
    {
        using var setup = new EngineGroupCluster(Partitions, "rebalance");
        var (kafka, group, producer) = (setup.Kafka, setup.Group, setup.Producer);
        using var storesA = setup.NewStores("a");
        using var storesB = setup.NewStores("b");

        // Checkpoints on (as `fraudshield run` has them), but none taken during the test: a partition new to an
        // engine starts from the beginning, the way a process with no position for it starts.
        using var first = new EngineWorker(kafka, storesA, DefaultPack, producer, NullLogger.Instance, groupId: group, checkpoints: new EngineCheckpoints(Path.Combine(setup.DataPath, "a-checkpoints")), checkpointInterval: TimeSpan.FromHours(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        first.Start();
        await first.Assigned.WithTimeout(Timeout);
        output.WriteLine($"first engine assigned after {clock.ElapsedMilliseconds} ms");

        // Phase 1, judged by the first engine alone: a 700 s overseas call to each victim (R01, version 1, L3).
        var partitions = new HashSet<int>();
        for (var i = 0; i < Victims; i++)
        {
            partitions.Add(await setup.ProduceAsync(Topics.Calls, Victim(i), OverseasCall(i), Timeout));
        }

        Assert.True(partitions.Count >= 3, $"the victims should spread over the partitions, got [{string.Join(", ", partitions)}]");
        await Poll.UntilAsync(() => first.AlertSink.Emitted == Victims, $"{Victims} R01 alerts from the first engine", Timeout);
        await Poll.UntilAsync(() => GroupTestKafka.CommittedTotal(kafka, group, Topics.EventTopics, Partitions, Timeout) == Victims, "the first engine's offsets committed", Timeout);
        output.WriteLine($"phase 1 alerted and committed after {clock.ElapsedMilliseconds} ms");

        // The second engine joins: the group splits the partitions; what moves to it is replayed from the beginning.
        using var second = new EngineWorker(kafka, storesB, DefaultPack, producer, NullLogger.Instance, groupId: group, checkpoints: new EngineCheckpoints(Path.Combine(setup.DataPath, "b-checkpoints")), checkpointInterval: TimeSpan.FromHours(1));
        second.Start();
        await second.Assigned.WithTimeout(Timeout);
        output.WriteLine($"second engine assigned after {clock.ElapsedMilliseconds} ms");
        await Poll.UntilAsync(() => second.EventsProcessed > 0, "the second engine to replay the calls of its partitions", Timeout);
        output.WriteLine($"second engine replaying after {clock.ElapsedMilliseconds} ms");

        // Phase 2: 80,000 RMB to a new payee 2 s after each call ended: R07 needs the call, so it fires only where the
        // engine judging the transfer holds the victim's call state.
        for (var i = 0; i < Victims; i++)
        {
            await setup.ProduceAsync(Topics.Txns, Victim(i), Transfer(i), Timeout);
        }

        var alerts = await GroupTestKafka.ReadAlertsAsync(kafka, Partitions, expected: 2 * Victims, Timeout);
        output.WriteLine($"phase 2 alerts read after {clock.ElapsedMilliseconds} ms");
        output.WriteLine($"first engine: emitted {first.AlertSink.Emitted}, replayed {first.EventsReplayed}; second: emitted {second.AlertSink.Emitted}, replayed {second.EventsReplayed}, suppressed {second.AlertSink.Suppressed}");
        Assert.True(second.AlertSink.Emitted > 0, "the second engine should judge some victims' transfers");
        Assert.True(second.EventsReplayed > 0, "the second engine should replay the calls of its partitions");
        for (var i = 0; i < Victims; i++)
        {
            var mine = alerts.Where(a => a.Subject.Msisdn == Victim(i)).Select(a => $"{a.Version} {a.Severity} {string.Join(',', a.RuleIds)}").ToList();
            Assert.Equal(["1 L3 R01", "2 L1 R01,R07"], mine);
        }

        Assert.Equal(0, first.EventsDeadLettered + second.EventsDeadLettered);
    }

    private static string Victim(int i) => (8613912000000 + i).ToString(CultureInfo.InvariantCulture);

    private static long CallEnd(int i) => T0 + (i * Minute);

    private static string OverseasCall(int i) =>
        $$"""{"event_id":"rb-c{{i}}","calling":"+12025550177","called":"{{Victim(i)}}","direction":"IN","start_ms":{{CallEnd(i) - 700_000}},"end_ms":{{CallEnd(i)}},"duration_s":700,"answered":true,"origin":"INTERNATIONAL"}""";

    private static string Transfer(int i) =>
        $$"""{"txn_id":"rb-t{{i}}","ts_ms":{{CallEnd(i) + 2_000}},"type":"TRANSFER","payer":{"account":"ACC-{{Victim(i)}}","msisdn":"{{Victim(i)}}"},"payee":{"account":"62220000990{{i:D3}}","kind":"PERSON"},"amount_minor":8000000,"currency":"CNY"}""";
}
