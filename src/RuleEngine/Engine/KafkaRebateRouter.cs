using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Kafka;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Sends R12's rebates to fs.rebates, keyed by the receiver's number like the event topics, so the engine holding the
/// receiver's partition applies them (<see cref="EngineCore.OnRebate"/>). Each record is counted in the engine's
/// <see cref="OutputLedger"/> like an alert: the transfer's offset is stored only once its rebate is acknowledged.
/// While <see cref="Muted"/> (a partition replaying records whose outputs are already in the cluster) nothing is sent.
/// Records carry the group's <see cref="Origin"/>: every engine group on the cluster shares fs.rebates (a bench's
/// catch-up group, a second deployment), and each applies only its own.
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
    /// <param name="producer">The engine's producer.</param>
    /// <param name="groupId">The engine group: its records carry its <see cref="RebateRecord.OriginOf"/>.</param>
    /// <param name="outputs">The engine's ledger of outputs not yet acknowledged.</param>
    /// <param name="onFailure">Called (on the producer's thread) for a record the cluster did not take.</param>
    public KafkaRebateRouter(IProducer<byte[], byte[]> producer, string groupId, OutputLedger? outputs = null, Action<Error>? onFailure = null)
    {
        Origin = RebateRecord.OriginOf(groupId);
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _outputs = outputs;
        _onFailure = onFailure;
        _onDelivered = OnDelivered;
    }

    /// <summary>The group's origin mark: records on fs.rebates with another are other groups' and skipped.</summary>
    public long Origin { get; }

    /// <summary>While true, rebates are counted in <see cref="Suppressed"/> and not sent (set around replayed records).</summary>
    public bool Muted { get; set; }

    /// <summary>Rebates handed to the producer.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Rebates the cluster did not acknowledge.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Rebates not sent because they were found while <see cref="Muted"/>.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <inheritdoc />
    public void Route(in RebateRecord rebate)
    {
        if (Muted)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        Span<byte> digits = stackalloc byte[20];
        rebate.TryFormatKey(digits, out var n);
        var value = new byte[RebateRecord.Size];
        var stamped = rebate;
        stamped.Origin = Origin;
        stamped.Write(value);

        // Stamped when produced (not with the transfer's time, which the record carries): a recovery then merges it
        // into the receiver's inputs about where it arrived live, after the receiver's events judged meanwhile.
        var message = new Message<byte[], byte[]> { Key = digits[..n].ToArray(), Value = value, Headers = [] };

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
