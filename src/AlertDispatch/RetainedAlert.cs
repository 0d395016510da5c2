using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch;

/// <summary>
/// An alert as the hub published it: its position in the hub's sequence, the alert's id, version and level, and its
/// delivery encoded once for every subscriber. It holds the encoded bytes, not an <see cref="Alert"/>:
/// <see cref="DecodeAlert"/> and <see cref="DecodeEscalation"/> make new instances for a reader that needs them.
/// </summary>
public readonly struct RetainedAlert
{
    private readonly EncodedAlert _alert;
    private readonly byte[] _fields;

    internal RetainedAlert(long sequence, EncodedAlert alert, uint epoch, Escalation? escalation, long publishedMs)
    {
        Sequence = sequence;
        PublishedMs = publishedMs;
        EscalationTier = escalation?.Tier ?? EscalationTier.Unspecified;
        _alert = alert;
        _fields = DeliveryWire.EntryFields(epoch, sequence, escalation, publishedMs);
    }

    /// <summary>Monotonically increasing from 1 per published alert.</summary>
    public long Sequence { get; }

    /// <summary>When the hub published it (Unix ms; the delivery's <c>published_ms</c>).</summary>
    public long PublishedMs { get; }

    /// <summary>The alert's id.</summary>
    public string AlertId => _alert.AlertId;

    /// <summary>The alert's version.</summary>
    public int Version => _alert.Version;

    /// <summary>The alert's level.</summary>
    public Severity Severity => _alert.Severity;

    /// <summary>The tier this entry re-notifies the alert at after an escalation; unspecified for its own publication.</summary>
    public EscalationTier EscalationTier { get; }

    /// <summary>True when this entry re-notifies an alert that escalated.</summary>
    public bool IsEscalation => EscalationTier != EscalationTier.Unspecified;

    internal EncodedAlert Encoded => _alert;

    /// <summary>A new <see cref="Alert"/> decoded from the entry (with the subject's full number).</summary>
    public Alert DecodeAlert() => _alert.Decode();

    /// <summary>A new <see cref="Escalation"/> decoded from the entry; null for an alert's own publication.</summary>
    public Escalation? DecodeEscalation() => IsEscalation ? AlertDelivery.Parser.ParseFrom(_fields).Escalation : null;

    /// <summary>
    /// The entry's encoded AlertDelivery as <paramref name="scope"/> may see it, in two parts to be written one after
    /// the other: the alert (the full number only when the scope covers the alert), shared by every entry of the
    /// version, and this entry's resume token, escalation and publication time.
    /// </summary>
    internal (byte[] Alert, byte[] Fields) Delivery(AlertScope scope) => (_alert.Field(scope), _fields);
}
