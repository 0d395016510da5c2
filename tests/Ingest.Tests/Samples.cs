using System.Buffers;
using System.Globalization;
using System.Text;
using FraudShield.Ingest.Events;

namespace FraudShield.Ingest.Tests;

/// <summary>The JSON type class of a sample field, which decides the wrong-typed value used against it.</summary>
public enum FieldType
{
    Str,
    Num,
    Bool,
    Enum,
    Phone,
    Digits,
    Arr,
    Obj,
}

/// <summary>One top-level field of a sample event.</summary>
public sealed record SampleField(string Name, string Json, FieldType Type, bool Required);

/// <summary>The outcome of one parse, rendered to text so span and sequence paths can be compared.</summary>
public readonly record struct ParseOutcome(bool Ok, RejectReason Reason, string Field, string Dump);

public delegate ParseOutcome SpanParse(EventParser parser, ReadOnlySpan<byte> utf8);

public delegate ParseOutcome SequenceParse(EventParser parser, in ReadOnlySequence<byte> data);

/// <summary>A sample event type: its full field table and its parse entry points.</summary>
public sealed class EventKind
{
    public required string Name { get; init; }

    public required IReadOnlyList<SampleField> Fields { get; init; }

    public required SpanParse ParseSpan { get; init; }

    public required SequenceParse ParseSequence { get; init; }

    public byte[] Full => Samples.Build(Fields);

    public byte[] Minimal => Samples.Build(Fields.Where(f => f.Required));

    public override string ToString() => Name;
}

/// <summary>Valid sample events as field tables and UTF-8 bytes, plus adapters that turn each parse into a <see cref="ParseOutcome"/>.</summary>
public static class Samples
{
    public static readonly SampleField[] CallFields =
    [
        new("event_id", "\"c-1\"", FieldType.Str, true),
        new("call_id", "\"call-9\"", FieldType.Str, false),
        new("calling", "\"+44 7911 123456\"", FieldType.Phone, true),
        new("presented", "\"+8613800138000\"", FieldType.Phone, false),
        new("called", "\"13900139000\"", FieldType.Phone, true),
        new("direction", "\"IN\"", FieldType.Enum, true),
        new("start_ms", "1700000000000", FieldType.Num, true),
        new("answer_ms", "1700000005000", FieldType.Num, false),
        new("end_ms", "1700000725000", FieldType.Num, false),
        new("duration_s", "720", FieldType.Num, true),
        new("answered", "true", FieldType.Bool, true),
        new("origin", "\"INTERNATIONAL\"", FieldType.Enum, true),
        new("origin_country", "\"GB\"", FieldType.Str, false),
        new("imei", "\"356938035643809\"", FieldType.Digits, false),
        new("imsi", "460001234567890", FieldType.Digits, false),
        new("cell_id", "\"CELL-77\"", FieldType.Str, false),
        new("roaming", "true", FieldType.Bool, false),
    ];

    public static readonly SampleField[] SmsFields =
    [
        new("event_id", "\"s-1\"", FieldType.Str, true),
        new("sender", "\"+8613800138000\"", FieldType.Phone, false),
        new("receiver", "\"139 0013 9000\"", FieldType.Phone, true),
        new("ts_ms", "1700000001000", FieldType.Num, true),
        new("sender_class", "\"PERSONAL\"", FieldType.Enum, true),
        new("keyword_flags", "[\"refund\", \"police\"]", FieldType.Arr, false),
        new("url_domains", "[\"evil.example\"]", FieldType.Arr, false),
    ];

    public static readonly SampleField[] DeviceFields =
    [
        new("event_id", "\"d-1\"", FieldType.Str, true),
        new("msisdn", "\"13900139000\"", FieldType.Phone, true),
        new("device_id", "\"dev-1\"", FieldType.Str, false),
        new("ts_ms", "1700000002000", FieldType.Num, true),
        new("type", "\"SCREEN_SHARE_START\"", FieldType.Enum, true),
        new("package", "\"com.example.meeting\"", FieldType.Str, false),
        new("app_category", "\"MEETING\"", FieldType.Enum, false),
        new("on_call", "true", FieldType.Bool, false),
    ];

    public const string FullPayer = "{\"account\":\"6222020000001234\",\"msisdn\":\"13900139000\",\"customer_id\":\"cust-1\",\"age\":67}";
    public const string FullPayee = "{\"account\":\"6217000000005678\",\"bank\":\"ICBC\",\"kind\":\"PERSON\",\"opened_ms\":1690000000000}";

    public static readonly SampleField[] TxnFields =
    [
        new("txn_id", "\"t-1\"", FieldType.Str, true),
        new("ts_ms", "1700000003000", FieldType.Num, true),
        new("status", "\"POSTED\"", FieldType.Str, false),
        new("channel", "\"MOBILE\"", FieldType.Str, false),
        new("type", "\"TRANSFER\"", FieldType.Enum, true),
        new("payer", FullPayer, FieldType.Obj, true),
        new("payee", FullPayee, FieldType.Obj, true),
        new("amount_minor", "5000000", FieldType.Num, true),
        new("currency", "\"CNY\"", FieldType.Str, false),
        new("payer_balance_after_minor", "120000", FieldType.Num, false),
        new("device_id", "\"dev-1\"", FieldType.Str, false),
    ];

    public static readonly SampleField[] WatchFields =
    [
        new("key_type", "\"MSISDN\"", FieldType.Enum, true),
        new("key", "\"+86 138-0013-8000\"", FieldType.Str, true),
        new("level", "\"CONFIRMED\"", FieldType.Enum, true),
        new("typology", "\"POLICE_IMPERSONATION\"", FieldType.Str, false),
        new("source", "\"MPS\"", FieldType.Str, false),
        new("case_ref", "\"CASE-1\"", FieldType.Str, false),
        new("valid_from_ms", "1690000000000", FieldType.Num, false),
        new("valid_to_ms", "1790000000000", FieldType.Num, false),
    ];

    public static readonly SampleField[] SubjectFields =
    [
        new("person_id", "\"p-1\"", FieldType.Str, true),
        new("msisdns", "[\"13900139000\",\"+8613900139001\"]", FieldType.Arr, true),
        new("accounts", "[\"6222020000001234\"]", FieldType.Arr, false),
        new("birth_year", "1950", FieldType.Num, false),
        new("flags", "[\"elderly\",\"student\"]", FieldType.Arr, false),
        new("address_id", "\"addr-1\"", FieldType.Str, false),
        new("station_id", "\"st-1\"", FieldType.Str, true),
        new("beat_id", "\"beat-1\"", FieldType.Str, false),
        new("grid_id", "\"grid-1\"", FieldType.Str, false),
        new("grid_worker_id", "\"gw-1\"", FieldType.Str, false),
        new("family_msisdns", "[\"13700137000\"]", FieldType.Arr, false),
    ];

    public static readonly EventKind Call = new()
    {
        Name = "call",
        Fields = CallFields,
        ParseSpan = static (p, b) => p.TryParseCall(b, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseCall(s, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
    };

    public static readonly EventKind Sms = new()
    {
        Name = "sms",
        Fields = SmsFields,
        ParseSpan = static (p, b) => p.TryParseSms(b, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseSms(s, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
    };

    public static readonly EventKind Device = new()
    {
        Name = "device",
        Fields = DeviceFields,
        ParseSpan = static (p, b) => p.TryParseDevice(b, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseDevice(s, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
    };

    public static readonly EventKind Txn = new()
    {
        Name = "txn",
        Fields = TxnFields,
        ParseSpan = static (p, b) => p.TryParseTxn(b, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseTxn(s, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
    };

    public static readonly EventKind Watch = new()
    {
        Name = "watch",
        Fields = WatchFields,
        ParseSpan = static (p, b) => p.TryParseWatchlistEntry(b, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseWatchlistEntry(s, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
    };

    public static readonly EventKind Subject = new()
    {
        Name = "subject",
        Fields = SubjectFields,
        ParseSpan = static (p, b) => p.TryParseSubject(b, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseSubject(s, out var ev, out var e) ? Ok(Dump(ev)) : Fail(e),
    };

    /// <summary>fs.signals with the SMS sample (detected by its "receiver" field).</summary>
    public static readonly EventKind SignalSms = new()
    {
        Name = "signal-sms",
        Fields = SmsFields,
        ParseSpan = static (p, b) => p.TryParseSignal(b, out var k, out var sms, out var dev, out var e) ? Ok(Dump(k, sms, dev)) : Fail(e),
        ParseSequence = static (EventParser p, in ReadOnlySequence<byte> s) => p.TryParseSignal(s, out var k, out var sms, out var dev, out var e) ? Ok(Dump(k, sms, dev)) : Fail(e),
    };

    /// <summary>fs.signals with the device sample.</summary>
    public static readonly EventKind SignalDevice = new()
    {
        Name = "signal-device",
        Fields = DeviceFields,
        ParseSpan = SignalSms.ParseSpan,
        ParseSequence = SignalSms.ParseSequence,
    };

    public static readonly EventKind[] All = [Call, Sms, Device, Txn, Watch, Subject, SignalSms, SignalDevice];

    public static EventKind ByName(string name) => All.Single(k => k.Name == name);

    public static TheoryData<string> KindNames()
    {
        var data = new TheoryData<string>();
        foreach (var k in All)
        {
            data.Add(k.Name);
        }

        return data;
    }

    public static byte[] Build(IEnumerable<SampleField> fields) =>
        Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Json}")) + "}");

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    private static ParseOutcome Ok(string dump) => new(true, RejectReason.None, string.Empty, dump);

    private static ParseOutcome Fail(ParseError e)
    {
        Assert.NotEqual(RejectReason.None, e.Reason);
        return new(false, e.Reason, e.Field, string.Empty);
    }

    public static string S(ReadOnlySpan<byte> span) => Encoding.UTF8.GetString(span);

    public static string S(StringArray array)
    {
        var parts = new List<string>();
        foreach (var item in array)
        {
            parts.Add(S(item));
        }

        return "[" + string.Join("|", parts) + "]#" + array.Count.ToString(CultureInfo.InvariantCulture);
    }

    public static string Dump(in CallEvent e) => string.Join(";", S(e.EventId), S(e.CallId), e.Calling, e.Presented, e.Called, e.Direction,
        e.StartMs, e.AnswerMs, e.EndMs, e.DurationS, e.Answered, e.Origin, S(e.OriginCountry), e.Imei, e.Imsi, S(e.CellId), e.Roaming);

    public static string Dump(in SmsEvent e) => string.Join(";", S(e.EventId), e.Sender, S(e.SenderRaw), e.Receiver, e.TsMs, e.SenderClass,
        S(e.KeywordFlags), S(e.UrlDomains));

    public static string Dump(in DeviceEvent e) => string.Join(";", S(e.EventId), e.Msisdn, S(e.DeviceId), e.TsMs, e.Type, S(e.Package),
        e.AppCategory, e.OnCall);

    public static string Dump(in TxnEvent e) => string.Join(";", S(e.TxnId), e.TsMs, S(e.Status), S(e.Channel), e.Type, S(e.PayerAccount),
        e.PayerMsisdn, S(e.PayerCustomerId), e.PayerAge, S(e.PayeeAccount), S(e.PayeeBank), e.PayeeKind, e.PayeeOpenedMs, e.AmountMinor,
        S(e.Currency), e.PayerBalanceAfterMinor, S(e.DeviceId));

    public static string Dump(in WatchlistEntry e) => string.Join(";", e.KeyType, S(e.Key), e.KeyNumber, e.Level, S(e.Typology), S(e.Source),
        S(e.CaseRef), e.ValidFromMs, e.ValidToMs);

    public static string Dump(in SubjectRecord e) => string.Join(";", S(e.PersonId), S(e.Msisdns), S(e.Accounts), e.BirthYear, e.Flags,
        S(e.AddressId), S(e.StationId), S(e.BeatId), S(e.GridId), S(e.GridWorkerId), S(e.FamilyMsisdns));

    public static string Dump(SignalKind kind, in SmsEvent sms, in DeviceEvent device) =>
        kind + ":" + (kind == SignalKind.Sms ? Dump(sms) : Dump(device));
}
