using System.Text.Json;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.State;

public sealed class StoreCheckpointTests
{
    [Fact]
    public void Json_ObjectRoundTrips_AndABareTokenReadsAsAFullCheckpoint()
    {
        var index = Guid.NewGuid();
        var log = Guid.NewGuid();
        var checkpoint = new StoreCheckpoint(index, log, 7, 4608);
        var json = JsonSerializer.Serialize(checkpoint);
        Assert.Equal($"{{\"index\":\"{index}\",\"log\":\"{log}\",\"version\":7,\"delta_bytes\":4608}}", json);
        Assert.Equal(checkpoint, JsonSerializer.Deserialize<StoreCheckpoint>(json));

        // Manifests written before incremental checkpoints named each store by one token.
        Assert.Equal(new StoreCheckpoint(index, index, -1, -1), JsonSerializer.Deserialize<StoreCheckpoint>($"\"{index}\""));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<StoreCheckpoint>($"{{\"log\":\"{log}\"}}"));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<StoreCheckpoint>("42"));
    }

    [Fact]
    public async Task Commit_TokensSharedByIncrementalCheckpoints_PurgedOnlyWhenNoKeptManifestNamesThem()
    {
        using var dir = new TempDirectory();
        var options = new FasterStoreOptions { Directory = dir.Path, IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 16, FullCheckpointEvery = 3 };
        var folder = new CheckpointFolder(Path.Combine(dir.Path, "manifests"));
        var cpr = Path.Combine(dir.Path, "a", "checkpoints", "cpr-checkpoints");
        var indexes = Path.Combine(dir.Path, "a", "checkpoints", "index-checkpoints");
        using var first = new FasterStore<long>("a", options);
        using var second = new FasterStore<long>("b", options);
        using var session = first.NewSession();
        using var other = second.NewSession();
        var committed = new List<CheckpointManifest>();
        for (var sequence = 1; sequence <= 7; sequence++)
        {
            session.Upsert(sequence, sequence);
            var manifest = new CheckpointManifest
            {
                Sequence = sequence,
                CreatedMs = 0,
                Parties = await first.BeginCheckpoint().Completion.WaitAsync(TimeSpan.FromSeconds(30)),
                Pairs = await second.BeginCheckpoint().Completion.WaitAsync(TimeSpan.FromSeconds(30)),
                Positions = [],
            };
            folder.Commit(manifest, first, second);
            committed.Add(manifest);

            // Every token a kept manifest names is on disk; every other one is gone.
            var kept = committed.TakeLast(2).Select(m => m.Parties).ToList();
            var named = kept.SelectMany(k => new[] { k.Index, k.Log }).ToHashSet();
            Assert.Equal(named.Order(), Directory.GetDirectories(cpr).Concat(Directory.GetDirectories(indexes)).Select(d => Guid.Parse(Path.GetFileName(d))).Distinct().Order());
        }

        // Full at 1, 4 and 7; 2, 3, 5, 6 extend the full one before them.
        Assert.Equal(3, committed.Select(m => m.Parties.Log).Distinct().Count());
        Assert.Equal(committed[3].Parties.Log, committed[4].Parties.Log);
        Assert.Equal(committed[3].Parties.Index, committed[5].Parties.Index);
    }
}
