// P/Invoke declarations for librdkafka's mock cluster, mirroring src/rdkafka_mock.h (and the few rdkafka.h calls it
// needs) of librdkafka 2.16.0, the version shipped by the librdkafka.redist package that Confluent.Kafka loads.
// The library name "librdkafka" resolves through the app's deps.json native asset
// (runtimes/linux-x64/native/librdkafka.so), which is the file Confluent.Kafka itself loads, so both share one
// librdkafka instance in the process. rdkafka_mock.h documents the mock API as "for testing only"; the embedded
// cluster is the zero-configuration default for one machine and tests, never the production path.
using System.Runtime.InteropServices;

namespace FraudShield.Ingest.Kafka.Internal;

/// <summary>Raw librdkafka entry points used by <see cref="EmbeddedKafkaCluster"/>.</summary>
internal static unsafe partial class LibRdKafkaMock
{
    private const string Library = "librdkafka";

    /// <summary>rd_kafka_type_t RD_KAFKA_PRODUCER.</summary>
    public const int ProducerType = 0;

    /// <summary>rd_kafka_conf_res_t RD_KAFKA_CONF_OK.</summary>
    public const int ConfOk = 0;

    /// <summary>rd_kafka_resp_err_t RD_KAFKA_RESP_ERR_NO_ERROR.</summary>
    public const int NoError = 0;

    /// <summary>rd_kafka_resp_err_t RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.</summary>
    public const int TopicAlreadyExists = 36;

    // rd_kafka_conf_t *rd_kafka_conf_new(void);
    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    public static partial nint ConfNew();

    // void rd_kafka_conf_destroy(rd_kafka_conf_t *conf);
    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    public static partial void ConfDestroy(nint conf);

    // rd_kafka_conf_res_t rd_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
    //                                       char *errstr, size_t errstr_size);
    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint conf, string name, string value, byte* errstr, nuint errstrSize);

    // rd_kafka_t *rd_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr, size_t errstr_size);
    // On success the handle owns conf; on failure the caller still owns it.
    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    public static partial nint New(int type, nint conf, byte* errstr, nuint errstrSize);

    // void rd_kafka_destroy(rd_kafka_t *rk);
    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    public static partial void Destroy(nint rk);

    // const char *rd_kafka_err2str(rd_kafka_resp_err_t err);  (static storage, never freed)
    [LibraryImport(Library, EntryPoint = "rd_kafka_err2str")]
    public static partial nint Err2Str(int err);

    // const char *rd_kafka_version_str(void);
    [LibraryImport(Library, EntryPoint = "rd_kafka_version_str")]
    public static partial nint VersionStr();

    // rd_kafka_mock_cluster_t *rd_kafka_mock_cluster_new(rd_kafka_t *rk, int broker_cnt);
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial nint MockClusterNew(nint rk, int brokerCount);

    // void rd_kafka_mock_cluster_destroy(rd_kafka_mock_cluster_t *mcluster);
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void MockClusterDestroy(nint mcluster);

    // const char *rd_kafka_mock_cluster_bootstraps(const rd_kafka_mock_cluster_t *mcluster);  (owned by mcluster)
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial nint MockClusterBootstraps(nint mcluster);

    // rd_kafka_resp_err_t rd_kafka_mock_topic_create(rd_kafka_mock_cluster_t *mcluster, const char *topic,
    //                                                int partition_cnt, int replication_factor);
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MockTopicCreate(nint mcluster, string topic, int partitionCount, int replicationFactor);

    // rd_kafka_resp_err_t rd_kafka_mock_partition_set_leader(rd_kafka_mock_cluster_t *mcluster, const char *topic,
    //                                                        int32_t partition, int32_t broker_id);
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_partition_set_leader", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MockPartitionSetLeader(nint mcluster, string topic, int partition, int brokerId);

    // rd_kafka_resp_err_t rd_kafka_mock_partition_delete_records(rd_kafka_mock_cluster_t *mcluster, const char *topic,
    //                                                            int32_t partition, int64_t offset);
    // Runs on the mock cluster's thread (an op it serves), like the calls above; offsets before offset are deleted.
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_partition_delete_records", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MockPartitionDeleteRecords(nint mcluster, string topic, int partition, long offset);

    // rd_kafka_resp_err_t rd_kafka_mock_broker_set_down(rd_kafka_mock_cluster_t *mcluster, int32_t broker_id);
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    public static partial int MockBrokerSetDown(nint mcluster, int brokerId);

    // rd_kafka_resp_err_t rd_kafka_mock_broker_set_up(rd_kafka_mock_cluster_t *mcluster, int32_t broker_id);
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    public static partial int MockBrokerSetUp(nint mcluster, int brokerId);

    /// <summary>The text of a librdkafka error code, via rd_kafka_err2str.</summary>
    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(Err2Str(err)) ?? $"error {err}";
}
