using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// Receives one <see cref="OutcomeRecord"/> per Ack, UpdateStatus and ReportOutcome, after the case change is
/// stored. The host connects it to Kafka fs.outcomes.
/// </summary>
public interface IOutcomeSink
{
    /// <summary>Writes one record. A failure is logged by the dispatch; the stored case change stands.</summary>
    ValueTask WriteAsync(OutcomeRecord record, CancellationToken cancellationToken = default);
}

/// <summary>An <see cref="IOutcomeSink"/> that keeps records in memory (tests, the embedded demo).</summary>
public sealed class InMemoryOutcomeSink : IOutcomeSink
{
    private readonly Lock _gate = new();
    private readonly List<OutcomeRecord> _records = [];

    /// <summary>A snapshot of the records written so far, in order.</summary>
    public IReadOnlyList<OutcomeRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return [.. _records];
            }
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(OutcomeRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            _records.Add(record);
        }

        return ValueTask.CompletedTask;
    }
}
