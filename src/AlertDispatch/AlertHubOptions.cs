namespace FraudShield.AlertDispatch;

/// <summary>Sizes of the <see cref="AlertHub"/>'s bounded structures and its level routing.</summary>
public sealed class AlertHubOptions
{
    /// <summary>How many published alerts are kept for resume (a ring; the oldest are dropped). Default 100,000.</summary>
    public int RetentionCapacity { get; set; } = 100_000;

    /// <summary>
    /// Alerts buffered per subscriber between the publisher and its writer loop. When a subscriber's buffer is full
    /// it is disconnected (it resumes with its last token). Default 1,024.
    /// </summary>
    public int SubscriberBufferCapacity { get; set; } = 1_024;

    /// <summary>How many (alert_id, version) pairs are remembered for de-duplication. Default 200,000.</summary>
    public int DeduplicationCapacity { get; set; } = 200_000;

    /// <summary>The level routing table.</summary>
    public AlertRoutingOptions Routing { get; set; } = new();

    /// <summary>The clock that stamps each delivery's publication time (<c>published_ms</c>).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(RetentionCapacity, 1, nameof(RetentionCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(SubscriberBufferCapacity, 1, nameof(SubscriberBufferCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(DeduplicationCapacity, 1, nameof(DeduplicationCapacity));
        ArgumentNullException.ThrowIfNull(Routing);
        ArgumentNullException.ThrowIfNull(Clock);
    }
}
