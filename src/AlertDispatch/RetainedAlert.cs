using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch;

/// <summary>An alert as the hub published it: its position in the hub's sequence and the (shared, read-only) alert.</summary>
/// <param name="Sequence">Monotonically increasing from 1 per published alert.</param>
/// <param name="Alert">The alert; shared by every subscriber, never mutate it.</param>
/// <param name="Escalation">Set when this entry re-notifies an alert that escalated; shared, never mutate it.</param>
/// <param name="PublishedMs">When the hub published it (Unix ms; the delivery's <c>published_ms</c>).</param>
public readonly record struct RetainedAlert(long Sequence, Alert Alert, Escalation? Escalation = null, long PublishedMs = 0)
{
    /// <summary>This entry's encoded deliveries, filled by the first writer loop that needs each form; shared by every copy.</summary>
    internal EncodedDeliveries Encoded { get; } = new();
}
