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
/// <remarks>Thread-safe: counted on the loop's thread, acknowledged on the producer's delivery-report thread.</remarks>
public sealed class OutputLedger
{
    private readonly IProducer<byte[], byte[]> _producer;
    private long _produced;
    private long _acknowledged;

    /// <summary>How long a revoke or a stop waits for the outputs produced so far before it stores the offsets.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates the ledger of the outputs produced through <paramref name="producer"/> (shared; not owned).</summary>
    public OutputLedger(IProducer<byte[], byte[]> producer) => _producer = producer ?? throw new ArgumentNullException(nameof(producer));

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
    /// Waits up to <paramref name="timeout"/> for the producer to deliver what it holds (before offsets are stored for
    /// partitions about to be revoked, and on stop); true when every output is then acknowledged.
    /// </summary>
    public bool Flush(TimeSpan timeout)
    {
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
