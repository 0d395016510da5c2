
namespace FraudShield.RuleEngine.Engine;

/// <summary>The next offset to read in one input partition, as of a checkpoint.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The next offset; -2 means the beginning.</param>
public readonly record struct PartitionPosition(string Topic, int Partition, long Offset);

/// <summary>
/// One engine checkpoint: the FASTER checkpoint tokens of the per-party stores and the input positions they reflect.
/// It exists only once its manifest file is in place, which is written last and atomically (temp file, fsync, rename),
/// so a checkpoint torn by a crash has no manifest and is never used.
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>Increasing checkpoint number.</summary>
    public required long Sequence { get; init; }

    /// <summary>Wall-clock time the checkpoint was taken (epoch ms).</summary>
    public required long CreatedMs { get; init; }

    /// <summary>FASTER token of the party store.</summary>
    public required Guid Parties { get; init; }

    /// <summary>FASTER token of the payer-payee store.</summary>
    public required Guid Pairs { get; init; }

    /// <summary>Where to resume each input partition.</summary>
    public required IReadOnlyList<PartitionPosition> Positions { get; init; }

    /// <summary>
    /// The string table in id order (from reference 1) when the checkpoint was taken: party state refers to typologies
    /// by these ids, so a recovery makes the process's table agree with it first. Empty in older manifests.
    /// </summary>
    public IReadOnlyList<string> Strings { get; init; } = [];
}

/// <summary>
/// The engine's checkpoints in a folder: writes manifests atomically, finds the newest one that recovers, and keeps
/// the newest two (the older as a fallback should the newest turn out unreadable).
/// </summary>
public sealed class EngineCheckpoints
{
    private readonly CheckpointFolder _folder;

    /// <summary>Keeps checkpoints in <paramref name="directory"/>.</summary>
    public EngineCheckpoints(string directory) => _folder = new CheckpointFolder(directory);

    /// <summary>Manifests on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<CheckpointManifest> Manifests() => _folder.Manifests();

    /// <summary>
    /// Recovers <paramref name="stores"/> from the newest checkpoint that recovers (and whose strings agree with the
    /// process's table, see <see cref="TryAlignStrings"/>); null when there is none.
    /// </summary>
    public CheckpointManifest? Recover(EngineStores stores)
    {
        ArgumentNullException.ThrowIfNull(stores);

        // Ids in a checkpoint whose strings disagree would name other strings than they did: try an older one.
        return _folder.Recover(stores.Parties, stores.Pairs, manifest => TryAlignStrings(stores.Strings, manifest.Strings));
    }

    /// <summary>
    /// Makes <paramref name="table"/> agree with a checkpoint's strings: interns the checkpoint's strings the table does
    /// not have yet, in order, when the table holds a prefix of them (the usual case: tables restored from their
    /// snapshots, or still empty); false when the two disagree on an id (the checkpoint's state cannot be trusted).
    /// </summary>
    internal static bool TryAlignStrings(State.StringTable table, IReadOnlyList<string> saved)
    {
        var current = table.Snapshot();
        var common = Math.Min(current.Length, saved.Count);
        for (var i = 0; i < common; i++)
        {
            if (!string.Equals(current[i], saved[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        for (var i = common; i < saved.Count; i++)
        {
            if (table.Intern(saved[i]) != i + 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes <paramref name="manifest"/> atomically and drops checkpoints older than the previous one.</summary>
    public void Commit(CheckpointManifest manifest, EngineStores stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        _folder.Commit(manifest, stores.Parties, stores.Pairs);
    }
}
