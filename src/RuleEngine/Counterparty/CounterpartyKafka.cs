using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>Kafka settings of the counterparty stage's consumers and of the repartitioner's producer.</summary>
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

    /// <summary>
    /// The linger of the repartitioner's producer. At 1 ms (the alert producers') every broker thread of the producer
    /// woke up about once a millisecond to send a small batch per partition (measured at 4,000 events/s: its three
    /// broker threads at ~40% of a core each, most of it system time; 1-2% each at 20 ms); the counterparty alerts are
    /// L4 intelligence, so 20 ms of batching costs nothing that matters. A <c>-X linger.ms=...</c> override still wins.
    /// </summary>
    public const int ProducerLingerMs = 20;

    public static ProducerConfig ProducerConfig(KafkaOptions kafka)
    {
        var config = kafka.CreateProducerConfig();
        if (!kafka.ExtraProperties.ContainsKey("linger.ms"))
        {
            config.LingerMs = ProducerLingerMs;
        }

        // Retried until delivered (no message timeout): the repartitioner stores its source offsets once the producer's
        // queue is empty (OutputLedger.Draining), which means delivered only if nothing can expire from it.
        if (!kafka.ExtraProperties.ContainsKey("message.timeout.ms"))
        {
            config.MessageTimeoutMs = 0;
        }

        // No delivery reports: each one costs Confluent.Kafka about ten objects (a handler shim, two reports, two
        // messages, an error, a copy of the native message): ~450 B an event measured at 4,000 events/s. Failures
        // surface through the producer's error handler instead (see CounterpartyRepartitioner.CreateProducer).
        config.EnableDeliveryReports = false;
        return config;
    }
}
