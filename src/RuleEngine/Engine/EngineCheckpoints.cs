using System.Text.Json.Serialization;
using Confluent.Kafka;
using FraudShield.RuleEngine.State;
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

    /// <summary>The party store's checkpoint (a bare token in manifests written before incremental checkpoints).</summary>
    public required StoreCheckpoint Parties { get; init; }

    /// <summary>The payer-payee store's checkpoint.</summary>
    public required StoreCheckpoint Pairs { get; init; }

    /// <summary>Where to resume each input partition.</summary>
    public required IReadOnlyList<PartitionPosition> Positions { get; init; }

    /// <summary>
    /// Strings of the string table (from reference 1) saved with the checkpoint in the folder's strings file
    /// (<see cref="CheckpointStrings"/>): party state refers to typologies and stations by these ids, so a recovery
    /// makes the process's table agree with them first. Set by <see cref="EngineCheckpoints.Commit"/>.
    /// </summary>
    public int StringCount { get; init; }

    /// <summary>Bytes of the strings file that hold those strings.</summary>
    public long StringsBytes { get; init; }

    /// <summary>XxHash3 of those bytes; a file rewritten differently since (or a manifest without strings) fails it.</summary>
    public ulong StringsHash { get; init; }

    /// <summary>
    /// The string table inline, as manifests carried it before the strings file existed: read so that their
    /// checkpoints still recover, never written.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Strings { get; init; }

    /// <summary>
    /// Where a newly assigned partition of a stateful loop starts: where this process left it (<paramref name="next"/>,
    /// -1 when it never judged it: its in-memory state is there); else, when checkpointing, the checkpoint's position
    /// (state and input must match), or the beginning when the checkpoint has none; else the group's committed offset.
    /// Records before the group's committed offset then only rebuild state (<see cref="FraudShield.Ingest.Kafka.ReplayBounds"/>).
    /// </summary>
    /// <param name="partition">The assigned partition.</param>
    /// <param name="next">The next offset this process would judge in it, or -1.</param>
    /// <param name="checkpoint">The checkpoint recovered or last taken; null when none.</param>
    /// <param name="checkpointing">Whether the loop checkpoints.</param>
    public static TopicPartitionOffset StartOf(TopicPartition partition, long next, CheckpointManifest? checkpoint, bool checkpointing)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (next >= 0)
        {
            return new(partition, new Offset(next));
        }

        if (!checkpointing)
        {
            return new(partition, Offset.Unset);
        }

        foreach (var position in checkpoint?.Positions ?? [])
        {
            if (position.Topic == partition.Topic && position.Partition == partition.Partition.Value)
            {
                return new(partition, position.Offset >= 0 ? new Offset(position.Offset) : Offset.Beginning);
            }
        }

        return new(partition, Offset.Beginning);
    }
}

/// <summary>
/// The engine's checkpoints in a folder: writes manifests atomically, finds the newest one that recovers, and keeps
/// two (the newest, and a fallback should it turn out unreadable).
/// </summary>
public sealed class EngineCheckpoints
{
    private readonly CheckpointFolder _folder;
    private readonly CheckpointStrings _strings;

    /// <summary>Keeps checkpoints in <paramref name="directory"/>.</summary>
    public EngineCheckpoints(string directory)
    {
        _folder = new CheckpointFolder(directory);
        _strings = new CheckpointStrings(directory);
    }

    /// <summary>Manifests on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<CheckpointManifest> Manifests() => _folder.Manifests();

    /// <summary>
    /// Recovers <paramref name="stores"/> from the newest checkpoint that recovers (and whose strings agree with the
    /// process's table, see <see cref="TryAlignStrings"/>); null when there is none.
    /// </summary>
    public CheckpointManifest? Recover(EngineStores stores) => Recover(stores, passedOver: null);

    /// <summary>
    /// As <see cref="Recover(EngineStores)"/>, reporting each newer checkpoint passed over to
    /// <paramref name="passedOver"/> with its number and why.
    /// </summary>
    public CheckpointManifest? Recover(EngineStores stores, Action<long, string>? passedOver)
    {
        ArgumentNullException.ThrowIfNull(stores);

        // Ids in a checkpoint whose strings disagree would name other strings than they did: try an older one.
        return _folder.Recover(stores.Parties, stores.Pairs, manifest => (manifest.Strings is { } inline ? State.SavedStrings.From(inline) : _strings.TryRead(manifest)) is { } saved && TryAlignStrings(stores.Strings, saved), passedOver);
    }

    /// <summary>
    /// Makes <paramref name="table"/> agree with a checkpoint's strings: interns the checkpoint's strings the table does
    /// not have yet, in order, when the table holds a prefix of them (the usual case: tables restored from their
    /// snapshots, or still empty); false when the two disagree on an id (the checkpoint's state cannot be trusted).
    /// </summary>
    internal static bool TryAlignStrings(State.StringTable table, State.SavedStrings saved)
    {
        var common = Math.Min(table.Count - 1, saved.Count);
        for (var i = 0; i < common; i++)
        {
            if (!table.Holds(i + 1, saved[i]))
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

    /// <summary>
    /// Saves the strings interned since the previous checkpoint, then writes <paramref name="manifest"/> (with the
    /// strings it covers) atomically, numbered above any manifest already in the folder, and drops every checkpoint
    /// but it and its fallback (<see cref="CheckpointFolder"/>). Call it once the stores' checkpoint files are written.
    /// </summary>
    /// <returns>The manifest as committed.</returns>
    public CheckpointManifest Commit(CheckpointManifest manifest, EngineStores stores)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(stores);
        var (count, bytes, hash) = _strings.Save(stores.Strings);
        var committed = manifest with { StringCount = count, StringsBytes = bytes, StringsHash = hash };
        return _folder.Commit(committed, stores.Parties, stores.Pairs);
    }
}
