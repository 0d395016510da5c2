using FraudShield.RuleEngine.Engine;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The aggregator's checkpoints in a folder of their own, in the engine's manifest format (<see cref="CheckpointManifest"/>:
/// <c>parties</c> is the token of the caller/handset store, <c>pairs</c> the token of the account store, and the
/// positions are fs.counterparty's). A manifest is written last and atomically (temp file, fsync, rename), so a
/// checkpoint torn by a crash has none and is never used; two are kept (<see cref="CheckpointFolder"/>).
/// </summary>
public sealed class CounterpartyCheckpoints
{
    private readonly CheckpointFolder _folder;

    /// <summary>Keeps checkpoints in <paramref name="directory"/>.</summary>
    public CounterpartyCheckpoints(string directory) => _folder = new CheckpointFolder(directory);

    /// <summary>Manifests on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<CheckpointManifest> Manifests() => _folder.Manifests();

    /// <summary>
    /// Recovers <paramref name="stores"/> from the newest checkpoint that recovers; null when there is none. Each newer
    /// checkpoint passed over is reported to <paramref name="passedOver"/> with its number and why.
    /// </summary>
    public CheckpointManifest? Recover(CounterpartyStores stores, Action<long, string>? passedOver = null)
    {
        ArgumentNullException.ThrowIfNull(stores);
        return _folder.Recover(stores.Callers, stores.Accounts, passedOver: passedOver);
    }

    /// <summary>
    /// Writes <paramref name="manifest"/> atomically, numbered above any manifest already in the folder, and drops
    /// every checkpoint but it and its fallback.
    /// </summary>
    /// <returns>The manifest as committed.</returns>
    public CheckpointManifest Commit(CheckpointManifest manifest, CounterpartyStores stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        return _folder.Commit(manifest, stores.Callers, stores.Accounts);
    }
}
