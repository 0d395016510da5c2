using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// One partition's slot for storing consumer offsets through librdkafka's <c>rd_kafka_offsets_store</c> directly,
/// allocating nothing managed per store. Confluent.Kafka's <c>StoreOffset</c> builds a native list, then a managed
/// result list, its errors, a topic string and LINQ iterators on every call: with offsets stored per partition every
/// 200 ms by three consumers of 12-48 partitions, that was most of what a node allocated outside the engine thread (an
/// allocation trace, bench/results/2026-12-06-gen0.md). The offset goes to the consumer's own librdkafka instance,
/// where Confluent's commits pick it up as before.
/// </summary>
/// <remarks>
/// The slot keeps the topic name as native UTF-8; each store makes and frees a one-entry native list, because a list
/// that has been stored through keeps a reference to the partition (its private part), which would hold the
/// consumer's destruction until the list is freed. Use it on the consumer's thread, like the consumer.
/// </remarks>
internal sealed unsafe partial class NativeOffsetSlot : SafeHandle
{
    /// <summary>rd_kafka_resp_err_t RD_KAFKA_RESP_ERR__STATE: the partition is not assigned to this consumer.</summary>
    private const int NotAssigned = -172;

    private readonly int _partition;

    /// <summary>Makes the slot of (<paramref name="topic"/>, <paramref name="partition"/>).</summary>
    public NativeOffsetSlot(string topic, int partition)
        : base(0, ownsHandle: true)
    {
        SetHandle(Marshal.StringToCoTaskMemUTF8(topic));
        _partition = partition;
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// Stores <paramref name="next"/> (the offset after the last record done) in <paramref name="rk"/>; false when the
    /// partition is no longer assigned to that consumer (revoked meanwhile), as Confluent's <c>Local_State</c>.
    /// </summary>
    /// <exception cref="KafkaException">librdkafka refused the store for another reason.</exception>
    public bool TryStore(nint rk, long next)
    {
        var list = Native.ListNew(1);
        int code;
        try
        {
            var entry = Native.ListAdd(list, (byte*)handle, _partition);
            entry->Offset = next;
            var err = Native.OffsetsStore(rk, list);
            code = entry->Err != 0 ? entry->Err : err;
        }
        finally
        {
            Native.ListDestroy(list);
        }

        return code switch
        {
            0 => true,
            NotAssigned => false,
            _ => throw new KafkaException((ErrorCode)code),
        };
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        Marshal.FreeCoTaskMem(handle);
        return true;
    }

    /// <summary>rd_kafka_topic_partition_t of librdkafka 2.x (rdkafka.h), 64-bit layout.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TopicPartition
    {
        public nint Topic;
        public int Partition;
        public long Offset;
        public nint Metadata;
        public nuint MetadataSize;
        public nint Opaque;
        public int Err;
        public nint Private;
    }

    private static partial class Native
    {
        private const string Library = "librdkafka";

        // rd_kafka_topic_partition_list_t *rd_kafka_topic_partition_list_new(int size);
        [LibraryImport(Library, EntryPoint = "rd_kafka_topic_partition_list_new")]
        public static partial nint ListNew(int size);

        // rd_kafka_topic_partition_t *rd_kafka_topic_partition_list_add(rd_kafka_topic_partition_list_t *rktparlist, const char *topic, int32_t partition);
        [LibraryImport(Library, EntryPoint = "rd_kafka_topic_partition_list_add")]
        public static partial TopicPartition* ListAdd(nint list, byte* topic, int partition);

        // void rd_kafka_topic_partition_list_destroy(rd_kafka_topic_partition_list_t *rkparlist);
        [LibraryImport(Library, EntryPoint = "rd_kafka_topic_partition_list_destroy")]
        public static partial void ListDestroy(nint list);

        // rd_kafka_resp_err_t rd_kafka_offsets_store(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *offsets);
        [LibraryImport(Library, EntryPoint = "rd_kafka_offsets_store")]
        public static partial int OffsetsStore(nint rk, nint offsets);
    }
}
