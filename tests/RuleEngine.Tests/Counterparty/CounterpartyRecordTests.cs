using System.Text;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Tests.Counterparty;

public sealed class CounterpartyRecordTests
{
    private static CounterpartyRecord[] Map(string json, bool call)
    {
        var parser = new EventParser();
        var records = new CounterpartyRecord[CounterpartyMapper.MaxRecords];
        int n;
        var bytes = Encoding.UTF8.GetBytes(json);
        if (call)
        {
            Assert.True(parser.TryParseCall(bytes, out var c, out var e), e.ToString());
            n = CounterpartyMapper.Map(in c, records);
        }
        else
        {
            Assert.True(parser.TryParseTxn(bytes, out var t, out var e), e.ToString());
            n = CounterpartyMapper.Map(in t, records);
        }

        return records[..n];
    }

    [Fact]
    public void Transfer_MapsToInboundAndOutboundLegs_RoundTripsThroughTheWire()
    {
        var records = Map("""{"txn_id":"t-1","ts_ms":1790000000000,"type":"TRANSFER","payer":{"account":"6217000000000001","msisdn":"8613800000001"},"payee":{"account":"6230000000000001","opened_ms":1789000000000},"amount_minor":250000,"payer_balance_after_minor":1000}""", call: false);

        Assert.Equal(2, records.Length);
        var wire = new byte[CounterpartyRecord.Size];
        records[0].Write(wire);
        Assert.True(CounterpartyRecord.TryRead(wire, out var inbound));
        Assert.Equal(CounterpartyKind.AccountIn, inbound.Kind);
        Assert.Equal(CounterpartyRecord.KeyOfAccount("6230000000000001"u8), inbound.Key);
        Assert.Equal(CounterpartyRecord.KeyOfAccount("6217000000000001"u8), inbound.Other);
        Assert.Equal(8613800000001UL, inbound.Line);
        Assert.Equal(250000, inbound.Value);
        Assert.Equal(1789000000000, inbound.OpenedMs);
        Assert.Equal(CounterpartyMarks.OpenedKnown, inbound.Flags);
        Assert.Equal("6230000000000001", Encoding.UTF8.GetString(inbound.SubjectBytes));
        Assert.Equal("t-1", Encoding.UTF8.GetString(inbound.EventIdBytes));

        records[1].Write(wire);
        Assert.True(CounterpartyRecord.TryRead(wire, out var outbound));
        Assert.Equal(CounterpartyKind.AccountOut, outbound.Kind);
        Assert.Equal(inbound.Other, outbound.Key);
        Assert.Equal(1000, outbound.BalanceAfterMinor);
        Assert.Equal(CounterpartyMarks.BalanceKnown, outbound.Flags);

        var key = new byte[8];
        outbound.WriteKey(key);
        Assert.Equal(outbound.Key, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(key));
    }

    [Theory]
    [InlineData("DEPOSIT", 0)]
    [InlineData("LOAN_DRAWDOWN", 0)]
    [InlineData("CASH_OUT", 1)]
    public void OtherTransactionTypes_MapToTheirLegsOnly(string type, int expected) =>
        Assert.Equal(expected, Map($$"""{"txn_id":"t","ts_ms":1,"type":"{{type}}","payer":{"account":"A1"},"payee":{"account":"B1"},"amount_minor":5}""", call: false).Length);

    [Fact]
    public void TransferToOwnAccount_MapsToNothing() =>
        Assert.Empty(Map("""{"txn_id":"t","ts_ms":1,"type":"TRANSFER","payer":{"account":"A1"},"payee":{"account":"A1"},"amount_minor":5}""", call: false));

    [Theory]
    [InlineData("OUT", 8617000000001UL, 8613900000001L)]
    [InlineData("IN", 8613900000001UL, 0L)]
    public void CallWithImei_HandsetLineIsTheRecordOwner(string direction, ulong line, long callee)
    {
        var records = Map($$"""{"event_id":"c","calling":"8617000000001","called":"8613900000001","direction":"{{direction}}","start_ms":1790000000000,"duration_s":12,"answered":true,"origin":"DOMESTIC","imei":"356938035643809"}""", call: true);

        Assert.Equal(2, records.Length);
        Assert.Equal(CounterpartyKind.CallerCall, records[0].Kind);
        Assert.Equal(CounterpartyRecord.KeyOfCaller(8617000000001), records[0].Key);
        Assert.Equal(CounterpartyKind.ImeiCall, records[1].Kind);
        Assert.Equal(356938035643809UL, records[1].Subject);
        Assert.Equal(line, records[1].Line);
        Assert.Equal(callee, records[1].Other);
        Assert.Equal(CounterpartyMarks.Answered, records[1].Flags);
    }

    [Fact]
    public void CallForwarded_NoHandsetRecord() =>
        Assert.Single(Map("""{"event_id":"c","calling":"8617000000001","called":"8613900000001","direction":"FWD","start_ms":1,"duration_s":1,"answered":true,"origin":"DOMESTIC","imei":"356938035643809"}""", call: true));

    [Fact]
    public void LongTexts_AreTruncatedInTheRecord_KeyHashesTheWholeAccount()
    {
        var account = new string('7', 40);
        var records = Map($$"""{"txn_id":"{{new string('x', 40)}}","ts_ms":1,"type":"CASH_OUT","payer":{"account":"{{account}}"},"payee":{"account":"B1"},"amount_minor":5}""", call: false);

        var record = Assert.Single(records);
        Assert.Equal(CounterpartyRecord.TextBytes, record.SubjectBytes.Length);
        Assert.Equal(CounterpartyRecord.TextBytes, record.EventIdBytes.Length);
        Assert.Equal(CounterpartyRecord.KeyOfAccount(Encoding.UTF8.GetBytes(account)), record.Key);
    }

    [Theory]
    [InlineData(0, 2)] // version
    [InlineData(1, 9)] // kind
    [InlineData(3, 33)] // subject length
    [InlineData(4, 200)] // event id length
    public void TryRead_CorruptByte_Refused(int offset, byte value)
    {
        var wire = new byte[CounterpartyRecord.Size];
        Map("""{"txn_id":"t","ts_ms":1,"type":"CASH_OUT","payer":{"account":"A1"},"payee":{"account":"B1"},"amount_minor":5}""", call: false)[0].Write(wire);
        Assert.True(CounterpartyRecord.TryRead(wire, out _));

        wire[offset] = value;

        Assert.False(CounterpartyRecord.TryRead(wire, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(CounterpartyRecord.Size - 1)]
    [InlineData(CounterpartyRecord.Size + 1)]
    public void TryRead_WrongSize_Refused(int size) => Assert.False(CounterpartyRecord.TryRead(new byte[size], out _));

    [Fact]
    public void Aggregator_InvalidRecord_CountedNotApplied()
    {
        using var harness = new CounterpartyHarness();

        Assert.False(harness.Aggregator.TryApply(new byte[10], 0, 0));

        Assert.Equal(1, harness.Aggregator.Rejected);
        Assert.Equal(0, harness.Aggregator.RecordsApplied);
    }
}

public sealed class CounterpartyRuleFileTests
{
    private const string Header = "version: 1\nrules:\n";

    private static IReadOnlyList<RuleFileError> Errors(string rules)
    {
        Assert.False(RuleFile.TryParse("rules/x.yaml", Header + rules, out _, out var errors));
        return errors;
    }

    [Fact]
    public void CounterpartyParams_Parse()
    {
        const string text = Header + """
              - id: R03
                name: CALLER_FANOUT
                severity: L4
                enabled: true
                params: { min_callees: 20, max_answer_rate: 25%, max_median_duration: 45s, window: 2h, by_imei: false }
              - id: R04
                name: SIM_BANK
                severity: L3
                enabled: true
                params: { min_numbers: 3, window: 12h }
              - id: R15
                name: MULE_PASS_THROUGH
                severity: L4
                enabled: true
                params: { min_payers: 4, min_forwarded: 90%, window: 1h, max_account_age: 30d, dormant: 60d }
              - id: R16
                name: FAN_IN_FAN_OUT
                severity: L4
                enabled: true
                params: { min_counterparties: 12, min_in_out: 0.9, max_in_out: 1.1, max_residual: 3%, window: 48h, require_new_account: false }
            """;

        Assert.True(RuleFile.TryParse("rules/x.yaml", text, out var set, out var errors), string.Join("\n", errors ?? []));
        var o = set!.Options;
        Assert.Equal(RuleIds.CounterpartyMask, o.EnabledRules);
        Assert.Equal((20, 25, 45, TimeSpan.FromHours(2), false), (o.R03MinCallees, o.R03MaxAnswerPercent, o.R03MaxMedianSeconds, o.R03Window, o.R03ByImei));
        Assert.Equal((3, TimeSpan.FromHours(12)), (o.R04MinNumbers, o.R04Window));
        Assert.Equal((4, 90, TimeSpan.FromHours(1), TimeSpan.FromDays(30), TimeSpan.FromDays(60)), (o.R15MinPayers, o.R15MinForwardPercent, o.R15Window, o.R15MaxAccountAge, o.R15Dormant));
        Assert.Equal((12, 900, 1100, 3, TimeSpan.FromHours(48), false), (o.R16MinCounterparties, o.R16MinInOutPermille, o.R16MaxInOutPermille, o.R16MaxResidualPercent, o.R16Window, o.R16RequireNewAccount));
        Assert.Equal(3, o.Severities[(int)RuleId.R04]);
    }

    [Theory]
    [InlineData("R03", "CALLER_FANOUT", "min_callees: 49", "parameter min_callees: out of range: expected 2 to 48, got 49")]
    [InlineData("R03", "CALLER_FANOUT", "max_median_duration: 1500ms", "parameter max_median_duration: expected whole seconds up to a day (30s, 1m)")]
    [InlineData("R04", "SIM_BANK", "min_numbers: 9", "parameter min_numbers: out of range: expected 2 to 8, got 9")]
    [InlineData("R15", "MULE_PASS_THROUGH", "min_forwarded: 120%", "parameter min_forwarded: out of range: expected 1% to 100%, got 120%")]
    [InlineData("R16", "FAN_IN_FAN_OUT", "min_in_out: 0.05", "parameter min_in_out: out of range: expected 0.1 to 10 with at most 3 decimals, got 0.05")]
    [InlineData("R16", "FAN_IN_FAN_OUT", "max_in_out: lots", "parameter max_in_out: expected a ratio like 0.8, got \"lots\"")]
    public void BadParameter_NamesFileLineRuleAndField(string id, string name, string param, string reason)
    {
        var error = Assert.Single(Errors($"  - id: {id}\n    name: {name}\n    severity: L4\n    enabled: true\n    params:\n      {param}\n"));

        Assert.Equal($"rules/x.yaml:8: rule {id}: {reason}", error.ToString());
    }
}
