using System.Globalization;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.Ingest.Tests.Kafka;

public sealed class EmbeddedKafkaClusterTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Start_ThreeBrokers_ExposesThreeBootstrapAddresses()
    {
        Assert.Equal(3, fixture.Cluster.BrokerCount);
        string[] brokers = fixture.Cluster.BootstrapServers.Split(',');
        Assert.Equal(3, brokers.Length);
        Assert.All(brokers, b => Assert.StartsWith("127.0.0.1:", b, StringComparison.Ordinal));
    }

    [Fact]
    public void Start_NativeLibrary_IsOneRedistLibrarySharedWithConfluent()
    {
        Assert.Equal("2.16.0", EmbeddedKafkaCluster.NativeVersion);
        Assert.Equal(Library.VersionString, EmbeddedKafkaCluster.NativeVersion);
        string[] mapped = File.ReadAllLines("/proc/self/maps")
            .Where(l => l.Contains("librdkafka", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf('/', StringComparison.Ordinal))..])
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        string path = Assert.Single(mapped);
        Assert.Contains("/runtimes/linux-x64/native/", path, StringComparison.Ordinal);
        Assert.EndsWith("librdkafka.so", path, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateTopic_Twice_ThrowsNamingCallAndError()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("dup");
        fixture.Cluster.CreateTopic(topic, 2);
        var ex = Assert.Throws<InvalidOperationException>(() => fixture.Cluster.CreateTopic(topic, 2));
        Assert.Contains("rd_kafka_mock_topic_create", ex.Message, StringComparison.Ordinal);
        Assert.Contains("already exists", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void CreateTopic_ThenMetadata_ShowsPartitions()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("meta");
        fixture.Cluster.CreateTopic(topic, 4, replicationFactor: 3);
        using IAdminClient admin = new AdminClientBuilder(fixture.Options.CreateAdminConfig()).Build();
        Metadata metadata = admin.GetMetadata(topic, Timeout);
        TopicMetadata topicMetadata = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topicMetadata.Error.Code);
        Assert.Equal(4, topicMetadata.Partitions.Count);
        Assert.Equal(3, metadata.Brokers.Count);
    }

    [Fact]
    public void DeleteRecordsBefore_MovesTheLogStart_AReaderFromTheBeginningStartsThere()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("trim");
        fixture.Cluster.CreateTopic(topic, 1);
        KafkaTestClients.ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 10).Select(i => new KeyValuePair<string, string?>("k", i.ToString(CultureInfo.InvariantCulture))), Timeout);

        fixture.Cluster.DeleteRecordsBefore(topic, 0, 6);

        using var consumer = new ConsumerBuilder<string, string>(fixture.Options.CreateConsumerConfig(EmbeddedKafkaFixture.NewTopic("trim-reader"))).Build();
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), Timeout);
        Assert.Equal(6, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var first = consumer.Consume(Timeout);
        Assert.NotNull(first);
        Assert.Equal(6, first.Offset.Value);
        Assert.Equal("6", first.Message.Value);
    }

    [Fact]
    public void DeleteRecordsBefore_PastTheEnd_ThrowsNamingCallAndError()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("trim-past");
        fixture.Cluster.CreateTopic(topic, 1);
        KafkaTestClients.ProduceAndFlush(fixture.Options, topic, [new KeyValuePair<string, string?>("k", "v")], Timeout);

        var ex = Assert.Throws<InvalidOperationException>(() => fixture.Cluster.DeleteRecordsBefore(topic, 0, 5));
        Assert.Contains($"rd_kafka_mock_partition_delete_records(\"{topic}\", 0, 5)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        var cluster = EmbeddedKafkaCluster.Start(1);
        cluster.Dispose();
        cluster.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("x", 1));
    }
}
