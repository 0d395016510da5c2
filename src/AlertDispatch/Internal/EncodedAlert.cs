using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// One alert version as the hub retains it: the alert encoded as field 1 of an <see cref="AlertDelivery"/> (its tag,
/// length and message), in the two forms a subscriber can receive (with the subject's full number, or without it:
/// <see cref="AlertMasking.WithholdsNumber(bool, in AlertRoute, AlertScope)"/>; <see cref="DeliveryWire"/>), and the
/// few fields routing reads.
/// </summary>
/// <remarks>
/// <para>The hub keeps no <see cref="Alert"/> object graph (about 45 objects and 1 KB a version): a retention ring of a
/// city's alerts would be millions of objects for every Gen2 collection to mark. An encoded version is a handful of
/// objects whose arrays hold no references. A delivery is this field followed by its entry's own fields (resume
/// token, escalation, publication time).</para>
/// <para>Shared by every entry of the version (its publication and its escalations). The form without the number
/// is encoded when a subscriber first needs it, without a lock: racing writer loops encode identical bytes and the
/// first stored is kept.</para>
/// </remarks>
internal sealed class EncodedAlert
{
    private readonly byte[] _full;
    private byte[]? _withheld;

    public EncodedAlert(Alert alert, AlertRoute route)
    {
        AlertId = alert.AlertId;
        Version = alert.Version;
        Severity = alert.Severity;
        Route = route;
        HasNumber = AlertMasking.HasNumber(alert);
        _full = DeliveryWire.AlertField(alert);
    }

    public string AlertId { get; }

    public int Version { get; }

    public Severity Severity { get; }

    /// <summary>The jurisdictions the alert is routed by.</summary>
    public AlertRoute Route { get; }

    /// <summary>True when the subject's full number is set (a scope not covering the alert gets the form without it).</summary>
    public bool HasNumber { get; }

    /// <summary>The encoded field in the form <paramref name="scope"/> may see.</summary>
    public byte[] Field(AlertScope scope) =>
        AlertMasking.WithholdsNumber(HasNumber, Route, scope) ? Volatile.Read(ref _withheld) ?? FillWithheld() : _full;

    /// <summary>A new <see cref="Alert"/> decoded from the full form.</summary>
    public Alert Decode() => AlertDelivery.Parser.ParseFrom(_full).Alert;

    private byte[] FillWithheld() =>
        Interlocked.CompareExchange(ref _withheld, DeliveryWire.AlertField(AlertMasking.WithoutNumber(Decode())), null) ?? _withheld!;
}
