namespace FraudShield.Ingest.Events;

/// <summary>
/// A handset or app signal (topic <c>fs.signals</c>). Text fields are raw slices of the message (JSON string contents,
/// escapes kept).
/// </summary>
public readonly ref struct DeviceEvent
{
    /// <summary><c>event_id</c> (required).</summary>
    public ReadOnlySpan<byte> EventId { get; init; }

    /// <summary><c>msisdn</c> (required): the device owner's number, E.164 digits.</summary>
    public ulong Msisdn { get; init; }

    /// <summary><c>device_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> DeviceId { get; init; }

    /// <summary><c>ts_ms</c> (required): Unix epoch milliseconds.</summary>
    public long TsMs { get; init; }

    /// <summary><c>type</c> (required).</summary>
    public DeviceEventType Type { get; init; }

    /// <summary><c>package</c>: the app package; empty when absent.</summary>
    public ReadOnlySpan<byte> Package { get; init; }

    /// <summary><c>app_category</c>; <see cref="AppCategory.None"/> when absent.</summary>
    public AppCategory AppCategory { get; init; }

    /// <summary><c>on_call</c>: whether a call was in progress; false when absent.</summary>
    public bool OnCall { get; init; }
}
