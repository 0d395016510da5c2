using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using Google.Protobuf;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// Writes acks, status changes and outcomes to fs.outcomes (protobuf <see cref="OutcomeRecord"/>, keyed by alert id,
/// so one alert's records stay in order) and waits for the cluster's acknowledgement.
/// </summary>
public sealed class KafkaOutcomeSink : IOutcomeSink
{
    private readonly IProducer<byte[], byte[]> _producer;

    /// <summary>Writes through <paramref name="producer"/> (shared; not owned).</summary>
    public KafkaOutcomeSink(IProducer<byte[], byte[]> producer) => _producer = producer ?? throw new ArgumentNullException(nameof(producer));

    /// <inheritdoc />
    public async ValueTask WriteAsync(OutcomeRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _producer.ProduceAsync(
            Topics.Outcomes,
            new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(record.AlertId), Value = record.ToByteArray() },
            cancellationToken);
    }
}
