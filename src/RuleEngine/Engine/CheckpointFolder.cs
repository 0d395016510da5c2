using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// A folder of checkpoint manifests over two FASTER stores: manifests are written atomically (temp file, fsync,
/// rename), so a checkpoint torn by a crash has none and is never used; recovery takes the newest one that recovers.
/// A commit keeps two checkpoints, the new one and a fallback from the chain the stores' state follows, and deletes
/// everything else: other manifests, readable or not, temp files of commits that never finished, and every store
/// checkpoint neither kept manifest names. Sequence numbers only grow, so no manifest file is ever overwritten.
/// The one implementation behind <see cref="EngineCheckpoints"/> and the counterparty stage's checkpoints.
/// </summary>
internal sealed class CheckpointFolder
{
    private const string Prefix = "checkpoint-";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter() } };
    private readonly string _directory;

    // The checkpoint the stores' state follows from: the one recovered or last committed through this folder; 0 when
    // none. A commit's fallback is the newest manifest at or before it that still reads from its file: never a newer
    // one recovery passed over (its store files torn, or its strings disagreeing). With none (a start that recovered
    // nothing writes its stores' logs afresh, over the files older checkpoints read), a commit keeps no fallback.
    private long _base;

    public CheckpointFolder(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Manifests on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<CheckpointManifest> Manifests()
    {
        var files = ManifestFiles();
        for (var i = files.Length - 1; i >= 0; i--)
        {
            if (Read(files[i]) is { } manifest)
            {
                yield return manifest;
            }
        }
    }

    // Manifest files, oldest first (their names order as their sequence numbers).
    private string[] ManifestFiles()
    {
        var files = Directory.GetFiles(_directory, Prefix + "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    private static CheckpointManifest? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(file), Json);
        }
        catch (JsonException)
        {
            // A manifest is renamed into place whole; an unreadable one was damaged after the fact: skip it.
            return null;
        }
        catch (FileNotFoundException)
        {
            // Deleted since the folder was listed (an older one, purged by a commit).
            return null;
        }
    }

    // The sequence number a manifest file's name carries; 0 for a name not in the folder's format.
    private static long SequenceOf(string file)
    {
        var name = Path.GetFileName(file.AsSpan());
        return name.StartsWith(Prefix) && name.EndsWith(".json")
            && long.TryParse(name[Prefix.Length..^".json".Length], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : 0;
    }

    /// <summary>
    /// Recovers <paramref name="first"/> and <paramref name="second"/> (the manifest's <c>parties</c> and <c>pairs</c>
    /// tokens) from the newest checkpoint that recovers and that <paramref name="accept"/> takes; null when none.
    /// Each newer checkpoint passed over is reported to <paramref name="passedOver"/> with its number and why.
    /// </summary>
    public CheckpointManifest? Recover<TFirst, TSecond>(FasterStore<TFirst> first, FasterStore<TSecond> second, Func<CheckpointManifest, bool>? accept = null, Action<long, string>? passedOver = null)
        where TFirst : unmanaged
        where TSecond : unmanaged
    {
        _base = 0;

        // A checkpoint the first store recovered and the second could not: the first holds its state until an older
        // checkpoint recovers both.
        long? halfRecovered = null;
        var files = ManifestFiles();
        for (var i = files.Length - 1; i >= 0; i--)
        {
            if (Read(files[i]) is not { } manifest)
            {
                passedOver?.Invoke(SequenceOf(files[i]), "its manifest cannot be read");
                continue;
            }

            if (accept is not null && !accept(manifest))
            {
                passedOver?.Invoke(manifest.Sequence, "its string table cannot be read or disagrees with the process's");
                continue;
            }

            var firstRecovered = false;
            try
            {
                first.Recover(manifest.Parties);
                firstRecovered = true;
                second.Recover(manifest.Pairs);
                _base = manifest.Sequence;
                return manifest;
            }
            catch (Exception e) when (e is FASTER.core.FasterException or IOException or InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException)
            {
                // Torn or missing store files: try the previous checkpoint. FASTER reads a checkpoint's metadata line
                // by line and parses each, so one whose files are gone or cut short fails with a parse error.
                passedOver?.Invoke(manifest.Sequence, $"its store snapshots cannot be recovered ({e.GetType().Name}: {e.Message})");
                if (firstRecovered)
                {
                    halfRecovered ??= manifest.Sequence;
                }
            }
        }

        // Starting without a checkpoint replays the input from the beginning, which must not land on the state of one.
        return halfRecovered is { } sequence
            ? throw new InvalidOperationException($"Checkpoint {sequence} in {_directory} recovered only one of its two stores and no older checkpoint recovers; the state cannot be trusted. Move {_directory} away to start with empty stores that the input rebuilds.")
            : null;
    }

    /// <summary>
    /// Writes <paramref name="manifest"/> atomically, numbered above every manifest in the folder (readable or not),
    /// then keeps it and its fallback and deletes every other manifest and store checkpoint. Call it once the stores'
    /// checkpoints are written and before either store begins another.
    /// </summary>
    /// <returns>The manifest as committed: <paramref name="manifest"/>, renumbered when its number is taken.</returns>
    public CheckpointManifest Commit<TFirst, TSecond>(CheckpointManifest manifest, FasterStore<TFirst> first, FasterStore<TSecond> second)
        where TFirst : unmanaged
        where TSecond : unmanaged
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var files = ManifestFiles();
        var highest = files.Length == 0 ? 0 : files.Max(SequenceOf);
        var committed = manifest.Sequence > highest ? manifest : manifest with { Sequence = highest + 1 };
        var name = FileOf(committed.Sequence);
        var temp = name + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, committed, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, name, overwrite: true);
        var limit = _base;
        _base = committed.Sequence;

        // The fallback is read from its file: when the base's manifest was damaged since it was written, the newest
        // readable one before it is kept instead.
        var keptFiles = new HashSet<string>(StringComparer.Ordinal) { name };
        var kept = new List<CheckpointManifest> { committed };
        for (var i = files.Length - 1; i >= 0 && kept.Count < 2; i--)
        {
            if (SequenceOf(files[i]) <= limit && Read(files[i]) is { } fallback)
            {
                keptFiles.Add(files[i]);
                kept.Add(fallback);
            }
        }

        foreach (var file in Directory.GetFiles(_directory, Prefix + "*"))
        {
            if (!keptFiles.Contains(file))
            {
                File.Delete(file);
            }
        }

        PurgeUnreferenced(first, kept.Select(m => m.Parties));
        PurgeUnreferenced(second, kept.Select(m => m.Pairs));
        return committed;
    }

    // A FASTER token serves as index, log or both, and incremental checkpoints share them: a token goes once no kept
    // checkpoint names it in either role. That covers the tokens of dropped manifests and those of checkpoints that
    // never got one (a crash, or a failure, between the stores' checkpoint and the manifest's rename).
    private static void PurgeUnreferenced<T>(FasterStore<T> store, IEnumerable<StoreCheckpoint> kept)
        where T : unmanaged
    {
        var referenced = kept.SelectMany(k => new[] { k.Index, k.Log }).ToHashSet();
        foreach (var token in store.CheckpointTokens())
        {
            if (!referenced.Contains(token))
            {
                store.Purge(token);
            }
        }
    }

    private string FileOf(long sequence) => Path.Combine(_directory, Prefix + sequence.ToString("D12", CultureInfo.InvariantCulture) + ".json");
}
