using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.Ingest.Tests.Kafka;

public sealed class TopicAdminTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task EnsureTopicsAsync_MockCluster_FailsBecauseMockHasNoCreateTopics()
    {
        // Documents the mock's limitation: the admin CreateTopics request is not served, so the call times out.
        string topic = EmbeddedKafkaFixture.NewTopic("admin.unsupported");
        await Assert.ThrowsAnyAsync<KafkaException>(() =>
            TopicAdmin.EnsureTopicsAsync(fixture.Options, [(topic, 2, false)], TimeSpan.FromSeconds(1)).WaitAsync(Timeout));
    }

    [Fact]
    public void EnsureTopics_Embedded_CreatesMissingAndToleratesExisting()
    {
        string table = EmbeddedKafkaFixture.NewTopic("admin.table");
        string events = EmbeddedKafkaFixture.NewTopic("admin.events");
        Assert.Equal([table, events], TopicAdmin.EnsureTopics(fixture.Cluster, [(table, 2, true), (events, 4, false)]));
        Assert.Empty(TopicAdmin.EnsureTopics(fixture.Cluster, [(table, 2, true), (events, 4, false)]));

        using IAdminClient admin = new AdminClientBuilder(fixture.Options.CreateAdminConfig()).Build();
        Assert.Equal(4, admin.GetMetadata(events, Timeout).Topics[0].Partitions.Count);
        Assert.Equal(2, admin.GetMetadata(table, Timeout).Topics[0].Partitions.Count);
    }
}
