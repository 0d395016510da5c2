using System.Text;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using static FraudShield.RuleEngine.Tests.EngineHarness;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>
/// fs.rebates records (R12's inbound half sent to the receiver's engine): their layout, what is refused, and the
/// receiver side with a router in between - applied when they arrive, once however often they arrive.
/// </summary>
public sealed class RebateRecordTests
{
    private const string Victim = "8613800000012";
    private const string VictimAccount = "6217000000000012";
    private const string Stranger = "8617100000012";

    [Fact]
    public void WriteThenRead_EveryFieldAndTheKeyDigits()
    {
        var rebate = new RebateRecord { Receiver = 8613800000012, TimeMs = T0, AmountMinor = 10_000, PayerAccountKey = -42, TransferKey = 7, SourceTimestampMs = T0 + 5, Origin = RebateRecord.OriginOf("engine") };
        rebate.SetTxnId("a-transaction-id-longer-than-thirty-two-bytes"u8);
        var wire = new byte[RebateRecord.Size];
        rebate.Write(wire);

        Assert.True(RebateRecord.TryRead(wire, out var read, out var problem), problem);
        Assert.Equal(
            (rebate.Receiver, rebate.TimeMs, rebate.AmountMinor, rebate.PayerAccountKey, rebate.TransferKey, rebate.SourceTimestampMs, rebate.Origin),
            (read.Receiver, read.TimeMs, read.AmountMinor, read.PayerAccountKey, read.TransferKey, read.SourceTimestampMs, read.Origin));
        Assert.False(RebateRecord.IsFromAnotherGroup(wire, RebateRecord.OriginOf("engine")));
        Assert.True(RebateRecord.IsFromAnotherGroup(wire, RebateRecord.OriginOf("fraudshield-bench-replay")));
        Assert.False(RebateRecord.IsFromAnotherGroup(wire.AsSpan(0, RebateRecord.Size - 1), RebateRecord.OriginOf("fraudshield-bench-replay")));
        Assert.Equal("a-transaction-id-longer-than-thi", Encoding.UTF8.GetString(read.TxnIdBytes));
        var key = new byte[20];
        Assert.True(read.TryFormatKey(key, out var n));
        Assert.Equal(Victim, Encoding.ASCII.GetString(key, 0, n));
    }

    [Theory]
    [InlineData("length")]
    [InlineData("version")]
    [InlineData("txn_id_length")]
    [InlineData("receiver")]
    [InlineData("amount_minor")]
    public void TryRead_Malformed_NamesWhatIsWrong(string wrong)
    {
        var rebate = new RebateRecord { Receiver = 8613800000012, TimeMs = T0, AmountMinor = 10_000 };
        rebate.SetTxnId("r1"u8);
        var wire = new byte[RebateRecord.Size];
        rebate.Write(wire);
        switch (wrong)
        {
            case "length":
                wire = wire[..^1];
                break;
            case "version":
                wire[0] = 2;
                break;
            case "txn_id_length":
                wire[1] = 33;
                break;
            case "receiver":
                wire.AsSpan(8, 8).Clear();
                break;
            default:
                wire.AsSpan(24, 8).Clear();
                break;
        }

        Assert.False(RebateRecord.TryRead(wire, out _, out var problem));
        Assert.Equal(wrong, problem);
    }

    [Fact]
    public void Routed_RebateAppliedWhenItArrives_AfterTheTransferOut_R12FiresOnce()
    {
        var router = new ListRouter();
        using var engine = new EngineHarness(DefaultPack, rebates: router);
        engine.Resident(Victim, account: VictimAccount);

        // The stranger's 100 RMB is judged here but goes to the router: the victim's state does not have it yet.
        engine.Transfer("rebate-1", Stranger, VictimAccount, T0, 10_000);
        var rebate = Assert.Single(router.Records);
        Assert.Equal(8613800000012UL, rebate.Receiver);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + (5 * Hour), 100_000);
        Assert.Empty(engine.Alerts);

        // It arrives (from fs.rebates) after the transfer out: R12 fires then, citing the rebate.
        var wire = new byte[RebateRecord.Size];
        rebate.Write(wire);
        Assert.True(engine.FeedRecord(Topics.Rebates, wire, T0, out var error), error.ToString());
        var alert = Assert.Single(engine.Alerts);
        Assert.Equal(["R12"], alert.RuleIds);
        Assert.Contains("rebate-1", alert.Evidence.EventIds);

        // Produced again (its producer crashed before its offset was committed), after more of the victim's own
        // events than her recent-event memory holds: ignored, so the next transfer out to a new payee does not fire
        // R12 on the same rebate.
        for (var i = 0; i < 10; i++)
        {
            engine.Transfer($"rent-{i}", Victim, "6222000000009999", T0 + (5 * Hour) + ((i + 1) * Minute), 1_000);
        }

        Assert.True(engine.FeedRecord(Topics.Rebates, wire, T0, out error), error.ToString());
        engine.Transfer("t2", Victim, "6222000000001202", T0 + (6 * Hour), 100_000);
        Assert.Single(engine.Alerts);
        Assert.Single(router.Records);
    }

    [Fact]
    public void Routed_TwoRebatesWhoseIdsShareTheirFirst32Bytes_BothCount()
    {
        // The record carries only the first 32 bytes of the id; the once-only mark is keyed by the whole id, so a second
        // rebate whose id differs after byte 32 is a new rebate, not a duplicate of the first.
        const string Prefix = "bank-cn-icbc-2026120608-00000000"; // 32 bytes
        var router = new ListRouter();
        using var engine = new EngineHarness(DefaultPack, rebates: router);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer(Prefix + "-a", Stranger, VictimAccount, T0, 10_000);
        engine.Transfer(Prefix + "-b", Stranger, VictimAccount, T0 + Minute, 10_000);
        Assert.Equal(2, router.Records.Count);
        Assert.Equal(Encoding.UTF8.GetString(router.Records[0].TxnIdBytes), Encoding.UTF8.GetString(router.Records[1].TxnIdBytes));
        Assert.NotEqual(router.Records[0].TransferKey, router.Records[1].TransferKey);

        Deliver(engine, router.Records[0]);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + (5 * Hour), 100_000);
        Deliver(engine, router.Records[1]);
        engine.Transfer("t2", Victim, "6222000000001202", T0 + (6 * Hour), 100_000);
        Assert.Equal(2, engine.Alerts.Count(a => a.RuleIds.SequenceEqual(["R12"])));
    }

    [Fact]
    public void Routed_VictimPaysTheStrangersAccountAfterTheRebate_RebateStillCounts()
    {
        // Whether the stranger was "never paid" is judged as of the rebate, not as of its arrival.
        var router = new ListRouter();
        using var engine = new EngineHarness(DefaultPack, rebates: router);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer("rebate-1", Stranger, VictimAccount, T0, 10_000);
        engine.Transfer("back", Victim, "ACC-" + Stranger, T0 + Hour, 500);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + (5 * Hour), 100_000);
        Deliver(engine, Assert.Single(router.Records));
        Assert.Equal(["R12"], Assert.Single(engine.Alerts).RuleIds);
    }

    [Fact]
    public void Routed_VictimPaidTheStrangersAccountBeforeTheRebate_NotARebate()
    {
        var router = new ListRouter();
        using var engine = new EngineHarness(DefaultPack, rebates: router);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer("before", Victim, "ACC-" + Stranger, T0 - Hour, 500);
        engine.Transfer("rebate-1", Stranger, VictimAccount, T0, 10_000);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + (5 * Hour), 100_000);
        Deliver(engine, Assert.Single(router.Records));
        Assert.Empty(engine.Alerts);
    }

    [Fact]
    public void Routed_ReceiversRuleSetHasR12Off_RebateChangesNothing()
    {
        var router = new ListRouter();
        using (var payerSide = new EngineHarness(DefaultPack, rebates: router))
        {
            payerSide.Resident(Victim, account: VictimAccount);
            payerSide.Transfer("rebate-1", Stranger, VictimAccount, T0, 10_000);
        }

        var off = DefaultPack with { EnabledRules = DefaultPack.EnabledRules & ~RuleIds.Bit(RuleId.R12) };
        using var engine = new EngineHarness(off, rebates: router);
        engine.Resident(Victim, account: VictimAccount);
        engine.Transfer("t1", Victim, "6222000000001201", T0 + (5 * Hour), 100_000);
        Deliver(engine, Assert.Single(router.Records));
        Assert.Empty(engine.Alerts);
    }

    private static void Deliver(EngineHarness engine, RebateRecord rebate)
    {
        var wire = new byte[RebateRecord.Size];
        rebate.Write(wire);
        Assert.True(engine.FeedRecord(Topics.Rebates, wire, T0, out var error), error.ToString());
    }

    [Fact]
    public void Routed_MalformedRecord_RefusedWithItsReason()
    {
        using var engine = new EngineHarness(DefaultPack, rebates: new ListRouter());
        Assert.False(engine.FeedRecord(Topics.Rebates, new byte[3], T0, out var error));
        Assert.Equal(RejectReason.InvalidValue, error.Reason);
        Assert.Equal("length", error.Field);
    }

    private sealed class ListRouter : IRebateRouter
    {
        public List<RebateRecord> Records { get; } = [];

        public void Route(in RebateRecord rebate) => Records.Add(rebate);
    }
}
