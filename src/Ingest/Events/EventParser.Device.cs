using System.Buffers;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    private const uint DeviceRequired =
        (1u << DeviceFields.EventId) | (1u << DeviceFields.Msisdn) | (1u << DeviceFields.TsMs) | (1u << DeviceFields.Type);

    /// <summary>Parses a device event (topic <c>fs.signals</c>).</summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseDevice(ReadOnlySpan<byte> utf8, out DeviceEvent ev, out ParseError error)
        => Guarded<DeviceEvent, DeviceBody>(utf8, out ev, out error);

    /// <summary>Parses a device event from a possibly multi-segment message (see the class remarks on span lifetime).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseDevice(in ReadOnlySequence<byte> data, out DeviceEvent ev, out ParseError error)
        => Guarded<DeviceEvent, DeviceBody>(data, out ev, out error);

    private bool ParseDevice<TTokens>(scoped ref TTokens reader, out DeviceEvent ev, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        ev = default;
        if (!BeginObject(ref reader, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> eventId = default, deviceId = default, package = default;
        ulong msisdn = 0;
        long tsMs = 0;
        DeviceEventType type = default;
        AppCategory appCategory = default;
        bool onCall = false;
        var fields = new FieldTracker(DeviceRequired, DeviceFields.Names);

        int field;
        while ((field = JsonRead.NextField<DeviceFields, TTokens>(ref reader)) != -2)
        {
            if (field < 0)
            {
                reader.Skip();
                continue;
            }

            if (!fields.Enter(field, reader.TokenType, out var isNull, out error))
            {
                return false;
            }

            if (isNull)
            {
                continue;
            }

            var r = field switch
            {
                DeviceFields.EventId => JsonRead.String(ref reader, out eventId),
                DeviceFields.Msisdn => JsonRead.Phone(ref reader, _options, out msisdn),
                DeviceFields.DeviceId => JsonRead.String(ref reader, out deviceId),
                DeviceFields.TsMs => JsonRead.Int64(ref reader, out tsMs),
                DeviceFields.Type => EnumRead.DeviceType(ref reader, out type),
                DeviceFields.Package => JsonRead.String(ref reader, out package),
                DeviceFields.AppCategory => EnumRead.AppCategory(ref reader, out appCategory),
                _ => JsonRead.Bool(ref reader, out onCall),
            };
            if (!fields.Accept(field, r, out error))
            {
                return false;
            }
        }

        if (!EndObject(ref reader, out error) || !fields.Complete(out error))
        {
            return false;
        }

        ev = new DeviceEvent
        {
            EventId = eventId,
            Msisdn = msisdn,
            DeviceId = deviceId,
            TsMs = tsMs,
            Type = type,
            Package = package,
            AppCategory = appCategory,
            OnCall = onCall,
        };
        return true;
    }

    /// <summary>The fields of a device event, in declaration order.</summary>
    private readonly struct DeviceFields : IFieldSet
    {
        public const int EventId = 0, Msisdn = 1, DeviceId = 2, TsMs = 3, Type = 4, Package = 5, AppCategory = 6, OnCall = 7;

        public static readonly string[] Names =
            ["event_id", "msisdn", "device_id", "ts_ms", "type", "package", "app_category", "on_call"];

        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 4:
                    if (name.SequenceEqual("type"u8)) { return Type; }
                    break;
                case 5:
                    if (name.SequenceEqual("ts_ms"u8)) { return TsMs; }
                    break;
                case 6:
                    if (name.SequenceEqual("msisdn"u8)) { return Msisdn; }
                    break;
                case 7:
                    if (name.SequenceEqual("package"u8)) { return Package; }
                    if (name.SequenceEqual("on_call"u8)) { return OnCall; }
                    break;
                case 8:
                    if (name.SequenceEqual("event_id"u8)) { return EventId; }
                    break;
                case 9:
                    if (name.SequenceEqual("device_id"u8)) { return DeviceId; }
                    break;
                case 12:
                    if (name.SequenceEqual("app_category"u8)) { return AppCategory; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The device parse as an <see cref="IEventBody{TEvent}"/>.</summary>
    private readonly struct DeviceBody : IEventBody<DeviceEvent>
    {
        public static bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out DeviceEvent ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct
            => parser.ParseDevice(ref reader, out ev, out error);
    }
}
