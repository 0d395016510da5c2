using System.Buffers;
using System.Buffers.Binary;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Google.Protobuf;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// The protobuf wire layout of an <see cref="AlertDelivery"/> in the two parts the hub keeps: field 1 (the alert),
/// shared by every entry of an alert version, and fields 2-4 (resume token, escalation, publication time), one per
/// entry. Protobuf writes fields in number order, so the two parts one after the other are byte for byte what the
/// generated serializer writes for the whole delivery (<c>EncodedAlertTests</c> compares them). Written straight into
/// exact-size arrays: no AlertDelivery, token string or CodedOutputStream per entry.
/// </summary>
internal static class DeliveryWire
{
    private const byte AlertTag = (1 << 3) | 2;
    private const byte ResumeTokenTag = (2 << 3) | 2;
    private const byte EscalationTag = (3 << 3) | 2;
    private const byte PublishedMsTag = 4 << 3;

    /// <summary>Field 1: the alert's tag, length and message.</summary>
    public static byte[] AlertField(Alert alert)
    {
        var size = alert.CalculateSize();
        var bytes = new byte[1 + CodedOutputStream.ComputeLengthSize(size) + size];
        bytes[0] = AlertTag;
        var at = 1 + WriteVarint(bytes.AsSpan(1), (uint)size);
        alert.WriteTo(bytes.AsSpan(at));
        return bytes;
    }

    /// <summary>Fields 2-4: the resume token of <paramref name="sequence"/>, the escalation when set, the publication time when not zero.</summary>
    public static byte[] EntryFields(uint epoch, long sequence, Escalation? escalation, long publishedMs)
    {
        Span<byte> token = stackalloc byte[ResumeTokenCodec.MaxUtf8Length];
        var tokenLength = ResumeTokenCodec.FormatUtf8(epoch, sequence, token);
        var escalationSize = escalation?.CalculateSize() ?? 0;
        var bytes = new byte[
            1 + CodedOutputStream.ComputeLengthSize(tokenLength) + tokenLength
            + (escalation is null ? 0 : 1 + CodedOutputStream.ComputeLengthSize(escalationSize) + escalationSize)
            + (publishedMs == 0 ? 0 : 1 + CodedOutputStream.ComputeInt64Size(publishedMs))];
        var span = bytes.AsSpan();
        var at = 0;
        span[at++] = ResumeTokenTag;
        at += WriteVarint(span[at..], (uint)tokenLength);
        token[..tokenLength].CopyTo(span[at..]);
        at += tokenLength;
        if (escalation is not null)
        {
            span[at++] = EscalationTag;
            at += WriteVarint(span[at..], (uint)escalationSize);
            escalation.WriteTo(span.Slice(at, escalationSize));
            at += escalationSize;
        }

        if (publishedMs != 0)
        {
            span[at++] = PublishedMsTag;
            WriteVarint(span[at..], (ulong)publishedMs);
        }

        return bytes;
    }

    /// <summary>The gRPC message prefix: the compressed flag and the 4-byte big-endian length.</summary>
    public const int GrpcMessageHeaderSize = 5;

    /// <summary>
    /// Writes one gRPC length-prefixed message (uncompressed flag, big-endian length) whose body is a delivery's two
    /// parts one after the other, straight into <paramref name="body"/> (a stream's response body); returns the bytes
    /// written. Allocates nothing: the parts are the hub's, shared by every subscriber of the entry.
    /// </summary>
    public static int WriteGrpcMessage(IBufferWriter<byte> body, (byte[] Alert, byte[] Fields) delivery)
    {
        var length = delivery.Alert.Length + delivery.Fields.Length;
        var span = body.GetSpan(GrpcMessageHeaderSize + length);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        delivery.Alert.CopyTo(span[GrpcMessageHeaderSize..]);
        delivery.Fields.CopyTo(span[(GrpcMessageHeaderSize + delivery.Alert.Length)..]);
        body.Advance(GrpcMessageHeaderSize + length);
        return GrpcMessageHeaderSize + length;
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }
}
