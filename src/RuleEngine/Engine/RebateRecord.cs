using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using FraudShield.RuleEngine.Counterparty;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// One record of the internal topic fs.rebates: R12's inbound half, a small transfer into a registered resident from a
/// payer the register does not know, sent by the engine that judged the transfer (on the payer's partition) to the
/// engine that holds the receiver's state (on the receiver's partition). A fixed <see cref="Size"/>-byte
/// little-endian layout, keyed like the event topics (Kafka key: the receiver's number in E.164 digits, see
/// <see cref="TryFormatKey"/>), so the partitioner puts it on the receiver's partition number.
/// <code>
/// offset size field
///   0     1  version (1)
///   1     1  transaction id length (0..32)
///   2     6  reserved (0)
///   8     8  receiver: the payee's number (E.164 digits), from the register
///  16     8  time: the transfer's ts_ms (event time)
///  24     8  amount, minor units
///  32     8  payer account key (the payer account as a counterparty among the receiver's pairs)
///  40     8  transfer key: a 64-bit hash of the whole transaction id (the receiver applies each rebate once by it)
///  48     8  source timestamp: the transfer's Kafka timestamp, epoch ms (carried to an alert for latency)
///  56     8  origin: a hash of the sending engine group (<see cref="OriginOf"/>); other groups' records are skipped
///  64    32  transaction id (longer ones truncated; evidence only)
/// </code>
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct RebateRecord
{
    /// <summary>Bytes of one encoded record.</summary>
    public const int Size = 96;

    private const byte Version = 1;
    private const int OriginOffset = 56;

    /// <summary>The receiver's number (E.164 digits).</summary>
    public ulong Receiver;

    /// <summary>The transfer's event time, epoch ms.</summary>
    public long TimeMs;

    /// <summary>The amount, minor units.</summary>
    public long AmountMinor;

    /// <summary>The payer account's key among the receiver's payees (the pair store's counterparty half).</summary>
    public long PayerAccountKey;

    /// <summary>A 64-bit hash of the whole transaction id.</summary>
    public long TransferKey;

    /// <summary>The transfer's Kafka timestamp, epoch ms.</summary>
    public long SourceTimestampMs;

    /// <summary>The sending engine group (<see cref="OriginOf"/>); 0 when applied in the process that found it.</summary>
    public long Origin;

    /// <summary>The transaction id, inline.</summary>
    public InlineText TxnId;

    /// <summary>Bytes used in <see cref="TxnId"/>.</summary>
    public byte TxnIdLength;

    /// <summary>The origin mark of an engine group: records on fs.rebates from other groups are not theirs to apply.</summary>
    public static long OriginOf(string groupId) => (long)(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(groupId ?? string.Empty)) | 1);

    /// <summary>Copies <paramref name="id"/> (truncated to 32 bytes) into <see cref="TxnId"/>.</summary>
    public void SetTxnId(ReadOnlySpan<byte> id) => TxnIdLength = (byte)CounterpartyRecord.Copy(id, TxnId);

    /// <summary>The transaction id (at most its first 32 bytes).</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> TxnIdBytes => ((ReadOnlySpan<byte>)TxnId)[..TxnIdLength];

    /// <summary>
    /// Writes the Kafka key, the receiver's number as E.164 digits (the way the event topics are keyed by their party),
    /// into <paramref name="destination"/>; false when it does not fit (20 bytes always do).
    /// </summary>
    public readonly bool TryFormatKey(Span<byte> destination, out int written) =>
        Receiver.TryFormat(destination, out written, default, CultureInfo.InvariantCulture);

    /// <summary>Encodes the record into <paramref name="destination"/> (at least <see cref="Size"/> bytes).</summary>
    public readonly void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d[..8].Clear();
        d[0] = Version;
        d[1] = TxnIdLength;
        BinaryPrimitives.WriteUInt64LittleEndian(d[8..], Receiver);
        BinaryPrimitives.WriteInt64LittleEndian(d[16..], TimeMs);
        BinaryPrimitives.WriteInt64LittleEndian(d[24..], AmountMinor);
        BinaryPrimitives.WriteInt64LittleEndian(d[32..], PayerAccountKey);
        BinaryPrimitives.WriteInt64LittleEndian(d[40..], TransferKey);
        BinaryPrimitives.WriteInt64LittleEndian(d[48..], SourceTimestampMs);
        BinaryPrimitives.WriteInt64LittleEndian(d[OriginOffset..], Origin);
        ((ReadOnlySpan<byte>)TxnId).CopyTo(d[64..]);
    }

    /// <summary>
    /// True when <paramref name="source"/> is a record sent by another engine group than <paramref name="origin"/>'s
    /// (to be skipped, not judged); false for this group's records and for anything not a record (judged, and refused).
    /// </summary>
    public static bool IsFromAnotherGroup(ReadOnlySpan<byte> source, long origin) =>
        source.Length == Size && source[0] == Version && BinaryPrimitives.ReadInt64LittleEndian(source[OriginOffset..]) != origin;

    /// <summary>
    /// Decodes a record; false, with what is wrong, when the bytes are not a version-1 record of <see cref="Size"/>
    /// bytes with a receiver, a positive amount and a sane id length.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RebateRecord record, out string problem)
    {
        record = default;
        problem = source.Length != Size ? "length" : source[0] != Version ? "version" : source[1] > CounterpartyRecord.TextBytes ? "txn_id_length" : string.Empty;
        if (problem.Length != 0)
        {
            return false;
        }

        record.TxnIdLength = source[1];
        record.Receiver = BinaryPrimitives.ReadUInt64LittleEndian(source[8..]);
        record.TimeMs = BinaryPrimitives.ReadInt64LittleEndian(source[16..]);
        record.AmountMinor = BinaryPrimitives.ReadInt64LittleEndian(source[24..]);
        record.PayerAccountKey = BinaryPrimitives.ReadInt64LittleEndian(source[32..]);
        record.TransferKey = BinaryPrimitives.ReadInt64LittleEndian(source[40..]);
        record.SourceTimestampMs = BinaryPrimitives.ReadInt64LittleEndian(source[48..]);
        record.Origin = BinaryPrimitives.ReadInt64LittleEndian(source[OriginOffset..]);
        source.Slice(64, CounterpartyRecord.TextBytes).CopyTo(record.TxnId);
        problem = record.Receiver == 0 ? "receiver" : record.AmountMinor <= 0 ? "amount_minor" : string.Empty;
        return problem.Length == 0;
    }
}
