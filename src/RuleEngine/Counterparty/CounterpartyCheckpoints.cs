using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FraudShield.RuleEngine.Engine;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The aggregator's checkpoints in a folder of their own, in the engine's manifest format (<see cref="CheckpointManifest"/>:
/// <c>parties</c> is the token of the caller/handset store, <c>pairs</c> the token of the account store, and the
/// positions are fs.counterparty's). A manifest is written last and atomically (temp file, fsync, rename), so a
/// checkpoint torn by a crash has none and is never used; the newest two are kept.
/// </summary>
public sealed class CounterpartyCheckpoints
{
    private const string Prefix = "checkpoint-";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Converters = { new JsonStringEnumConverter() } };
    private readonly string _directory;

    /// <summary>Keeps checkpoints in <paramref name="directory"/>.</summary>
    public CounterpartyCheckpoints(string directory)
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
                // Damaged after it was renamed into place: skip it.
            }

            if (manifest is not null)
            {
                yield return manifest;
            }
        }
    }

    /// <summary>Recovers <paramref name="stores"/> from the newest checkpoint that recovers; null when there is none.</summary>
    public CheckpointManifest? Recover(CounterpartyStores stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        foreach (var manifest in Manifests())
        {
            try
            {
                stores.Callers.Recover(manifest.Parties);
                stores.Accounts.Recover(manifest.Pairs);
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
    public void Commit(CheckpointManifest manifest, CounterpartyStores stores)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(stores);
        var name = FileOf(manifest.Sequence);
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
                stores.Callers.Purge(old.Parties);
            }

            if (!kept.Any(k => k.Pairs == old.Pairs))
            {
                stores.Accounts.Purge(old.Pairs);
            }

            File.Delete(FileOf(old.Sequence));
        }
    }

    private string FileOf(long sequence) => Path.Combine(_directory, Prefix + sequence.ToString("D12", CultureInfo.InvariantCulture) + ".json");
}
