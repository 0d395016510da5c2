using System.Buffers;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    private const uint WatchRequired = (1u << WatchFields.KeyType) | (1u << WatchFields.Key) | (1u << WatchFields.Level);

    /// <summary>Parses a watchlist entry (topic <c>fs.watchlist</c>).</summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseWatchlistEntry(ReadOnlySpan<byte> utf8, out WatchlistEntry ev, out ParseError error)
        => Guarded<WatchlistEntry, WatchlistBody>(utf8, out ev, out error);

    /// <summary>Parses a watchlist entry from a possibly multi-segment message (see the class remarks on span lifetime).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseWatchlistEntry(in ReadOnlySequence<byte> data, out WatchlistEntry ev, out ParseError error)
        => Guarded<WatchlistEntry, WatchlistBody>(data, out ev, out error);

    private bool ParseWatchlistEntry<TTokens>(scoped ref TTokens reader, out WatchlistEntry ev, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        ev = default;
        if (!BeginObject(ref reader, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> key = default, typology = default, source = default, caseRef = default;
        WatchKeyType keyType = default;
        WatchLevel level = default;
        long validFromMs = 0, validToMs = 0;

        // key_type may follow key, so the key is read both ways and the right reading is picked at the end.
        ulong keyPhone = 0, keyDigits = 0;
        bool keyIsPhone = false, keyIsDigits = false;
        var fields = new FieldTracker(WatchRequired, WatchFields.Names);

        int field;
        while ((field = JsonRead.NextField<WatchFields, TTokens>(ref reader)) != -2)
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

            RejectReason r;
            switch (field)
            {
                case WatchFields.KeyType: r = EnumRead.WatchKeyType(ref reader, out keyType); break;
                case WatchFields.Key:
                    r = JsonRead.String(ref reader, out key);
                    if (r == RejectReason.None)
                    {
                        JsonRead.KeyNumbers(ref reader, _options, out keyIsPhone, out keyPhone, out keyIsDigits, out keyDigits);
                    }

                    break;
                case WatchFields.Level: r = EnumRead.WatchLevel(ref reader, out level); break;
                case WatchFields.Typology: r = JsonRead.String(ref reader, out typology); break;
                case WatchFields.Source: r = JsonRead.String(ref reader, out source); break;
                case WatchFields.CaseRef: r = JsonRead.String(ref reader, out caseRef); break;
                case WatchFields.ValidFromMs: r = JsonRead.Int64(ref reader, out validFromMs); break;
                default: r = JsonRead.Int64(ref reader, out validToMs); break;
            }

            if (!fields.Accept(field, r, out error))
            {
                return false;
            }
        }

        if (!EndObject(ref reader, out error) || !fields.Complete(out error))
        {
            return false;
        }

        ulong keyNumber = 0;
        if (keyType == WatchKeyType.Msisdn)
        {
            if (!keyIsPhone)
            {
                return Fail(RejectReason.InvalidPhoneNumber, "key", out error);
            }

            keyNumber = keyPhone;
        }
        else if (keyType == WatchKeyType.Imei)
        {
            if (!keyIsDigits || keyDigits == 0)
            {
                return Fail(RejectReason.InvalidValue, "key", out error);
            }

            keyNumber = keyDigits;
        }

        ev = new WatchlistEntry
        {
            KeyType = keyType,
            Key = key,
            KeyNumber = keyNumber,
            Level = level,
            Typology = typology,
            Source = source,
            CaseRef = caseRef,
            ValidFromMs = fields.Has(WatchFields.ValidFromMs) ? validFromMs : null,
            ValidToMs = fields.Has(WatchFields.ValidToMs) ? validToMs : null,
        };
        return true;
    }

    /// <summary>The fields of a watchlist entry, in declaration order.</summary>
    private readonly struct WatchFields : IFieldSet
    {
        public const int KeyType = 0, Key = 1, Level = 2, Typology = 3, Source = 4, CaseRef = 5, ValidFromMs = 6, ValidToMs = 7;

        public static readonly string[] Names =
            ["key_type", "key", "level", "typology", "source", "case_ref", "valid_from_ms", "valid_to_ms"];

        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 3:
                    if (name.SequenceEqual("key"u8)) { return Key; }
                    break;
                case 5:
                    if (name.SequenceEqual("level"u8)) { return Level; }
                    break;
                case 6:
                    if (name.SequenceEqual("source"u8)) { return Source; }
                    break;
                case 8:
                    if (name.SequenceEqual("key_type"u8)) { return KeyType; }
                    if (name.SequenceEqual("typology"u8)) { return Typology; }
                    if (name.SequenceEqual("case_ref"u8)) { return CaseRef; }
                    break;
                case 11:
                    if (name.SequenceEqual("valid_to_ms"u8)) { return ValidToMs; }
                    break;
                case 13:
                    if (name.SequenceEqual("valid_from_ms"u8)) { return ValidFromMs; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The watchlist entry parse as an <see cref="IEventBody{TEvent}"/>.</summary>
    private readonly struct WatchlistBody : IEventBody<WatchlistEntry>
    {
        public static bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out WatchlistEntry ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct
            => parser.ParseWatchlistEntry(ref reader, out ev, out error);
    }
}
