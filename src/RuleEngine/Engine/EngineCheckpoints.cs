using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

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
    private const string Prefix = "checkpoint-";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter() } };
    private readonly string _directory;

    /// <summary>Keeps checkpoints in <paramref name="directory"/>.</summary>
    public EngineCheckpoints(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Manifests on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<CheckpointManifest> Manifests()
    {
        var files = Directory.GetFiles(_directory, Prefix + "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        for (var i = files.Length - 1; i >= 0; i--)
        {
            CheckpointManifest? manifest = null;
            try
            {
                manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(files[i]), Json);
            }
            catch (JsonException)
            {
                // A manifest is renamed into place whole; an unreadable one was damaged after the fact: skip it.
            }

            if (manifest is not null)
            {
                yield return manifest;
            }
        }
    }

    /// <summary>Recovers <paramref name="stores"/> from the newest checkpoint that recovers; null when there is none.</summary>
    public CheckpointManifest? Recover(EngineStores stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        foreach (var manifest in Manifests())
        {
            try
            {
                if (!TryAlignStrings(stores.Strings, manifest.Strings))
                {
                    // Ids in this checkpoint's state would name other strings than they did: try an older one.
                    continue;
                }

                stores.Parties.Recover(manifest.Parties);
                stores.Pairs.Recover(manifest.Pairs);
                return manifest;
            }
            catch (Exception e) when (e is FASTER.core.FasterException or IOException or InvalidOperationException)
            {
                // Torn or missing store files: try the previous checkpoint.
            }
        }

        return null;
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
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(stores);
        var name = Path.Combine(_directory, Prefix + manifest.Sequence.ToString("D12", CultureInfo.InvariantCulture) + ".json");
        var temp = name + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, manifest, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, name, overwrite: true);

        var kept = Manifests().Take(2).ToList();
        foreach (var old in Manifests().Skip(2).ToList())
        {
            if (!kept.Any(k => k.Parties == old.Parties))
            {
                stores.Parties.Purge(old.Parties);
            }

            if (!kept.Any(k => k.Pairs == old.Pairs))
            {
                stores.Pairs.Purge(old.Pairs);
            }

            File.Delete(Path.Combine(_directory, Prefix + old.Sequence.ToString("D12", CultureInfo.InvariantCulture) + ".json"));
        }
    }
}
