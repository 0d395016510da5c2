using FraudShield.Contracts.Dispatch.V1;
using Google.Protobuf;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// The protobuf-encoded <see cref="AlertDelivery"/> of one hub entry, in the two forms a subscriber can receive it:
/// with the subject's full number, or without it (<see cref="AlertMasking.WithholdsNumber"/>). A delivery depends only
/// on the entry (alert, sequence, escalation, publication time) and that choice, so each form is encoded once per entry and its bytes are
/// written to every subscriber, instead of one AlertDelivery, resume token string and serialization per subscriber.
/// </summary>
/// <remarks>
/// Filled without a lock: writer loops racing on an empty slot both encode identical bytes and the first one stored is
/// kept. The bytes live as long as the entry is retained or buffered for a subscriber.
/// </remarks>
internal sealed class EncodedDeliveries
{
    private byte[]? _full;
    private byte[]? _withheld;

    /// <summary>The encoded delivery of <paramref name="entry"/> (which owns this instance) in the asked form.</summary>
    /// <param name="entry">The entry this instance belongs to.</param>
    /// <param name="withholdNumber">True for the form with <c>subject.msisdn</c> cleared.</param>
    /// <param name="epoch">The hub's resume token epoch.</param>
    public byte[] Get(in RetainedAlert entry, bool withholdNumber, uint epoch)
    {
        ref var slot = ref withholdNumber ? ref _withheld : ref _full;
        return Volatile.Read(ref slot) ?? Fill(ref slot, Encode(entry, withholdNumber, epoch));
    }

    private static byte[] Encode(in RetainedAlert entry, bool withholdNumber, uint epoch)
    {
        var delivery = new AlertDelivery
        {
            Alert = withholdNumber ? AlertMasking.WithoutNumber(entry.Alert) : entry.Alert,
            ResumeToken = ResumeTokenCodec.Format(epoch, entry.Sequence),
            Escalation = entry.Escalation,
            PublishedMs = entry.PublishedMs,
        };

        // Into an exact-size array through a span: ToByteArray would also allocate a CodedOutputStream per entry.
        var bytes = new byte[delivery.CalculateSize()];
        delivery.WriteTo(bytes);
        return bytes;
    }

    private static byte[] Fill(ref byte[]? slot, byte[] bytes) => Interlocked.CompareExchange(ref slot, bytes, null) ?? bytes;
}
