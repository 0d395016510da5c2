using System.Buffers;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    private const uint SmsRequired =
        (1u << SmsFields.EventId) | (1u << SmsFields.Receiver) | (1u << SmsFields.TsMs) | (1u << SmsFields.SenderClass);

    /// <summary>Parses an SMS event (topic <c>fs.signals</c>).</summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseSms(ReadOnlySpan<byte> utf8, out SmsEvent ev, out ParseError error)
        => Guarded<SmsEvent, SmsBody>(utf8, out ev, out error);

    /// <summary>Parses an SMS event from a possibly multi-segment message (see the class remarks on span lifetime).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseSms(in ReadOnlySequence<byte> data, out SmsEvent ev, out ParseError error)
        => Guarded<SmsEvent, SmsBody>(data, out ev, out error);

    private bool ParseSms<TTokens>(ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out SmsEvent ev, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        ev = default;
        if (!BeginObject(ref reader, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> eventId = default, senderRaw = default;
        ulong sender = 0, receiver = 0;
        long tsMs = 0;
        SenderClass senderClass = default;
        StringArray keywordFlags = default, urlDomains = default;
        var fields = new FieldTracker(SmsRequired, SmsFields.Names);

        int field;
        while ((field = JsonRead.NextField<SmsFields, TTokens>(ref reader)) != -2)
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
                SmsFields.EventId => JsonRead.String(ref reader, out eventId),
                SmsFields.Sender => JsonRead.Sender(ref reader, _options, out senderRaw, out sender),
                SmsFields.Receiver => JsonRead.Phone(ref reader, _options, out receiver),
                SmsFields.TsMs => JsonRead.Int64(ref reader, out tsMs),
                SmsFields.SenderClass => EnumRead.SenderClass(ref reader, out senderClass),
                SmsFields.KeywordFlags => JsonRead.StringArray(utf8, ref reader, null, out keywordFlags),
                _ => JsonRead.StringArray(utf8, ref reader, null, out urlDomains),
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

        ev = new SmsEvent
        {
            EventId = eventId,
            Sender = sender,
            SenderRaw = senderRaw,
            Receiver = receiver,
            TsMs = tsMs,
            SenderClass = senderClass,
            KeywordFlags = keywordFlags,
            UrlDomains = urlDomains,
        };
        return true;
    }

    /// <summary>The fields of an SMS event, in declaration order.</summary>
    private readonly struct SmsFields : IFieldSet
    {
        public const int EventId = 0, Sender = 1, Receiver = 2, TsMs = 3, SenderClass = 4, KeywordFlags = 5, UrlDomains = 6;

        public static readonly string[] Names =
            ["event_id", "sender", "receiver", "ts_ms", "sender_class", "keyword_flags", "url_domains"];

        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 5:
                    if (name.SequenceEqual("ts_ms"u8)) { return TsMs; }
                    break;
                case 6:
                    if (name.SequenceEqual("sender"u8)) { return Sender; }
                    break;
                case 8:
                    if (name.SequenceEqual("event_id"u8)) { return EventId; }
                    if (name.SequenceEqual("receiver"u8)) { return Receiver; }
                    break;
                case 11:
                    if (name.SequenceEqual("url_domains"u8)) { return UrlDomains; }
                    break;
                case 12:
                    if (name.SequenceEqual("sender_class"u8)) { return SenderClass; }
                    break;
                case 13:
                    if (name.SequenceEqual("keyword_flags"u8)) { return KeywordFlags; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The sms parse as an <see cref="IEventBody{TEvent}"/>.</summary>
    private readonly struct SmsBody : IEventBody<SmsEvent>
    {
        public static bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out SmsEvent ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct
            => parser.ParseSms(utf8, ref reader, out ev, out error);
    }
}
