namespace FraudShield.Ingest.Events;

/// <summary>
/// A resident register record (topic <c>fs.registry</c>). Text fields are raw slices of the message (JSON string
/// contents, escapes kept).
/// </summary>
public readonly ref struct SubjectRecord
{
    /// <summary><c>person_id</c> (required).</summary>
    public ReadOnlySpan<byte> PersonId { get; init; }

    /// <summary><c>msisdns</c> (required, non-empty): raw numbers, each validated to normalize with
    /// <see cref="PhoneNumber.TryNormalize"/>.</summary>
    public StringArray Msisdns { get; init; }

    /// <summary><c>accounts</c>; empty when absent.</summary>
    public StringArray Accounts { get; init; }

    /// <summary><c>birth_year</c>; null when absent.</summary>
    public int? BirthYear { get; init; }

    /// <summary><c>flags</c>; <see cref="SubjectFlags.None"/> when absent.</summary>
    public SubjectFlags Flags { get; init; }

    /// <summary><c>address_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> AddressId { get; init; }

    /// <summary><c>station_id</c> (required): the home police station.</summary>
    public ReadOnlySpan<byte> StationId { get; init; }

    /// <summary><c>beat_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> BeatId { get; init; }

    /// <summary><c>grid_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> GridId { get; init; }

    /// <summary><c>grid_worker_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> GridWorkerId { get; init; }

    /// <summary><c>family_msisdns</c>: raw numbers, not validated (normalize them when used); empty when absent.</summary>
    public StringArray FamilyMsisdns { get; init; }
}
