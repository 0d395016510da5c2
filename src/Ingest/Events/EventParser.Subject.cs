using System.Buffers;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    private const uint SubjectRequired = (1u << SubjectFields.PersonId) | (1u << SubjectFields.Msisdns) | (1u << SubjectFields.StationId);

    /// <summary>Parses a resident register record (topic <c>fs.registry</c>).</summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseSubject(ReadOnlySpan<byte> utf8, out SubjectRecord ev, out ParseError error)
        => Guarded<SubjectRecord, SubjectBody>(utf8, out ev, out error);

    /// <summary>Parses a resident register record from a possibly multi-segment message (see the class remarks on span lifetime).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseSubject(in ReadOnlySequence<byte> data, out SubjectRecord ev, out ParseError error)
        => Guarded<SubjectRecord, SubjectBody>(data, out ev, out error);

    private bool ParseSubject<TTokens>(ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out SubjectRecord ev, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        ev = default;
        if (!BeginObject(ref reader, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> personId = default, addressId = default, stationId = default, beatId = default, gridId = default,
            gridWorkerId = default;
        StringArray msisdns = default, accounts = default, familyMsisdns = default;
        int birthYear = 0;
        SubjectFlags flags = default;
        var fields = new FieldTracker(SubjectRequired, SubjectFields.Names);

        int field;
        while ((field = JsonRead.NextField<SubjectFields, TTokens>(ref reader)) != -2)
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
                SubjectFields.PersonId => JsonRead.String(ref reader, out personId),
                SubjectFields.Msisdns => JsonRead.StringArray(utf8, ref reader, _options, out msisdns),
                SubjectFields.Accounts => JsonRead.StringArray(utf8, ref reader, null, out accounts),
                SubjectFields.BirthYear => JsonRead.Int32(ref reader, out birthYear),
                SubjectFields.Flags => EnumRead.SubjectFlags(ref reader, out flags),
                SubjectFields.AddressId => JsonRead.String(ref reader, out addressId),
                SubjectFields.StationId => JsonRead.String(ref reader, out stationId),
                SubjectFields.BeatId => JsonRead.String(ref reader, out beatId),
                SubjectFields.GridId => JsonRead.String(ref reader, out gridId),
                SubjectFields.GridWorkerId => JsonRead.String(ref reader, out gridWorkerId),
                _ => JsonRead.StringArray(utf8, ref reader, null, out familyMsisdns),
            };
            if (r == RejectReason.None && field == SubjectFields.Msisdns && msisdns.IsEmpty)
            {
                r = RejectReason.InvalidValue;
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

        ev = new SubjectRecord
        {
            PersonId = personId,
            Msisdns = msisdns,
            Accounts = accounts,
            BirthYear = fields.Has(SubjectFields.BirthYear) ? birthYear : null,
            Flags = flags,
            AddressId = addressId,
            StationId = stationId,
            BeatId = beatId,
            GridId = gridId,
            GridWorkerId = gridWorkerId,
            FamilyMsisdns = familyMsisdns,
        };
        return true;
    }

    /// <summary>The fields of a register record, in declaration order.</summary>
    private readonly struct SubjectFields : IFieldSet
    {
        public const int PersonId = 0, Msisdns = 1, Accounts = 2, BirthYear = 3, Flags = 4, AddressId = 5, StationId = 6,
            BeatId = 7, GridId = 8, GridWorkerId = 9, FamilyMsisdns = 10;

        public static readonly string[] Names =
        [
            "person_id", "msisdns", "accounts", "birth_year", "flags", "address_id", "station_id", "beat_id", "grid_id",
            "grid_worker_id", "family_msisdns",
        ];

        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 5:
                    if (name.SequenceEqual("flags"u8)) { return Flags; }
                    break;
                case 7:
                    if (name.SequenceEqual("msisdns"u8)) { return Msisdns; }
                    if (name.SequenceEqual("beat_id"u8)) { return BeatId; }
                    if (name.SequenceEqual("grid_id"u8)) { return GridId; }
                    break;
                case 8:
                    if (name.SequenceEqual("accounts"u8)) { return Accounts; }
                    break;
                case 9:
                    if (name.SequenceEqual("person_id"u8)) { return PersonId; }
                    break;
                case 10:
                    if (name.SequenceEqual("birth_year"u8)) { return BirthYear; }
                    if (name.SequenceEqual("address_id"u8)) { return AddressId; }
                    if (name.SequenceEqual("station_id"u8)) { return StationId; }
                    break;
                case 14:
                    if (name.SequenceEqual("grid_worker_id"u8)) { return GridWorkerId; }
                    if (name.SequenceEqual("family_msisdns"u8)) { return FamilyMsisdns; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The subject parse as an <see cref="IEventBody{TEvent}"/>.</summary>
    private readonly struct SubjectBody : IEventBody<SubjectRecord>
    {
        public static bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out SubjectRecord ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct
            => parser.ParseSubject(utf8, ref reader, out ev, out error);
    }
}
