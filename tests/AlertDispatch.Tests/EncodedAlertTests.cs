using System.Buffers;
using System.Buffers.Binary;
using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Google.Protobuf;

namespace FraudShield.AlertDispatch.Tests;

/// <summary>The shared encoded deliveries: the bytes every subscriber gets for a hub entry.</summary>
public sealed class EncodedAlertTests
{
    public static TheoryData<string> Scopes => ["all", "station:S1", "grid:G1", "station:S2", "grid:G9"];

    [Theory]
    [MemberData(nameof(Scopes))]
    public async Task EncodedDelivery_EachScope_EqualsFreshSerializationOfWhatTheScopeMaySee(string scopeText)
    {
        var scope = Parse(scopeText);
        using var hub = new AlertHub();
        using var subscription = hub.Subscribe(AlertScope.All);
        hub.Publish(TestAlerts.Make("a1", station: "S1", grid: "G1"));
        hub.PublishEscalation(TestAlerts.Make("a1", station: "S1", grid: "G1"), new Escalation { Tier = EscalationTier.DistrictCentre, EscalatedMs = 5, MissedDueMs = 4, AckDueMs = 9 });
        hub.Publish(TestAlerts.Make("a2", station: "S1", grid: "G1", msisdn: ""));

        foreach (var entry in await subscription.TakeAsync(3))
        {
            var fresh = new AlertDelivery
            {
                Alert = AsScopeMaySee(entry.DecodeAlert(), scope),
                ResumeToken = hub.FormatResumeToken(entry.Sequence),
                Escalation = entry.DecodeEscalation(),
                PublishedMs = entry.PublishedMs,
            }.ToByteArray();

            Assert.Equal(fresh, entry.EncodedDelivery(scope));
        }
    }

    [Fact]
    public async Task EncodedDelivery_ScopeNotCoveringAlert_NeverCarriesFullNumberWhicheverFormIsEncodedFirst()
    {
        using var hub = new AlertHub();
        using var subscription = hub.Subscribe(AlertScope.All);
        hub.Publish(TestAlerts.Make("full-first", station: "S1"));
        hub.Publish(TestAlerts.Make("withheld-first", station: "S1"));
        var entries = await subscription.TakeAsync(2);

        var fullFirst = (Full: entries[0].EncodedDelivery(AlertScope.Station("S1")), Withheld: entries[0].EncodedDelivery(AlertScope.Station("S2")));
        var withheldSecond = entries[1].EncodedDelivery(AlertScope.Grid("G2"));
        var fullSecond = entries[1].EncodedDelivery(AlertScope.All);

        foreach (var withheld in new[] { fullFirst.Withheld, withheldSecond })
        {
            var subject = AlertDelivery.Parser.ParseFrom(withheld).Alert.Subject;
            Assert.Equal(string.Empty, subject.Msisdn);
            Assert.Equal("861******5678", subject.MsisdnMasked);
        }

        foreach (var full in new[] { fullFirst.Full, fullSecond })
        {
            Assert.Equal("8613812345678", AlertDelivery.Parser.ParseFrom(full).Alert.Subject.Msisdn);
        }

        Assert.Equal("8613812345678", entries[0].DecodeAlert().Subject.Msisdn);
    }

    [Fact]
    public async Task EncodedDelivery_ScopesOfOneForm_ShareOneEncoding()
    {
        var entry = await PublishedEntryAsync(TestAlerts.Make("a1", station: "S1", grid: "G1"));

        var all = entry.Delivery(AlertScope.All).Alert;
        Assert.Same(all, entry.Delivery(AlertScope.Station("S1")).Alert);
        Assert.Same(all, entry.Delivery(AlertScope.Grid("G1")).Alert);
        Assert.Same(entry.Delivery(AlertScope.Station("S2")).Alert, entry.Delivery(AlertScope.Grid("G2")).Alert);
        Assert.NotSame(all, entry.Delivery(AlertScope.Station("S2")).Alert);
        Assert.Same(entry.Delivery(AlertScope.All).Fields, entry.Delivery(AlertScope.Station("S2")).Fields);
    }

    [Fact]
    public async Task EncodedDelivery_AlertWithoutNumber_OneEncodingForEveryScope()
    {
        var entry = await PublishedEntryAsync(TestAlerts.Make("a1", station: "S1", msisdn: ""));

        Assert.Same(entry.Delivery(AlertScope.All).Alert, entry.Delivery(AlertScope.Station("S2")).Alert);
    }

    [Fact]
    public async Task EncodedDelivery_ConcurrentFirstUseOfTheWithheldForm_EveryCallerGetsTheSameBytes()
    {
        var entry = await PublishedEntryAsync(TestAlerts.Make("a1"));

        using var start = new Barrier(8);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(TimeoutExtensions.DefaultTimeout);
            return entry.Delivery(AlertScope.Station("S2")).Alert;
        }))).WithTimeout();

        Assert.All(results, bytes => Assert.Same(results[0], bytes));
    }

    // The hub entry of one published alert, as a subscriber to every alert reads it.
    [Fact]
    public async Task WriteGrpcMessage_TwoDeliveries_EachFramedAsOneUncompressedMessageOfTheDelivery()
    {
        var entry = await PublishedEntryAsync(TestAlerts.Make("a1", station: "S1"));
        var body = new ArrayBufferWriter<byte>();

        var first = DeliveryWire.WriteGrpcMessage(body, entry.Delivery(AlertScope.Station("S1")));
        var second = DeliveryWire.WriteGrpcMessage(body, entry.Delivery(AlertScope.Station("S2")));

        var written = body.WrittenSpan;
        Assert.Equal(first + second, written.Length);
        foreach (var (at, scope) in new[] { (0, AlertScope.Station("S1")), (first, AlertScope.Station("S2")) })
        {
            var delivery = entry.EncodedDelivery(scope);
            Assert.Equal(0, written[at]);
            Assert.Equal((uint)delivery.Length, BinaryPrimitives.ReadUInt32BigEndian(written[(at + 1)..]));
            Assert.Equal(delivery, written.Slice(at + DeliveryWire.GrpcMessageHeaderSize, delivery.Length).ToArray());
        }

        Assert.Equal(DeliveryWire.GrpcMessageHeaderSize + entry.EncodedDelivery(AlertScope.Station("S2")).Length, second);
        Assert.Equal("a1", AlertDelivery.Parser.ParseFrom(written[(first + DeliveryWire.GrpcMessageHeaderSize)..].ToArray()).Alert.AlertId);
    }

    private static async Task<RetainedAlert> PublishedEntryAsync(Alert alert)
    {
        using var hub = new AlertHub();
        using var subscription = hub.Subscribe(AlertScope.All);
        hub.Publish(alert);
        return (await subscription.TakeAsync(1))[0];
    }

    // The rule written out independently of AlertMasking: the full number only to a scope that covers the alert.
    private static Alert AsScopeMaySee(Alert alert, AlertScope scope)
    {
        if (scope.Matches(alert))
        {
            return alert;
        }

        var copy = alert.Clone();
        copy.Subject.Msisdn = string.Empty;
        return copy;
    }

    private static AlertScope Parse(string text) => text.Split(':') switch
    {
        ["all"] => AlertScope.All,
        ["station", var id] => AlertScope.Station(id),
        ["grid", var id] => AlertScope.Grid(id),
        _ => throw new ArgumentException(text, nameof(text)),
    };
}
