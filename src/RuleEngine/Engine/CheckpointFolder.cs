using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// A folder of checkpoint manifests over two FASTER stores: manifests are written atomically (temp file, fsync,
/// rename), so a checkpoint torn by a crash has none and is never used; recovery takes the newest one that recovers;
/// the newest two are kept (the older as a fallback) and the store checkpoints only older ones refer to are purged.
/// The one implementation behind <see cref="EngineCheckpoints"/> and the counterparty stage's checkpoints.
/// </summary>
internal sealed class CheckpointFolder
{
    private const string Prefix = "checkpoint-";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter() } };
    private readonly string _directory;

    // Manifests by file, as this process read or wrote them: a manifest file does not change once renamed
    // into place, so each commit's look at the folder parses none of the older ones it already knows (it parsed all of
    // them, a few hundred KB of garbage a minute on the engine and counterparty threads). Recovery and Manifests()
    // always read the files, and a commit reads the fallback it keeps, so a manifest damaged since is skipped.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CheckpointManifest> _known = new(StringComparer.Ordinal);

    public CheckpointFolder(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Manifests on disk, newest first; unreadable ones are skipped.</summary>
    public IEnumerable<CheckpointManifest> Manifests() => Manifests(written: null);

    // With written (the manifest a commit just renamed into place): that one and those after the first two readable
    // ones may come from the cache; the others are read from their files.
    private IEnumerable<CheckpointManifest> Manifests(string? written)
    {
        var files = Directory.GetFiles(_directory, Prefix + "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        var readable = 0;
        for (var i = files.Length - 1; i >= 0; i--)
        {
            var known = written is not null && (files[i] == written || readable >= 2);
            if (Read(files[i], known) is { } manifest)
            {
                readable++;
                yield return manifest;
            }
        }
    }

    private CheckpointManifest? Read(string file, bool known)
    {
        if (known && _known.TryGetValue(file, out var read))
        {
            return read;
        }

        try
        {
            var manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(file), Json);
            if (manifest is not null)
            {
                _known[file] = manifest;
            }

            return manifest;
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

    /// <summary>
    /// Recovers <paramref name="first"/> and <paramref name="second"/> (the manifest's <c>parties</c> and <c>pairs</c>
    /// tokens) from the newest checkpoint that recovers and that <paramref name="accept"/> takes; null when none.
    /// </summary>
    public CheckpointManifest? Recover<TFirst, TSecond>(FasterStore<TFirst> first, FasterStore<TSecond> second, Func<CheckpointManifest, bool>? accept = null)
        where TFirst : unmanaged
        where TSecond : unmanaged
    {
        foreach (var manifest in Manifests())
        {
            try
            {
                if (accept is not null && !accept(manifest))
                {
                    continue;
                }

                first.Recover(manifest.Parties);
                second.Recover(manifest.Pairs);
                return manifest;
            }
            catch (Exception e) when (e is FASTER.core.FasterException or IOException or InvalidOperationException)
            {
                // Torn or missing store files: try the previous checkpoint.
            }
        }

        return null;
    }

    /// <summary>Writes <paramref name="manifest"/> atomically and drops checkpoints older than the previous one.</summary>
    public void Commit<TFirst, TSecond>(CheckpointManifest manifest, FasterStore<TFirst> first, FasterStore<TSecond> second)
        where TFirst : unmanaged
        where TSecond : unmanaged
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var name = FileOf(manifest.Sequence);
        var temp = name + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, manifest, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, name, overwrite: true);
        _known[name] = manifest;

        var manifests = Manifests(written: name).ToList();
        var kept = manifests.Take(2).ToList();
        var old = manifests.Skip(2).ToList();
        PurgeUnreferenced(first, old.Select(m => m.Parties), kept.Select(m => m.Parties));
        PurgeUnreferenced(second, old.Select(m => m.Pairs), kept.Select(m => m.Pairs));
        foreach (var dropped in old)
        {
            var file = FileOf(dropped.Sequence);
            File.Delete(file);
            _known.TryRemove(file, out _);
        }
    }

    // A FASTER token serves as index, log or both, and incremental checkpoints share them: a token goes once no kept
    // checkpoint names it in either role.
    private static void PurgeUnreferenced<T>(FasterStore<T> store, IEnumerable<StoreCheckpoint> dropped, IEnumerable<StoreCheckpoint> kept)
        where T : unmanaged
    {
        var referenced = kept.SelectMany(k => new[] { k.Index, k.Log }).ToHashSet();
        foreach (var token in dropped.SelectMany(d => new[] { d.Index, d.Log }).Distinct())
        {
            if (!referenced.Contains(token))
            {
                store.Purge(token);
            }
        }
    }

    private string FileOf(long sequence) => Path.Combine(_directory, Prefix + sequence.ToString("D12", CultureInfo.InvariantCulture) + ".json");
}
