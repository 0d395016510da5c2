using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Every FASTER store of one engine process: the shared tables (watchlist, register, cells) and the per-party state
/// (party records, first-seen payer->payee pairs). Created once; engine threads and table loaders open sessions on it.
/// </summary>
public sealed class EngineStores : IDisposable
{
    /// <summary>Creates the stores under <paramref name="options"/>.Directory (temporary when null).</summary>
    public EngineStores(FasterStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Strings = new StringTable();
        Watchlist = new Watchlist(options, Strings);
        Register = new Register(options with { IndexBuckets = Math.Max(1L << 12, options.IndexBuckets / 2) }, Strings);
        Cells = new CellTable(Strings);
        Parties = new FasterStore<PartyState>("parties", options);
        Pairs = new FasterStore<long>("pairs", options);
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
