using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Tests;

/// <summary>Client settings for tests whose consumer groups gain or lose members on the embedded cluster.</summary>
internal static class GroupTestKafka
{
    /// <summary>
    /// A 6 s session and 500 ms heartbeats: the embedded cluster's coordinator holds a rebalance that a joining member
    /// starts for the session timeout less a second (45 s with the defaults; real brokers finish it once every member
    /// rejoined), and notices a member that died only when its session expires.
    /// </summary>
    public static KafkaOptions ShortSession(string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        ExtraProperties = new Dictionary<string, string> { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "500" },
    };
}
