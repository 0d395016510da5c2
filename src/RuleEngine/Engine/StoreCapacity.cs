using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// How many keys each of the engine's FASTER stores is sized for: its hash index gets
/// <see cref="FasterStoreOptions.IndexBucketsFor"/> buckets (64 bytes each, 2-4 keys a bucket), and the watchlist's
/// membership filter is sized for <see cref="WatchlistEntries"/>. More keys than planned stay correct (FASTER chains
/// overflow buckets, the filter's false-positive rate rises); far fewer cost memory and speed, since every lookup's
/// bucket is then spread over an index larger than the caches need to be.
/// </summary>
/// <remarks>
/// The defaults are one engine process of a province (millions of residents, DOMAIN.md): 4 M parties with state and
/// 4 M payer pairs (64 MiB of index each, written by every engine checkpoint), 8 M register keys (a number and an
/// account for each of 4 M residents, 128 MiB) and 10 M watchlist entries (the top of DOMAIN.md's 10^5-10^7, 256 MiB
/// plus a 15 MB filter); for the counterparty stage, 8 M callers (a number and a handset each, 128 MiB) and 4 M accounts
/// (64 MiB). <c>fraudshield run</c> reads them from <c>engine.capacity</c> (docs/run-config.md); the demo
/// and the load bench size them from their simulated city with <see cref="ForCity"/>.
/// </remarks>
public sealed record StoreCapacity
{
    /// <summary>Parties with state (<see cref="EngineStores.Parties"/>): the protected parties of this process's partitions the rules track.</summary>
    public long Parties { get; init; } = 4_000_000;

    /// <summary>Payer -> payee pairs (<see cref="EngineStores.Pairs"/>): about one per party that pays anyone.</summary>
    public long Pairs { get; init; } = 4_000_000;

    /// <summary>Register keys (<see cref="EngineStores.Register"/>): every number and account of every resident.</summary>
    public long RegisterKeys { get; init; } = 8_000_000;

    /// <summary>Watchlist entries of every key type (<see cref="EngineStores.Watchlist"/>).</summary>
    public long WatchlistEntries { get; init; } = 10_000_000;

    /// <summary>
    /// Callers of the counterparty stage (<see cref="Counterparty.CounterpartyStores.Callers"/>): the numbers and the
    /// handsets (IMEIs) that call this process's residents.
    /// </summary>
    public long Callers { get; init; } = 8_000_000;

    /// <summary>
    /// Accounts of the counterparty stage (<see cref="Counterparty.CounterpartyStores.Accounts"/>): the accounts that
    /// pay or are paid by this process's residents.
    /// </summary>
    public long Accounts { get; init; } = 4_000_000;

    /// <summary>
    /// Sizes for a simulated <paramref name="city"/>: its residents (one number and one account each) may all get party
    /// state and pairs with each of its regular payees and a few others, and its listed numbers and accounts fill the
    /// watchlist; every resident and listed number calls from a handset of its own, and every resident's account and
    /// regular payees are paid.
    /// </summary>
    public static StoreCapacity ForCity(CityOptions city)
    {
        ArgumentNullException.ThrowIfNull(city);
        return new()
        {
            Parties = city.Residents,
            Pairs = (long)city.Residents * (city.RegularPayees + 1),
            RegisterKeys = 2L * city.Residents,
            WatchlistEntries = (long)city.ListedNumbers + city.ListedAccounts,
            Callers = 2L * ((long)city.Residents + city.ListedNumbers),
            Accounts = ((long)city.Residents * (city.RegularPayees + 1)) + city.ListedAccounts,
        };
    }
}
