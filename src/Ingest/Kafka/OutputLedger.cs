using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// The records a consume loop has handed to its producer while judging its input (alerts, dead letters) and how many
/// of them the cluster has acknowledged. <see cref="PartitionOffsets"/> stores an input offset only once every output
/// produced before it is acknowledged, so a committed offset means "everything the records before it produced is in
/// the cluster": a partition's next owner replays those records to rebuild its state without producing them again
/// (<see cref="ReplayBounds"/>), and nothing they produced can be lost. An output the cluster refuses is never
/// acknowledged: the offsets stay where they were, and whoever judges the partition next produces it again.
/// </summary>
/// <remarks>
/// Thread-safe: counted on the loop's thread, acknowledged on the producer's delivery-report thread. A producer without
/// delivery reports is followed by a <see cref="Draining"/> ledger instead: its outputs count as acknowledged when the
/// producer's queue has emptied.
/// </remarks>
public sealed class OutputLedger
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly TimeSpan _drainWait;
    private readonly Func<bool>? _beforeDrain;
    private long _produced;
    private long _acknowledged;

    /// <summary>How long a revoke or a stop waits for the outputs produced so far before it stores the offsets.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates the ledger of the outputs produced through <paramref name="producer"/> (shared; not owned).</summary>
    public OutputLedger(IProducer<byte[], byte[]> producer)
        : this(producer, TimeSpan.Zero, null)
    {
    }

    private OutputLedger(IProducer<byte[], byte[]> producer, TimeSpan drainWait, Func<bool>? beforeDrain)
    {
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _drainWait = drainWait;
        _beforeDrain = beforeDrain;
    }

    /// <summary>
    /// The ledger of a producer that has no delivery reports and that only the loop's thread produces through: its
    /// outputs are acknowledged when the producer's queue is empty (<see cref="TrySettle"/> flushes it for up to
    /// <paramref name="drainWait"/>), which the loop's thread, the only one producing, can wait for. An empty queue
    /// means delivered only when the producer cannot drop a record after a timeout: give it <c>message.timeout.ms=0</c>
    /// (retry until delivered); a record the cluster refuses for good (not authorized, say) is dropped unseen.
    /// </summary>
    /// <param name="producer">The producer (not owned).</param>
    /// <param name="drainWait">How long one attempt waits for the queue to empty.</param>
    /// <param name="beforeDrain">
    /// Called on the loop's thread before each drain: hands the producer what the loop still holds for it (outputs
    /// counted by <see cref="OnProduced"/> but gathered into larger messages first). False when it could not: the
    /// drain then reports the outputs unacknowledged.
    /// </param>
    /// <returns>The ledger.</returns>
    public static OutputLedger Draining(IProducer<byte[], byte[]> producer, TimeSpan drainWait, Func<bool>? beforeDrain = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(drainWait, TimeSpan.Zero);
        return new OutputLedger(producer, drainWait, beforeDrain);
    }

    /// <summary>True for a <see cref="Draining"/> ledger: its offsets are never staged, only stored after a drain.</summary>
    public bool Drains => _drainWait > TimeSpan.Zero;

    /// <summary>Outputs handed to the producer.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Outputs the cluster acknowledged.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>True when every output handed to the producer so far is acknowledged.</summary>
    public bool AllAcknowledged => Acknowledged >= Produced;

    /// <summary>Counts an output just before it is handed to the producer.</summary>
    public void OnProduced() => Interlocked.Increment(ref _produced);

    /// <summary>Counts an output the cluster acknowledged (from its delivery report).</summary>
    public void OnAcknowledged() => Interlocked.Increment(ref _acknowledged);

    /// <summary>
    /// True when every output handed to the producer so far is acknowledged: at once from the delivery reports, or,
    /// for a <see cref="Draining"/> ledger, once the producer's queue emptied within the drain wait.
    /// </summary>
    public bool TrySettle() => Drains ? Flush(_drainWait) : AllAcknowledged;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the producer to deliver what it holds (before offsets are stored for
    /// partitions about to be revoked, and on stop); true when every output is then acknowledged.
    /// </summary>
    public bool Flush(TimeSpan timeout)
    {
        if (Drains)
        {
            if (_beforeDrain is not null && !_beforeDrain())
            {
                return false;
            }

            // Read before the flush: the loop's thread, which produces, is the one waiting here.
            var produced = Produced;
            if (_producer.Flush(timeout) != 0)
            {
                return false;
            }

            Interlocked.Exchange(ref _acknowledged, produced);
            return true;
        }

        if (AllAcknowledged)
        {
            return true;
        }

        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        _producer.Flush(timeout);

        // The last delivery reports may still be running on the producer's poll thread when Flush returns.
        while (!AllAcknowledged && _producer.Flush(TimeSpan.Zero) == 0 && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(1);
        }

        return AllAcknowledged;
    }
}
