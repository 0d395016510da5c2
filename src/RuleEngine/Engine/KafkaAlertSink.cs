using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using Google.Protobuf;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Emits alerts to fs.alerts, protobuf-encoded, keyed by the home station so each station's alerts stay in order on
/// one partition. The producer is idempotent with acks=all; a delivery failure is counted and reported. While
/// <see cref="Muted"/> (a partition replaying records whose alerts are already in the cluster) alerts are dropped.
/// </summary>
public sealed class KafkaAlertSink : IAlertSink
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<Alert, Error>? _onFailure;
    private readonly OutputLedger? _outputs;
    private Action<Alert>? _acknowledged;
    private long _emitted;
    private long _failed;
    private long _suppressed;

    /// <summary>Produces through <paramref name="producer"/> (shared; not owned), counting each alert in <paramref name="outputs"/>.</summary>
    public KafkaAlertSink(IProducer<byte[], byte[]> producer, Action<Alert, Error>? onFailure = null, OutputLedger? outputs = null)
    {
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _onFailure = onFailure;
        _outputs = outputs;
    }

    /// <summary>
    /// While true, alerts are counted in <see cref="Suppressed"/> and not produced: the engine thread sets it around a
    /// record replayed to rebuild state (<see cref="ReplayBounds"/>).
    /// </summary>
    public bool Muted { get; set; }

    /// <summary>
    /// Called with each alert the cluster acknowledged, on the producer's delivery-report thread (so it must return at
    /// once): a dispatch in the same process (<c>AlertFeed.OfferAcknowledged</c>, which queues it) takes the alert from
    /// here instead of waiting to read it back from fs.alerts. Null (the default) leaves every alert to the readers of
    /// the topic.
    /// </summary>
    public Action<Alert>? Acknowledged
    {
        get => Volatile.Read(ref _acknowledged);
        set => Volatile.Write(ref _acknowledged, value);
    }

    /// <summary>Alerts not produced because they were built while <see cref="Muted"/>.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <summary>Alerts handed to the producer.</summary>
    public long Emitted => Interlocked.Read(ref _emitted);

    /// <summary>Alerts the cluster did not acknowledge.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <inheritdoc />
    public void Emit(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (Muted)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        var key = System.Text.Encoding.UTF8.GetBytes(alert.Home?.StationId ?? string.Empty);
        Interlocked.Increment(ref _emitted);
        _outputs?.OnProduced();
        _producer.Produce(Topics.Alerts, new Message<byte[], byte[]> { Key = key, Value = alert.ToByteArray() }, report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref _failed);
                _onFailure?.Invoke(alert, report.Error);
            }
            else
            {
                _outputs?.OnAcknowledged();
                Acknowledged?.Invoke(alert);
            }
        });
    }
}
