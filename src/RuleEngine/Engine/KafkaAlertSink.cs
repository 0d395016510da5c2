using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using Google.Protobuf;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Emits alerts to fs.alerts, protobuf-encoded, keyed by the home station so each station's alerts stay in order on
/// one partition. The producer is idempotent with acks=all; a delivery failure is counted and reported.
/// </summary>
public sealed class KafkaAlertSink : IAlertSink
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<Alert, Error>? _onFailure;
    private long _emitted;
    private long _failed;

    /// <summary>Produces through <paramref name="producer"/> (shared; not owned).</summary>
    public KafkaAlertSink(IProducer<byte[], byte[]> producer, Action<Alert, Error>? onFailure = null)
    {
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _onFailure = onFailure;
    }

    /// <summary>Alerts handed to the producer.</summary>
    public long Emitted => Interlocked.Read(ref _emitted);

    /// <summary>Alerts the cluster did not acknowledge.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <inheritdoc />
    public void Emit(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var key = System.Text.Encoding.UTF8.GetBytes(alert.Home?.StationId ?? string.Empty);
        Interlocked.Increment(ref _emitted);
        _producer.Produce(Topics.Alerts, new Message<byte[], byte[]> { Key = key, Value = alert.ToByteArray() }, report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref _failed);
                _onFailure?.Invoke(alert, report.Error);
            }
        });
    }
}
