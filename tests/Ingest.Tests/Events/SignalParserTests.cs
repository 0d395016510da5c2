using FraudShield.Ingest.Events;
using static FraudShield.Ingest.Tests.Samples;

namespace FraudShield.Ingest.Tests;

public sealed class SignalParserTests
{
    private readonly EventParser _parser = new();

    [Fact]
    public void TryParseSignal_SmsBodyWithoutKind_Sms()
    {
        Assert.True(_parser.TryParseSignal(Sms.Full, out var kind, out var sms, out var device, out _));
        Assert.Equal(SignalKind.Sms, kind);
        Assert.Equal("s-1", S(sms.EventId));
        Assert.True(device.EventId.IsEmpty);
    }

    [Fact]
    public void TryParseSignal_DeviceBodyWithoutKind_Device()
    {
        Assert.True(_parser.TryParseSignal(Device.Full, out var kind, out var sms, out var device, out _));
        Assert.Equal(SignalKind.Device, kind);
        Assert.Equal("d-1", S(device.EventId));
        Assert.True(sms.EventId.IsEmpty);
    }

    [Theory]
    [InlineData("sms")]
    [InlineData("SMS")]
    public void TryParseSignal_KindSms_OverridesHeuristic(string value)
    {
        // Escaped "receiver" defeats the byte heuristic; the explicit kind still selects the SMS parser.
        var bytes = Utf8($"{{\"event_id\":\"s\",\"\\u0072eceiver\":\"13900139000\",\"ts_ms\":1,\"sender_class\":\"OFFICIAL\",\"kind\":\"{value}\"}}");
        Assert.True(_parser.TryParseSignal(bytes, out var kind, out var sms, out _, out var error), error.ToString());
        Assert.Equal(SignalKind.Sms, kind);
        Assert.Equal(8613900139000UL, sms.Receiver);
    }

    [Fact]
    public void TryParseSignal_KindDevice_EvenWithReceiverField()
    {
        var bytes = Build(DeviceFields.Append(new SampleField("receiver", "\"x\"", FieldType.Str, false))
            .Prepend(new SampleField("kind", "\"device\"", FieldType.Str, false)));
        Assert.True(_parser.TryParseSignal(bytes, out var kind, out _, out var device, out var error), error.ToString());
        Assert.Equal(SignalKind.Device, kind);
        Assert.Equal(DeviceEventType.ScreenShareStart, device.Type);
    }

    [Theory]
    [InlineData("\"call\"", RejectReason.UnknownEventKind)]
    [InlineData("\"\"", RejectReason.UnknownEventKind)]
    [InlineData("1", RejectReason.WrongType)]
    public void TryParseSignal_BadKind_Rejected(string value, RejectReason reason)
    {
        var bytes = Build(SmsFields.Prepend(new SampleField("kind", value, FieldType.Str, false)));
        Assert.False(_parser.TryParseSignal(bytes, out _, out _, out _, out var error));
        Assert.Equal((reason, "kind"), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseSignal_NestedKind_NotTopLevelIgnored()
    {
        var bytes = Build(DeviceFields.Prepend(new SampleField("meta", "{\"kind\":\"bogus\"}", FieldType.Obj, false)));
        Assert.True(_parser.TryParseSignal(bytes, out var kind, out _, out _, out var error), error.ToString());
        Assert.Equal(SignalKind.Device, kind);
    }

    [Fact]
    public void TryParseSignal_SmsWithoutReceiver_ParsedAsDeviceAndRejected()
    {
        var bytes = Build(SmsFields.Where(f => f.Name != "receiver"));
        Assert.False(_parser.TryParseSignal(bytes, out _, out _, out _, out var error));
        Assert.Equal((RejectReason.MissingField, "msisdn"), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseSignal_MalformedBeforeKind_InvalidJson()
    {
        Assert.False(_parser.TryParseSignal(Utf8("{\"a\":[1,,2],\"kind\":\"sms\"}"), out _, out _, out _, out var error));
        Assert.Equal(RejectReason.InvalidJson, error.Reason);
    }
}
