using FraudShield.Ingest.Kafka;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary>One 3-broker embedded cluster per test class; each test uses its own topics.</summary>
public sealed class EmbeddedKafkaFixture : IDisposable
{
    public EmbeddedKafkaFixture() => Cluster = EmbeddedKafkaCluster.Start(brokers: 3);

    public EmbeddedKafkaCluster Cluster { get; }

    public KafkaOptions Options => KafkaOptions.For(Cluster.BootstrapServers);

    /// <summary>A topic name no other test uses.</summary>
    public static string NewTopic(string prefix) => $"{prefix}.{Guid.NewGuid():N}";

    public void Dispose() => Cluster.Dispose();
}
