using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Sends R12's rebates to fs.rebates, keyed by the receiver's number like the event topics, so the engine holding the
/// receiver's partition applies them (<see cref="EngineCore.OnRebate"/>). Each record is counted in the engine's
/// <see cref="OutputLedger"/> like an alert: the transfer's offset is stored only once its rebate is acknowledged.
/// While <see cref="Muted"/> (a partition replaying records whose outputs are already in the cluster) nothing is sent.
/// A rebate allocates its message (a small stranger's transfer into a resident, not every event).
/// </summary>
public sealed class KafkaRebateRouter : IRebateRouter
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly OutputLedger? _outputs;
    private readonly Action<Error>? _onFailure;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivered;
    private long _sent;
    private long _failed;
    private long _suppressed;

    /// <summary>Produces through <paramref name="producer"/> (shared; not owned), counting each record in <paramref name="outputs"/>.</summary>
    public KafkaRebateRouter(IProducer<byte[], byte[]> producer, OutputLedger? outputs = null, Action<Error>? onFailure = null)
    {
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _outputs = outputs;
        _onFailure = onFailure;
        _onDelivered = OnDelivered;
    }

    /// <summary>While true, rebates are counted in <see cref="Suppressed"/> and not sent (set around replayed records).</summary>
    public bool Muted { get; set; }

    /// <summary>Rebates handed to the producer.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Rebates the cluster did not acknowledge.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Rebates not sent because they were found while <see cref="Muted"/>.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <inheritdoc />
    public void Route(in RebateRecord rebate, long sourceTimestampMs)
    {
        if (Muted)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        Span<byte> digits = stackalloc byte[20];
        rebate.TryFormatKey(digits, out var n);
        var value = new byte[RebateRecord.Size];
        rebate.Write(value);

        // The transfer's timestamp: the receiver's engine merges the record into its inputs where the transfer was.
        var message = new Message<byte[], byte[]> { Key = digits[..n].ToArray(), Value = value, Headers = [] };
        if (sourceTimestampMs > 0)
        {
            message.Timestamp = new Timestamp(sourceTimestampMs, TimestampType.CreateTime);
        }

        Interlocked.Increment(ref _sent);
        _outputs?.OnProduced();
        _producer.Produce(Topics.Rebates, message, _onDelivered);
    }

    private void OnDelivered(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            _onFailure?.Invoke(report.Error);
        }
        else
        {
            _outputs?.OnAcknowledged();
        }
    }
}
