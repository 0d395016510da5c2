using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>Kafka settings of the counterparty stage's consumers.</summary>
internal static class CounterpartyKafka
{
    /// <summary>
    /// The fetch wait of the stage's consumers. The engine's consumers answer within 2 ms for event-to-screen latency,
    /// at the price of about a third of a core each while idle; the counterparty rules raise L4 intelligence (hours
    /// to act), so their two consumers wait up to 100 ms for data and cost next to nothing while idle.
    /// A <c>-X fetch.wait.max.ms=...</c> override still wins.
    /// </summary>
    public const int FetchWaitMaxMs = 100;

    public static ConsumerConfig ConsumerConfig(KafkaOptions kafka, string groupId)
    {
        var config = kafka.CreateConsumerConfig(groupId);
        if (!kafka.ExtraProperties.ContainsKey("fetch.wait.max.ms"))
        {
            config.FetchWaitMaxMs = FetchWaitMaxMs;
        }

        return config;
    }
}
