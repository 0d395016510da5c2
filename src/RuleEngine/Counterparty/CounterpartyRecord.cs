using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using FraudShield.RuleEngine.Internal;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>What one fs.counterparty record says about its key.</summary>
public enum CounterpartyKind : byte
{
    /// <summary>Not a valid record.</summary>
    None = 0,

    /// <summary>A call made by the key (a calling number) to <see cref="CounterpartyRecord.Other"/>.</summary>
    CallerCall = 1,

    /// <summary>
    /// A call on a handset (the key is its IMEI) by the line <see cref="CounterpartyRecord.Line"/>; to
    /// <see cref="CounterpartyRecord.Other"/> when the handset placed it (0 when it received it).
    /// </summary>
    ImeiCall = 2,

    /// <summary>Money into the key (the payee account) from <see cref="CounterpartyRecord.Other"/> (a payer account hash).</summary>
    AccountIn = 3,

    /// <summary>Money out of the key (the payer account) to <see cref="CounterpartyRecord.Other"/> (a payee account hash).</summary>
    AccountOut = 4,
}

/// <summary>Flag bits of a <see cref="CounterpartyRecord"/>.</summary>
[Flags]
public enum CounterpartyMarks : byte
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>The call was answered.</summary>
    Answered = 1,

    /// <summary><see cref="CounterpartyRecord.BalanceAfterMinor"/> is known (an outbound transaction with the balance field).</summary>
    BalanceKnown = 2,

    /// <summary><see cref="CounterpartyRecord.OpenedMs"/> is known (an inbound transaction with <c>payee.opened_ms</c>).</summary>
    OpenedKnown = 4,
}

/// <summary>
/// One record of the internal repartition topic fs.counterparty: a fixed <see cref="Size"/>-byte little-endian layout.
/// A message of fs.counterparty packs one or more of them (its value is their concatenation) on the partition of
/// their counterparty's key (<see cref="Key"/> as 8 bytes big-endian, placed as a keyed message would be:
/// <see cref="Ingest.Kafka.KeyPartitioner"/>); the message's timestamp is its first record's source timestamp, and
/// each record gives its own as a difference from it.
/// <code>
/// offset size field
///   0     1  version (1)
///   1     1  kind (CounterpartyKind)
///   2     1  flags (CounterpartyMarks)
///   3     1  subject text length (0..32)
///   4     1  event id length (0..32)
///   5     3  source delta: the source record's Kafka timestamp minus the message's, ms, signed (0 in a message of one)
///   8     8  key: the aggregate's 64-bit key (see KeyOf*)
///  16     8  subject: the calling number or the IMEI (digits); 0 for accounts
///  24     8  other: the callee's number (calls; 0 when the handset received the call), the other account's hash (money)
///  32     8  line: the number used on the handset (ImeiCall), the payer's number (AccountIn); 0 when unknown
///  40     8  time: call start / transaction time, epoch ms (event time)
///  48     8  value: call duration in seconds / amount in minor units
///  56     8  balance after, minor units (AccountOut with BalanceKnown)
///  64     8  payee account opened, epoch ms (AccountIn with OpenedKnown)
///  72    32  subject text: the account, UTF-8 as in the event (longer ones truncated; the key hashes the whole)
/// 104    32  event id of the source event (call event_id / txn_id; longer ones truncated)
/// </code>
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct CounterpartyRecord
{
    /// <summary>Bytes of one encoded record.</summary>
    public const int Size = 136;

    /// <summary>Bytes of the inline texts (subject, event id).</summary>
    public const int TextBytes = 32;

    /// <summary>The largest <see cref="SourceDeltaMs"/> either way (24 bits, signed: about 2.3 hours).</summary>
    public const int MaxSourceDeltaMs = (1 << 23) - 1;

    private const byte Version = 1;
    private const byte CallerKeyKind = 211;
    private const byte ImeiKeyKind = 212;
    private const byte AccountKeyKind = 213;
    private const byte HistoryKeyKind = 214;

    /// <summary>The kind.</summary>
    public CounterpartyKind Kind;

    /// <summary>Flags.</summary>
    public CounterpartyMarks Flags;

    /// <summary>The aggregate's key.</summary>
    public long Key;

    /// <summary>The calling number or IMEI; 0 for accounts.</summary>
    public ulong Subject;

    /// <summary>Callee number or other account's hash.</summary>
    public long Other;

    /// <summary>The line used on a handset, or the payer's number.</summary>
    public ulong Line;

    /// <summary>Event time, epoch ms.</summary>
    public long TimeMs;

    /// <summary>Duration in seconds or amount in minor units.</summary>
    public long Value;

    /// <summary>Balance after an outbound transaction.</summary>
    public long BalanceAfterMinor;

    /// <summary>When the payee account was opened.</summary>
    public long OpenedMs;

    /// <summary>The subject text (accounts), inline.</summary>
    public InlineText SubjectText;

    /// <summary>Bytes used in <see cref="SubjectText"/>.</summary>
    public byte SubjectLength;

    /// <summary>The source event id, inline.</summary>
    public InlineText EventId;

    /// <summary>Bytes used in <see cref="EventId"/>.</summary>
    public byte EventIdLength;

    /// <summary>
    /// The source record's Kafka timestamp minus its fs.counterparty message's, ms (within
    /// ±<see cref="MaxSourceDeltaMs"/>); the aggregator carries the sum to the alert.
    /// </summary>
    public int SourceDeltaMs;

    /// <summary>The aggregate key of a calling number.</summary>
    public static long KeyOfCaller(ulong number) => KeyHash.Of(CallerKeyKind, number);

    /// <summary>The aggregate key of a handset.</summary>
    public static long KeyOfImei(ulong imei) => KeyHash.Of(ImeiKeyKind, imei);

    /// <summary>The aggregate key of an account (also the "other" of the opposite leg).</summary>
    public static long KeyOfAccount(ReadOnlySpan<byte> account) => KeyHash.Of(AccountKeyKind, account);

    /// <summary>The key of a partition's history record (the earliest event time the partition's state covers).</summary>
    public static long KeyOfHistory(int partition) => KeyHash.Of(HistoryKeyKind, (ulong)partition);

    /// <summary>Copies <paramref name="text"/> (truncated) into <see cref="SubjectText"/>.</summary>
    public void SetSubjectText(ReadOnlySpan<byte> text) => SubjectLength = (byte)Copy(text, SubjectText);

    /// <summary>Copies <paramref name="id"/> (truncated) into <see cref="EventId"/>.</summary>
    public void SetEventId(ReadOnlySpan<byte> id) => EventIdLength = (byte)Copy(id, EventId);

    /// <summary>The subject text.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> SubjectBytes => ((ReadOnlySpan<byte>)SubjectText)[..SubjectLength];

    /// <summary>The source event id.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> EventIdBytes => ((ReadOnlySpan<byte>)EventId)[..EventIdLength];

    /// <summary>Writes the Kafka key (the aggregate key, big-endian) into <paramref name="destination"/> (8 bytes).</summary>
    public readonly void WriteKey(Span<byte> destination) => WriteKey(Key, destination);

    /// <summary>Writes <paramref name="key"/> as the Kafka key of its records (8 bytes, big-endian) into <paramref name="destination"/>.</summary>
    public static void WriteKey(long key, Span<byte> destination) => BinaryPrimitives.WriteInt64BigEndian(destination, key);

    /// <summary>Encodes the record into <paramref name="destination"/> (at least <see cref="Size"/> bytes).</summary>
    public readonly void Write(Span<byte> destination)
    {
        var d = destination[..Size];
        d[0] = Version;
        d[1] = (byte)Kind;
        d[2] = (byte)Flags;
        d[3] = SubjectLength;
        d[4] = EventIdLength;
        d[5] = (byte)SourceDeltaMs;
        d[6] = (byte)(SourceDeltaMs >> 8);
        d[7] = (byte)(SourceDeltaMs >> 16);
        BinaryPrimitives.WriteInt64LittleEndian(d[8..], Key);
        BinaryPrimitives.WriteUInt64LittleEndian(d[16..], Subject);
        BinaryPrimitives.WriteInt64LittleEndian(d[24..], Other);
        BinaryPrimitives.WriteUInt64LittleEndian(d[32..], Line);
        BinaryPrimitives.WriteInt64LittleEndian(d[40..], TimeMs);
        BinaryPrimitives.WriteInt64LittleEndian(d[48..], Value);
        BinaryPrimitives.WriteInt64LittleEndian(d[56..], BalanceAfterMinor);
        BinaryPrimitives.WriteInt64LittleEndian(d[64..], OpenedMs);
        ((ReadOnlySpan<byte>)SubjectText).CopyTo(d[72..]);
        ((ReadOnlySpan<byte>)EventId).CopyTo(d[104..]);
    }

    /// <summary>Decodes a record; false when the bytes are not a version-1 record of a known kind with sane lengths.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out CounterpartyRecord record)
    {
        record = default;
        if (source.Length != Size || source[0] != Version || source[1] is < (byte)CounterpartyKind.CallerCall or > (byte)CounterpartyKind.AccountOut
            || source[3] > TextBytes || source[4] > TextBytes)
        {
            return false;
        }

        record.Kind = (CounterpartyKind)source[1];
        record.Flags = (CounterpartyMarks)source[2];
        record.SubjectLength = source[3];
        record.EventIdLength = source[4];
        record.SourceDeltaMs = SourceDeltaOf(source);
        record.Key = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        record.Subject = BinaryPrimitives.ReadUInt64LittleEndian(source[16..]);
        record.Other = BinaryPrimitives.ReadInt64LittleEndian(source[24..]);
        record.Line = BinaryPrimitives.ReadUInt64LittleEndian(source[32..]);
        record.TimeMs = BinaryPrimitives.ReadInt64LittleEndian(source[40..]);
        record.Value = BinaryPrimitives.ReadInt64LittleEndian(source[48..]);
        record.BalanceAfterMinor = BinaryPrimitives.ReadInt64LittleEndian(source[56..]);
        record.OpenedMs = BinaryPrimitives.ReadInt64LittleEndian(source[64..]);
        source.Slice(72, TextBytes).CopyTo(record.SubjectText);
        source.Slice(104, TextBytes).CopyTo(record.EventId);
        return true;
    }

    /// <summary>The <see cref="SourceDeltaMs"/> of the encoded record at the start of <paramref name="source"/> (at least 8 bytes).</summary>
    public static int SourceDeltaOf(ReadOnlySpan<byte> source) => (source[5] | (source[6] << 8) | (source[7] << 16)) << 8 >> 8; // sign-extends 24 bits

    /// <summary>Copies <paramref name="text"/> into <paramref name="destination"/> (cleared first, truncated to <see cref="TextBytes"/>); returns the bytes kept.</summary>
    internal static int Copy(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        var n = Math.Min(text.Length, TextBytes);
        destination.Clear();
        text[..n].CopyTo(destination);
        return n;
    }
}

/// <summary>32 bytes of inline text (blittable, for records and FASTER values).</summary>
[System.Runtime.CompilerServices.InlineArray(CounterpartyRecord.TextBytes)]
public struct InlineText
{
    private byte _first;
}
