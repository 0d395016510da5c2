using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Polls a consumer built by Confluent.Kafka without allocating per message: the same librdkafka call Confluent's
/// <c>Consume</c> makes (<c>rd_kafka_consumer_poll</c> on the consumer's own handle, which also serves its rebalance,
/// error and commit callbacks), but the message is read in place (key and value as spans over librdkafka's buffer,
/// the topic name cached per topic handle) instead of being copied into a <c>ConsumeResult</c>, a <c>Message</c>, a
/// <c>TopicPartitionOffset</c> and a topic string each time (about 430 bytes a message, measured). Group membership,
/// assignment, offset storage and commits, and closing stay with the Confluent consumer.
/// </summary>
/// <remarks>
/// Single-threaded: use it only on the thread that owns the consumer, and dispose each <see cref="NativeMessage"/>
/// before the next poll. Dispose the poller before closing the consumer.
/// </remarks>
public sealed unsafe partial class NativePoller : IDisposable
{
    /// <summary>rd_kafka_resp_err_t RD_KAFKA_RESP_ERR__PARTITION_EOF.</summary>
    internal const int PartitionEof = -191;

    private readonly SafeHandle _handle;
    private readonly nint _rk;
    private readonly Dictionary<nint, string> _topics = [];
    private bool _released;

    /// <summary>Polls <paramref name="consumer"/>'s librdkafka instance.</summary>
    /// <exception cref="NotSupportedException">This Confluent.Kafka build does not expose its handle as expected.</exception>
    public NativePoller(IClient consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);

        _handle = HandleOf(consumer);
        var added = false;
        _handle.DangerousAddRef(ref added);
        _rk = _handle.DangerousGetHandle();
    }

    /// <summary>The librdkafka instance (rd_kafka_t) behind a Confluent.Kafka client.</summary>
    /// <exception cref="NotSupportedException">This Confluent.Kafka build does not expose its handle as expected.</exception>
    internal static SafeHandle HandleOf(IClient client)
    {
        // Confluent.Kafka keeps the rd_kafka_t in Handle.LibrdkafkaHandle (internal).
        var property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new NotSupportedException("Confluent.Kafka.Handle has no LibrdkafkaHandle property in this version.");
        return property.GetValue(client.Handle) as SafeHandle
            ?? throw new NotSupportedException("Confluent.Kafka.Handle.LibrdkafkaHandle is not a SafeHandle in this version.");
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for the next message, partition end or error; false when none came.
    /// Callbacks (rebalance, errors) run inside this call, as in Confluent's <c>Consume</c>.
    /// </summary>
    public bool TryPoll(int timeoutMs, out NativeMessage message)
    {
        var raw = Native.ConsumerPoll(_rk, timeoutMs);
        if (raw is null)
        {
            message = default;
            return false;
        }

        message = new NativeMessage(raw, TopicOf(raw->Rkt));
        return true;
    }

    private string TopicOf(nint rkt)
    {
        if (rkt == 0)
        {
            return string.Empty;
        }

        if (!_topics.TryGetValue(rkt, out var name))
        {
            name = Marshal.PtrToStringUTF8(Native.TopicName(rkt)) ?? string.Empty;
            _topics[rkt] = name;
        }

        return name;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_released)
        {
            _released = true;
            _handle.DangerousRelease();
        }
    }

    /// <summary>rd_kafka_message_t of librdkafka 2.x (rdkafka.h), 64-bit layout.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RdKafkaMessage
    {
        public int Err;
        public nint Rkt;
        public int Partition;
        public byte* Payload;
        public nuint Len;
        public byte* Key;
        public nuint KeyLen;
        public long Offset;
        public nint Private;
    }

    internal static partial class Native
    {
        private const string Library = "librdkafka";

        // rd_kafka_message_t *rd_kafka_consumer_poll(rd_kafka_t *rk, int timeout_ms);
        [LibraryImport(Library, EntryPoint = "rd_kafka_consumer_poll")]
        public static partial RdKafkaMessage* ConsumerPoll(nint rk, int timeoutMs);

        // void rd_kafka_message_destroy(rd_kafka_message_t *rkmessage);
        [LibraryImport(Library, EntryPoint = "rd_kafka_message_destroy")]
        public static partial void MessageDestroy(RdKafkaMessage* message);

        // int64_t rd_kafka_message_timestamp(const rd_kafka_message_t *rkmessage, rd_kafka_timestamp_type_t *tstype);
        [LibraryImport(Library, EntryPoint = "rd_kafka_message_timestamp")]
        public static partial long MessageTimestamp(RdKafkaMessage* message, int* type);

        // const char *rd_kafka_topic_name(const rd_kafka_topic_t *rkt);
        [LibraryImport(Library, EntryPoint = "rd_kafka_topic_name")]
        public static partial nint TopicName(nint rkt);

        // const char *rd_kafka_err2str(rd_kafka_resp_err_t err);
        [LibraryImport(Library, EntryPoint = "rd_kafka_err2str")]
        public static partial nint ErrorString(int err);
    }
}

/// <summary>
/// One message polled by <see cref="NativePoller"/>, read in place in librdkafka's buffer: valid until
/// <see cref="Dispose"/>, which hands the buffer back to librdkafka.
/// </summary>
public readonly unsafe struct NativeMessage : IDisposable
{
    private readonly NativePoller.RdKafkaMessage* _message;

    internal NativeMessage(NativePoller.RdKafkaMessage* message, string topic)
    {
        _message = message;
        Topic = topic;
    }

    /// <summary>The topic (empty for an error not tied to one).</summary>
    public string Topic { get; }

    /// <summary>The partition.</summary>
    public int Partition => _message->Partition;

    /// <summary>The offset (of the message; for a partition end, the next offset).</summary>
    public long Offset => _message->Offset;

    /// <summary>True when this reports the end of a partition rather than a message.</summary>
    public bool IsPartitionEof => _message->Err == NativePoller.PartitionEof;

    /// <summary>The librdkafka error code; 0 for a message, -191 for a partition end.</summary>
    public ErrorCode Error => (ErrorCode)_message->Err;

    /// <summary>librdkafka's text for <see cref="Error"/> (allocates: for the error path only).</summary>
    public string ErrorReason => Marshal.PtrToStringUTF8(NativePoller.Native.ErrorString(_message->Err)) ?? string.Empty;

    /// <summary>True when the key is null.</summary>
    public bool KeyIsNull => _message->Key is null;

    /// <summary>True when the value is null (a tombstone).</summary>
    public bool ValueIsNull => _message->Payload is null;

    /// <summary>The key bytes (empty when null).</summary>
    public ReadOnlySpan<byte> Key => _message->Key is null ? default : new ReadOnlySpan<byte>(_message->Key, checked((int)_message->KeyLen));

    /// <summary>The value bytes (empty when null).</summary>
    public ReadOnlySpan<byte> Value => _message->Payload is null ? default : new ReadOnlySpan<byte>(_message->Payload, checked((int)_message->Len));

    /// <summary>The message timestamp (epoch ms), or -1 when it has none.</summary>
    public long TimestampMs
    {
        get
        {
            int type;
            return NativePoller.Native.MessageTimestamp(_message, &type);
        }
    }

    /// <summary>Hands the message back to librdkafka.</summary>
    public void Dispose()
    {
        if (_message is not null)
        {
            NativePoller.Native.MessageDestroy(_message);
        }
    }
}
