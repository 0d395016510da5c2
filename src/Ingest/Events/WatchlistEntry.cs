namespace FraudShield.Ingest.Events;

/// <summary>
/// A watchlist entry (topic <c>fs.watchlist</c>). Text fields are raw slices of the message (JSON string contents,
/// escapes kept).
/// </summary>
public readonly ref struct WatchlistEntry
{
    /// <summary><c>key_type</c> (required).</summary>
    public WatchKeyType KeyType { get; init; }

    /// <summary><c>key</c> (required), raw.</summary>
    public ReadOnlySpan<byte> Key { get; init; }

    /// <summary>The key as a number: normalized E.164 digits for <see cref="WatchKeyType.Msisdn"/>, the digits for
    /// <see cref="WatchKeyType.Imei"/> (a non-digit IMEI is rejected as an invalid value), otherwise 0.</summary>
    public ulong KeyNumber { get; init; }

    /// <summary><c>level</c> (required).</summary>
    public WatchLevel Level { get; init; }

    /// <summary><c>typology</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> Typology { get; init; }

    /// <summary><c>source</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> Source { get; init; }

    /// <summary><c>case_ref</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> CaseRef { get; init; }

    /// <summary><c>valid_from_ms</c>: Unix epoch milliseconds, null when absent.</summary>
    public long? ValidFromMs { get; init; }

    /// <summary><c>valid_to_ms</c>: Unix epoch milliseconds, null when absent (no expiry).</summary>
    public long? ValidToMs { get; init; }
}
