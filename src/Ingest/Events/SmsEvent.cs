namespace FraudShield.Ingest.Events;

/// <summary>
/// An SMS seen by the operator (topic <c>fs.signals</c>). Text fields are raw slices of the message (JSON string
/// contents, escapes kept).
/// </summary>
public readonly ref struct SmsEvent
{
    /// <summary><c>event_id</c> (required).</summary>
    public ReadOnlySpan<byte> EventId { get; init; }

    /// <summary><c>sender</c> as E.164 digits; 0 when absent or when the sender does not normalize (an alphanumeric
    /// sender id such as <c>"BANK"</c>), in which case <see cref="SenderRaw"/> holds it.</summary>
    public ulong Sender { get; init; }

    /// <summary><c>sender</c> exactly as sent (raw string contents, or the digits of a JSON number); empty when absent.</summary>
    public ReadOnlySpan<byte> SenderRaw { get; init; }

    /// <summary><c>receiver</c> (required): E.164 digits.</summary>
    public ulong Receiver { get; init; }

    /// <summary><c>ts_ms</c> (required): Unix epoch milliseconds.</summary>
    public long TsMs { get; init; }

    /// <summary><c>sender_class</c> (required).</summary>
    public SenderClass SenderClass { get; init; }

    /// <summary><c>keyword_flags</c>; empty when absent.</summary>
    public StringArray KeywordFlags { get; init; }

    /// <summary><c>url_domains</c>; empty when absent.</summary>
    public StringArray UrlDomains { get; init; }
}
