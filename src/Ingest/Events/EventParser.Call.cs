using System.Buffers;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    private const uint CallRequired =
        (1u << CallFields.EventId) | (1u << CallFields.Calling) | (1u << CallFields.Called) | (1u << CallFields.Direction) |
        (1u << CallFields.StartMs) | (1u << CallFields.DurationS) | (1u << CallFields.Answered) | (1u << CallFields.Origin);

    /// <summary>Parses a call event from <c>fs.calls</c>.</summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is a valid call event.</returns>
    public bool TryParseCall(ReadOnlySpan<byte> utf8, out CallEvent ev, out ParseError error)
        => Guarded<CallEvent, CallBody>(utf8, out ev, out error);

    /// <summary>Parses a call event from a possibly multi-segment message (see the class remarks on span lifetime).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is a valid call event.</returns>
    public bool TryParseCall(in ReadOnlySequence<byte> data, out CallEvent ev, out ParseError error)
        => Guarded<CallEvent, CallBody>(data, out ev, out error);

    private bool ParseCall<TTokens>(scoped ref TTokens reader, out CallEvent ev, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        ev = default;
        if (!BeginObject(ref reader, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> eventId = default, callId = default, originCountry = default, cellId = default;
        ulong calling = 0, presented = 0, called = 0, imei = 0, imsi = 0;
        CallDirection direction = default;
        CallOrigin origin = default;
        long startMs = 0, answerMs = 0, endMs = 0;
        int durationS = 0;
        bool answered = false, roaming = false;
        var fields = new FieldTracker(CallRequired, CallFields.Names);

        int field;
        while ((field = JsonRead.NextField<CallFields, TTokens>(ref reader)) != -2)
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
                CallFields.EventId => JsonRead.String(ref reader, out eventId),
                CallFields.CallId => JsonRead.String(ref reader, out callId),
                CallFields.Calling => JsonRead.Phone(ref reader, _options, out calling),
                CallFields.Presented => JsonRead.Phone(ref reader, _options, out presented),
                CallFields.Called => JsonRead.Phone(ref reader, _options, out called),
                CallFields.Direction => EnumRead.Direction(ref reader, out direction),
                CallFields.StartMs => JsonRead.Int64(ref reader, out startMs),
                CallFields.AnswerMs => JsonRead.Int64(ref reader, out answerMs),
                CallFields.EndMs => JsonRead.Int64(ref reader, out endMs),
                CallFields.DurationS => JsonRead.NonNegativeInt32(ref reader, out durationS),
                CallFields.Answered => JsonRead.Bool(ref reader, out answered),
                CallFields.Origin => EnumRead.Origin(ref reader, out origin),
                CallFields.OriginCountry => JsonRead.String(ref reader, out originCountry),
                CallFields.Imei => JsonRead.Digits(ref reader, out imei),
                CallFields.Imsi => JsonRead.Digits(ref reader, out imsi),
                CallFields.CellId => JsonRead.String(ref reader, out cellId),
                _ => JsonRead.Bool(ref reader, out roaming),
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

        ev = new CallEvent
        {
            EventId = eventId,
            CallId = callId,
            Calling = calling,
            Presented = presented,
            Called = called,
            Direction = direction,
            StartMs = startMs,
            AnswerMs = fields.Has(CallFields.AnswerMs) ? answerMs : null,
            EndMs = fields.Has(CallFields.EndMs) ? endMs : null,
            DurationS = durationS,
            Answered = answered,
            Origin = origin,
            OriginCountry = originCountry,
            Imei = imei,
            Imsi = imsi,
            CellId = cellId,
            Roaming = roaming,
        };
        return true;
    }

    /// <summary>The fields of a call event, in declaration order (the order missing fields are reported in).</summary>
    /// <summary>
    /// The calling and called numbers of a call record, found without parsing it: a scan for the two fields as
    /// producers write them (<c>"calling":"..."</c>, no spaces, no escapes), each normalized as the parse does. For
    /// hints that load state before the record is judged; not a validation (a record this reads may still be refused
    /// by <see cref="TryParseCall(ReadOnlySpan{byte}, out CallEvent, out ParseError)"/>), and a number it cannot find this way is 0.
    /// </summary>
    /// <param name="json">The record's value.</param>
    /// <param name="calling">The calling number, or 0.</param>
    /// <param name="called">The called number, or 0.</param>
    public void PeekCallNumbers(ReadOnlySpan<byte> json, out ulong calling, out ulong called)
    {
        calling = PeekNumber(json, "\"calling\":\""u8);
        called = PeekNumber(json, "\"called\":\""u8);
    }

    private ulong PeekNumber(ReadOnlySpan<byte> json, ReadOnlySpan<byte> field)
    {
        var at = json.IndexOf(field);
        if (at < 0)
        {
            return 0;
        }

        var value = json[(at + field.Length)..];
        var end = value.IndexOf((byte)'"');
        return end > 0 && PhoneNumber.TryNormalize(value[..end], _options, out var number) ? number : 0;
    }

    private readonly struct CallFields : IFieldSet
    {
        public const int EventId = 0, CallId = 1, Calling = 2, Presented = 3, Called = 4, Direction = 5, StartMs = 6,
            AnswerMs = 7, EndMs = 8, DurationS = 9, Answered = 10, Origin = 11, OriginCountry = 12, Imei = 13, Imsi = 14,
            CellId = 15, Roaming = 16;

        public static readonly string[] Names =
        [
            "event_id", "call_id", "calling", "presented", "called", "direction", "start_ms", "answer_ms", "end_ms",
            "duration_s", "answered", "origin", "origin_country", "imei", "imsi", "cell_id", "roaming",
        ];

        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 4:
                    if (name.SequenceEqual("imei"u8)) { return Imei; }
                    if (name.SequenceEqual("imsi"u8)) { return Imsi; }
                    break;
                case 6:
                    if (name.SequenceEqual("called"u8)) { return Called; }
                    if (name.SequenceEqual("end_ms"u8)) { return EndMs; }
                    if (name.SequenceEqual("origin"u8)) { return Origin; }
                    break;
                case 7:
                    if (name.SequenceEqual("call_id"u8)) { return CallId; }
                    if (name.SequenceEqual("calling"u8)) { return Calling; }
                    if (name.SequenceEqual("cell_id"u8)) { return CellId; }
                    if (name.SequenceEqual("roaming"u8)) { return Roaming; }
                    break;
                case 8:
                    if (name.SequenceEqual("event_id"u8)) { return EventId; }
                    if (name.SequenceEqual("start_ms"u8)) { return StartMs; }
                    if (name.SequenceEqual("answered"u8)) { return Answered; }
                    break;
                case 9:
                    if (name.SequenceEqual("presented"u8)) { return Presented; }
                    if (name.SequenceEqual("direction"u8)) { return Direction; }
                    if (name.SequenceEqual("answer_ms"u8)) { return AnswerMs; }
                    break;
                case 10:
                    if (name.SequenceEqual("duration_s"u8)) { return DurationS; }
                    break;
                case 14:
                    if (name.SequenceEqual("origin_country"u8)) { return OriginCountry; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The call parse as an <see cref="IEventBody{TEvent}"/>.</summary>
    private readonly struct CallBody : IEventBody<CallEvent>
    {
        public static bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out CallEvent ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct
            => parser.ParseCall(ref reader, out ev, out error);
    }
}
