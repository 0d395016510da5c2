namespace FraudShield.Ingest.Events;

/// <summary>Settings of an <see cref="EventParser"/> and of <see cref="PhoneNumber.TryNormalize"/>.</summary>
public sealed class ParserOptions
{
    /// <summary>The country calling code prefixed to national numbers (86 for China).</summary>
    public int DefaultCountryCode { get; init; } = 86;

    /// <summary>The length of a national mobile number without the country code (11 for China).</summary>
    public int NationalNumberLength { get; init; } = 11;

    /// <summary>The largest accepted message, in bytes; longer messages are rejected as <see cref="RejectReason.Oversized"/>.</summary>
    public int MaxEventBytes { get; init; } = 16 * 1024;

    /// <summary>The defaults: country code 86, 11-digit national numbers, 16 KiB messages.</summary>
    public static ParserOptions Default { get; } = new();
}
