using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Every FASTER store of one engine process: the shared tables (watchlist, register, cells) and the per-party state
/// (party records, first-seen payer->payee pairs). Created once; engine threads and table loaders open sessions on it.
/// </summary>
public sealed class EngineStores : IDisposable
{
    /// <summary>
    /// Creates the stores under <paramref name="options"/>.Directory (temporary when null), each with its hash index
    /// (and the watchlist its filter) sized for its own key count in <paramref name="capacity"/>; log memory and
    /// checkpoints as <paramref name="options"/> say, the per-party stores' log memory allocated at start. Without a
    /// capacity every store takes <paramref name="options"/> as they are (small stores of tests).
    /// </summary>
    public EngineStores(FasterStoreOptions options, StoreCapacity? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Strings = new StringTable();
        Watchlist = new Watchlist(options.ForKeys(capacity?.WatchlistEntries), Strings);
        Register = new Register(options.ForKeys(capacity?.RegisterKeys), Strings);
        Cells = new CellTable(Strings);
        Parties = new FasterStore<PartyState>("parties", options.ForWrittenKeys(capacity?.Parties));
        Pairs = new FasterStore<long>("pairs", options.ForWrittenKeys(capacity?.Pairs));
    }

    /// <summary>Interned ids shared by all stores.</summary>
    public StringTable Strings { get; }

    /// <summary>Watchlists of every key type.</summary>
    public Watchlist Watchlist { get; }

    /// <summary>The resident register.</summary>
    public Register Register { get; }

    /// <summary>Serving cells (cell id -> station, grid), for the current jurisdiction of an alert.</summary>
    public CellTable Cells { get; }

    /// <summary>Per-party state, keyed by E.164 number (or account hash for parties without a number).</summary>
    public FasterStore<PartyState> Parties { get; }

    /// <summary>First time a payer paid a payee (epoch ms), keyed by hash(payer, payee account).</summary>
    public FasterStore<long> Pairs { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Pairs.Dispose();
        Parties.Dispose();
        Register.Dispose();
        Watchlist.Dispose();
    }
}
