using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using FraudShield.Ingest.Kafka.Internal;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// An in-process Kafka-protocol cluster: librdkafka's mock cluster, reached by P/Invoke into the same native
/// librdkafka that Confluent.Kafka loads. Its brokers listen on real TCP sockets on 127.0.0.1, so every Kafka
/// client (Confluent.Kafka, kcat) talks to it as to a real cluster. It is in-memory only and keeps a bounded tail of
/// each partition: it is the zero-configuration default for one machine and for tests, never a production store.
/// </summary>
/// <remarks>
/// Broker ids are 1..<see cref="BrokerCount"/>. The mock cluster serves Produce, Fetch, ListOffsets, Metadata,
/// consumer groups and the idempotent producer; it does not serve the admin CreateTopics request, so topics are
/// created with <see cref="CreateTopic"/>. All members are thread-safe: librdkafka forwards them to the cluster thread.
/// </remarks>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    private const int ErrStrSize = 512;

    private readonly Lock _gate = new();
    private nint _rk;
    private nint _cluster;

    private EmbeddedKafkaCluster(nint rk, nint cluster, int brokerCount, string bootstrapServers)
    {
        _rk = rk;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The comma-separated host:port list of the mock brokers, for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>The number of brokers; their ids are 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>The version of the native librdkafka the cluster runs in (e.g. "2.16.0").</summary>
    public static string NativeVersion
    {
        get
        {
            EnsureConfluentLoaded();
            return Marshal.PtrToStringUTF8(LibRdKafkaMock.VersionStr()) ?? "unknown";
        }
    }

    /// <summary>Starts a mock cluster with <paramref name="brokers"/> brokers listening on 127.0.0.1.</summary>
    /// <param name="brokers">The number of brokers, at least 1.</param>
    /// <returns>The running cluster; dispose it to stop the brokers.</returns>
    /// <exception cref="InvalidOperationException">A native call failed; the message names the call and the error.</exception>
    public static unsafe EmbeddedKafkaCluster Start(int brokers = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        EnsureConfluentLoaded();

        byte* errstr = stackalloc byte[ErrStrSize];
        nint conf = LibRdKafkaMock.ConfNew();
        if (conf == 0)
        {
            ThrowNative("rd_kafka_conf_new", "returned NULL");
        }

        nint rk;
        try
        {
            SetConf(conf, "client.id", "fraudshield-embedded-kafka", errstr);
            // The owning handle has no bootstrap.servers of its own; level 3 keeps its "no brokers" warning quiet.
            SetConf(conf, "log_level", "3", errstr);
            rk = LibRdKafkaMock.New(LibRdKafkaMock.ProducerType, conf, errstr, ErrStrSize);
        }
        catch
        {
            LibRdKafkaMock.ConfDestroy(conf);
            throw;
        }

        if (rk == 0)
        {
            LibRdKafkaMock.ConfDestroy(conf);
            ThrowNative("rd_kafka_new", ReadErrStr(errstr));
        }

        nint cluster = LibRdKafkaMock.MockClusterNew(rk, brokers);
        if (cluster == 0)
        {
            LibRdKafkaMock.Destroy(rk);
            ThrowNative($"rd_kafka_mock_cluster_new({brokers})", "returned NULL");
        }

        string? bootstraps = Marshal.PtrToStringUTF8(LibRdKafkaMock.MockClusterBootstraps(cluster));
        if (string.IsNullOrEmpty(bootstraps))
        {
            LibRdKafkaMock.MockClusterDestroy(cluster);
            LibRdKafkaMock.Destroy(rk);
            ThrowNative("rd_kafka_mock_cluster_bootstraps", "returned no brokers");
        }

        return new EmbeddedKafkaCluster(rk, cluster, brokers, bootstraps);
    }

    /// <summary>Creates a topic on the mock cluster.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partitions">The number of partitions, at least 1.</param>
    /// <param name="replicationFactor">Replicas per partition, 1..<see cref="BrokerCount"/>.</param>
    /// <exception cref="InvalidOperationException">rd_kafka_mock_topic_create failed (e.g. the topic exists).</exception>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, BrokerCount);
        lock (_gate)
        {
            Check(LibRdKafkaMock.MockTopicCreate(Cluster, topic, partitions, replicationFactor),
                $"rd_kafka_mock_topic_create(\"{topic}\", {partitions}, {replicationFactor})");
        }
    }

    /// <summary>Creates a topic unless it exists; other failures throw as in <see cref="CreateTopic"/>.</summary>
    /// <returns>True when the topic was created, false when it existed.</returns>
    internal bool TryCreateTopic(string topic, int partitions, int replicationFactor)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        lock (_gate)
        {
            int err = LibRdKafkaMock.MockTopicCreate(Cluster, topic, partitions, replicationFactor);
            if (err == LibRdKafkaMock.TopicAlreadyExists)
            {
                return false;
            }

            Check(err, $"rd_kafka_mock_topic_create(\"{topic}\", {partitions}, {replicationFactor})");
            return true;
        }
    }

    /// <summary>Creates several topics with the same partition count and replication factor 1.</summary>
    /// <param name="topics">The topic names.</param>
    /// <param name="partitions">The number of partitions of each topic.</param>
    public void CreateTopics(IEnumerable<string> topics, int partitions)
    {
        ArgumentNullException.ThrowIfNull(topics);
        foreach (string topic in topics)
        {
            CreateTopic(topic, partitions);
        }
    }

    /// <summary>Takes a broker down: its connections are closed and it refuses new ones until <see cref="SetBrokerUp"/>.</summary>
    /// <param name="brokerId">The broker id, 1..<see cref="BrokerCount"/>.</param>
    public void SetBrokerDown(int brokerId)
    {
        lock (_gate)
        {
            Check(LibRdKafkaMock.MockBrokerSetDown(Cluster, brokerId), $"rd_kafka_mock_broker_set_down({brokerId})");
        }
    }

    /// <summary>Brings a broker taken down with <see cref="SetBrokerDown"/> back up.</summary>
    /// <param name="brokerId">The broker id, 1..<see cref="BrokerCount"/>.</param>
    public void SetBrokerUp(int brokerId)
    {
        lock (_gate)
        {
            Check(LibRdKafkaMock.MockBrokerSetUp(Cluster, brokerId), $"rd_kafka_mock_broker_set_up({brokerId})");
        }
    }

    /// <summary>Moves the leadership of one partition to another broker; clients see NOT_LEADER and follow.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="brokerId">The new leader, 1..<see cref="BrokerCount"/>.</param>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        lock (_gate)
        {
            Check(LibRdKafkaMock.MockPartitionSetLeader(Cluster, topic, partition, brokerId),
                $"rd_kafka_mock_partition_set_leader(\"{topic}\", {partition}, {brokerId})");
        }
    }

    /// <summary>
    /// Deletes a partition's records before <paramref name="offset"/> (as Kafka's DeleteRecords does): its log start
    /// moves there, and a consumer reading from the beginning starts there.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partition">The partition number.</param>
    /// <param name="offset">The new log start offset, at most the partition's end offset.</param>
    /// <exception cref="InvalidOperationException">The mock refused it (an unknown partition, an offset past the end).</exception>
    public void DeleteRecordsBefore(string topic, int partition, long offset)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_gate)
        {
            Check(LibRdKafkaMock.MockPartitionDeleteRecords(Cluster, topic, partition, offset),
                $"rd_kafka_mock_partition_delete_records(\"{topic}\", {partition}, {offset})");
        }
    }

    /// <summary>Stops the brokers (rd_kafka_mock_cluster_destroy) and destroys the owning handle. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != 0)
            {
                LibRdKafkaMock.MockClusterDestroy(_cluster);
                _cluster = 0;
            }

            if (_rk != 0)
            {
                LibRdKafkaMock.Destroy(_rk);
                _rk = 0;
            }
        }
    }

    private nint Cluster
    {
        get
        {
            ObjectDisposedException.ThrowIf(_cluster == 0, this);
            return _cluster;
        }
    }

    /// <summary>
    /// Loads Confluent.Kafka's native librdkafka before any P/Invoke here, so the "librdkafka" import binds to the
    /// same library instance (the redist asset, see <see cref="LibRdKafkaLoader"/>) rather than to another copy.
    /// </summary>
    private static void EnsureConfluentLoaded() => LibRdKafkaLoader.EnsureLoaded();

    private static unsafe void SetConf(nint conf, string name, string value, byte* errstr)
    {
        if (LibRdKafkaMock.ConfSet(conf, name, value, errstr, ErrStrSize) != LibRdKafkaMock.ConfOk)
        {
            ThrowNative($"rd_kafka_conf_set(\"{name}\")", ReadErrStr(errstr));
        }
    }

    private static unsafe string ReadErrStr(byte* errstr) =>
        Marshal.PtrToStringUTF8((nint)errstr) is { Length: > 0 } text ? text : "no error text";

    private static void Check(int err, string call)
    {
        if (err != LibRdKafkaMock.NoError)
        {
            ThrowNative(call, $"{LibRdKafkaMock.ErrorText(err)} (rd_kafka_resp_err_t {err})");
        }
    }

    [DoesNotReturn]
    private static void ThrowNative(string call, string error) =>
        throw new InvalidOperationException($"librdkafka mock cluster: {call} failed: {error}");
}
