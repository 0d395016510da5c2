using System.Diagnostics;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench -- recovery [parties]`: how long an engine checkpoint of N parties takes and
/// how long recovering it takes (FASTER snapshot of the party store, then Recover on a fresh store in the same folder),
/// with every recovered party checked. The watchlist and register are not in the checkpoint (they are re-read from
/// their compacted topics), so they are not part of this figure.
/// </summary>
internal static class RecoveryReport
{
    public static int Run(int parties)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fraudshield-recovery-" + Guid.NewGuid().ToString("N"));
        var options = new FasterStoreOptions { Directory = dir, IndexBuckets = 1L << 20, MemorySizeBits = 30, PageSizeBits = 25 };
        var checkpoints = new EngineCheckpoints(Path.Combine(dir, "checkpoints"));
        try
        {
            var clock = Stopwatch.StartNew();
            using (var stores = new EngineStores(options))
            using (var session = stores.Parties.NewSession())
            {
                for (var i = 0; i < parties; i++)
                {
                    var state = new PartyState { LastSuspiciousCallMs = i + 1, IncidentVersion = i % 7 };
                    session.Upsert(8613_800_000_000L + i, state);
                }

                var filled = clock.Elapsed;
                clock.Restart();
                var manifest = new CheckpointManifest
                {
                    Sequence = 1,
                    CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    Parties = stores.Parties.Checkpoint(),
                    Pairs = stores.Pairs.Checkpoint(),
                    Positions = [],
                };
                checkpoints.Commit(manifest, stores);
                Console.WriteLine($"parties: {parties:N0}; filled in {filled.TotalSeconds:F2} s; checkpoint in {clock.Elapsed.TotalSeconds:F2} s");
            }

            clock.Restart();
            using var recovered = new EngineStores(options);
            var found = checkpoints.Recover(recovered) ?? throw new InvalidOperationException("no checkpoint recovered");
            var recoverTime = clock.Elapsed;
            using var reader = recovered.Parties.NewSession();
            for (var i = 0; i < parties; i++)
            {
                if (!reader.TryRead(8613_800_000_000L + i, out var state) || state.LastSuspiciousCallMs != i + 1)
                {
                    Console.Error.WriteLine($"party {i} not recovered");
                    return 1;
                }
            }

            Console.WriteLine($"recovered checkpoint {found.Sequence} in {recoverTime.TotalSeconds:F2} s; all {parties:N0} parties read back and checked in {(clock.Elapsed - recoverTime).TotalSeconds:F2} s");
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Temporary.
            }
        }
    }
}
