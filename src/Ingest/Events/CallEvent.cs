namespace FraudShield.Ingest.Events;

/// <summary>
/// A call detail record (topic <c>fs.calls</c>). Text fields are raw slices of the message (JSON string contents,
/// escapes kept) valid as long as the message bytes; phone numbers are E.164 digits, 0 when absent.
/// </summary>
public readonly ref struct CallEvent
{
    /// <summary><c>event_id</c> (required).</summary>
    public ReadOnlySpan<byte> EventId { get; init; }

    /// <summary><c>call_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> CallId { get; init; }

    /// <summary><c>calling</c> (required): the real calling number, E.164 digits.</summary>
    public ulong Calling { get; init; }

    /// <summary><c>presented</c>: the number shown to the callee, E.164 digits; 0 when absent.</summary>
    public ulong Presented { get; init; }

    /// <summary><c>called</c> (required): E.164 digits.</summary>
    public ulong Called { get; init; }

    /// <summary><c>direction</c> (required).</summary>
    public CallDirection Direction { get; init; }

    /// <summary><c>start_ms</c> (required): Unix epoch milliseconds.</summary>
    public long StartMs { get; init; }

    /// <summary><c>answer_ms</c>: Unix epoch milliseconds, null when not answered or absent.</summary>
    public long? AnswerMs { get; init; }

    /// <summary><c>end_ms</c>: Unix epoch milliseconds, null when absent.</summary>
    public long? EndMs { get; init; }

    /// <summary><c>duration_s</c> (required): seconds, non-negative.</summary>
    public int DurationS { get; init; }

    /// <summary><c>answered</c> (required).</summary>
    public bool Answered { get; init; }

    /// <summary><c>origin</c> (required).</summary>
    public CallOrigin Origin { get; init; }

    /// <summary><c>origin_country</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> OriginCountry { get; init; }

    /// <summary><c>imei</c>: digits only, 0 when absent (leading zeros are not kept).</summary>
    public ulong Imei { get; init; }

    /// <summary><c>imsi</c>: digits only, 0 when absent (leading zeros are not kept).</summary>
    public ulong Imsi { get; init; }

    /// <summary><c>cell_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> CellId { get; init; }

    /// <summary><c>roaming</c>; false when absent.</summary>
    public bool Roaming { get; init; }
}
