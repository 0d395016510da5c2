using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The FASTER stores of one counterparty aggregator: callers and handsets (<see cref="CallerAggregate"/>) and accounts
/// (<see cref="AccountAggregate"/>, also holding one history record per input partition). Separate from the engine's
/// stores (own folder, own checkpoints).
/// </summary>
public sealed class CounterpartyStores : IDisposable
{
    /// <summary>
    /// Creates the stores under <paramref name="options"/>.Directory (temporary when null), each with its hash index
    /// sized for its own key count in <paramref name="capacity"/> and its log memory allocated at start (both are written
    /// on every call and transfer, like the engine's per-party stores). Without a capacity both take
    /// <paramref name="options"/> as they are (small stores of tests and backtests).
    /// </summary>
    public CounterpartyStores(FasterStoreOptions options, StoreCapacity? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Callers = new FasterStore<CallerAggregate>("cp-callers", options.ForWrittenKeys(capacity?.Callers));
        Accounts = new FasterStore<AccountAggregate>("cp-accounts", options.ForWrittenKeys(capacity?.Accounts));
    }

    /// <summary>Aggregates of calling numbers and IMEIs.</summary>
    public FasterStore<CallerAggregate> Callers { get; }

    /// <summary>Aggregates of accounts, and the partitions' history records.</summary>
    public FasterStore<AccountAggregate> Accounts { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Accounts.Dispose();
        Callers.Dispose();
    }
}
