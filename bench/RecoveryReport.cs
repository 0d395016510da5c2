using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench -- recovery [parties] [watchlist entries] [kafka records] [residents]`: what
/// a restart costs with N parties of engine state, M watchlist entries and R residents in the register (the simulated
/// city's register records through <see cref="TableApplier.ApplyRegistry"/>, snapshot and restored with the
/// watchlist; their ids fill the string table). The parties go into the party store; the watchlist
/// entries go through the table apply path (<see cref="TableApplier.ApplyWatchlist"/>: JSON parse, typology interned,
/// filter, FASTER upsert). Then the engine checkpoint and the watchlist's table snapshot are taken and timed, the
/// stores are dropped, and a fresh set is restored (table snapshot: strings, filter bits, watchlist FASTER recover;
/// engine checkpoint: party store), timed, and checked. For comparison, the rate at which a
/// <see cref="TableFollower"/> re-reads a watchlist topic through the same apply path is measured on the embedded
/// cluster with K records (it retains only a bounded tail per partition, so K is what it keeps, not M).
/// </summary>
internal static class RecoveryReport
{
    private const long Now = 1_790_000_000_000;
    private const int Partitions = 12;
    private static readonly string[] Typologies = ["SCAM_CALLER", "MONEY_MULE", "ACCOUNT_TAKEOVER", "FAKE_INVESTMENT", "IMPERSONATION", "LOAN_FRAUD"];

    public static int Run(int parties, int watchlist, int kafkaRecords, int residents = 0)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fraudshield-recovery-" + Guid.NewGuid().ToString("N"));
        var options = new FasterStoreOptions
        {
            Directory = dir,
            IndexBuckets = 1L << 21,
            MemorySizeBits = 30,
            PageSizeBits = 25,
            ExpectedEntries = Math.Max(watchlist, 1_000_000),
        };
        var checkpoints = new EngineCheckpoints(Path.Combine(dir, "checkpoints"));
        var tables = Path.Combine(dir, "tables");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {LoadAverage()}");
        try
        {
            var clock = Stopwatch.StartNew();
            TableSnapshotManifest snapshot;
            TableSnapshotManifest? registerSnapshot = null;
            using (var stores = new EngineStores(options))
            {
                var tableSnapshots = new TableSnapshots(tables, stores);
                tableSnapshots.Restore(_ => null);

                // Open until the checkpoint has cut its version, as the engine thread's sessions are: FASTER moves a
                // store to its next version when every session has acknowledged it, and a store without any has
                // nobody to drive it there.
                using var partySession = stores.Parties.NewSession();
                using var pairSession = stores.Pairs.NewSession();
                for (var i = 0; i < parties; i++)
                {
                    var state = new PartyState { LastSuspiciousCallMs = i + 1, IncidentVersion = i % 7 };
                    partySession.Upsert(8613_800_000_000L + i, state);
                }

                Console.WriteLine($"parties: {parties:N0} filled in {clock.Elapsed.TotalSeconds:F2} s");
                clock.Restart();
                using (var applier = new TableApplier(stores))
                {
                    var json = new byte[256];
                    for (var i = 0; i < watchlist; i++)
                    {
                        var length = Encoding.UTF8.GetBytes(WatchJson(i), json);
                        if (!applier.ApplyWatchlist(default, json.AsSpan(0, length), tombstone: false, out var error))
                        {
                            Console.Error.WriteLine($"watchlist entry {i} rejected: {error}");
                            return 1;
                        }
                    }
                }

                var applied = clock.Elapsed;
                Console.WriteLine($"watchlist: {watchlist:N0} entries applied in {applied.TotalSeconds:F2} s ({watchlist / applied.TotalSeconds:N0} records/s through TableApplier, no Kafka)");
                if (residents > 0)
                {
                    clock.Restart();
                    using var applier = new TableApplier(stores);
                    foreach (var record in City(residents).Register())
                    {
                        if (!applier.ApplyRegistry(record.Value, tombstone: false, out var error))
                        {
                            Console.Error.WriteLine($"register record rejected: {error}");
                            return 1;
                        }
                    }

                    Console.WriteLine($"register: {residents:N0} residents applied in {clock.Elapsed.TotalSeconds:F2} s; string table {stores.Strings.Count - 1:N0} strings");
                }

                // As the engine does it: cut both stores' version (the engine's pause), then wait for the files.
                clock.Restart();
                var partiesCut = stores.Parties.BeginCheckpoint();
                var pairsCut = stores.Pairs.BeginCheckpoint();
                var pause = clock.Elapsed;
                Task.WaitAll(partiesCut.Completion, pairsCut.Completion);
                var manifest = new CheckpointManifest
                {
                    Sequence = 1,
                    CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    Parties = partiesCut.Completion.Result,
                    Pairs = pairsCut.Completion.Result,
                    Positions = [],
                };
                checkpoints.Commit(manifest, stores);
                var engineCheckpoint = clock.Elapsed;
                Console.WriteLine($"engine checkpoint: engine paused {pause.TotalMilliseconds:F1} ms (version cut), snapshot written in the background in {engineCheckpoint.TotalSeconds:F2} s");
                clock.Restart();
                snapshot = tableSnapshots.Take(SnapshotTable.Watchlist, OffsetsAfter(watchlist));
                if (residents > 0)
                {
                    registerSnapshot = tableSnapshots.Take(SnapshotTable.Register, OffsetsAfter(residents));
                }

                var tableSnapshot = clock.Elapsed;
                Console.WriteLine($"engine checkpoint (parties + pairs) in {engineCheckpoint.TotalSeconds:F2} s; table snapshots ({(residents > 0 ? "watchlist, register" : "watchlist")}) in {tableSnapshot.TotalSeconds:F2} s (filter {snapshot.DataBytes / 1048576.0:F1} MiB, {snapshot.Strings} strings); together {(engineCheckpoint + tableSnapshot).TotalSeconds:F2} s");
            }

            clock.Restart();
            using var recovered = new EngineStores(options);
            var storesTime = clock.Elapsed;
            var snapshots = new TableSnapshots(tables, recovered);
            snapshots.Restore(table => (table == SnapshotTable.Watchlist ? snapshot : table == SnapshotTable.Register ? registerSnapshot : null)?.Offsets
                .Select((o, p) => new PartitionWatermarks(p, 0, o)).ToArray());
            var tablesTime = clock.Elapsed;
            var found = checkpoints.Recover(recovered) ?? throw new InvalidOperationException("no checkpoint recovered");
            var recoverTime = clock.Elapsed;
            if (snapshots.Restored(SnapshotTable.Watchlist) is null || recovered.Watchlist.Count != watchlist)
            {
                Console.Error.WriteLine($"watchlist not restored ({recovered.Watchlist.Count:N0} entries)");
                return 1;
            }

            if (residents > 0 && snapshots.Restored(SnapshotTable.Register) is null)
            {
                Console.Error.WriteLine("register not restored");
                return 1;
            }

            Console.WriteLine($"restored: empty stores created in {storesTime.TotalSeconds:F2} s, then the table snapshots ({(residents > 0 ? "watchlist, register" : "watchlist")}: strings, filter, FASTER recover) in {(tablesTime - storesTime).TotalSeconds:F2} s, engine checkpoint {found.Sequence} (parties) in {(recoverTime - tablesTime).TotalSeconds:F2} s; together {recoverTime.TotalSeconds:F2} s");

            clock.Restart();
            using (var reader = recovered.Parties.NewSession())
            {
                for (var i = 0; i < parties; i++)
                {
                    if (!reader.TryRead(8613_800_000_000L + i, out var state) || state.LastSuspiciousCallMs != i + 1)
                    {
                        Console.Error.WriteLine($"party {i} not recovered");
                        return 1;
                    }
                }
            }

            using (var reader = recovered.Watchlist.NewSession())
            {
                for (var i = 0; i < watchlist; i++)
                {
                    if (!reader.TryLookup(FraudShield.Ingest.Events.WatchKeyType.Msisdn, Number(i), Now, out var hit) ||
                        recovered.Strings[hit.Typology] != Typologies[i % Typologies.Length])
                    {
                        Console.Error.WriteLine($"watchlist entry {i} not restored");
                        return 1;
                    }
                }
            }

            if (residents > 0)
            {
                var city = City(residents);
                using var reader = recovered.Register.NewSession();
                for (var i = 0; i < residents; i++)
                {
                    if (!reader.TryGetByNumber(CitySimulator.ResidentNumber(i), out var info) ||
                        recovered.Strings[info.Person] != "P" + i.ToString("D7", CultureInfo.InvariantCulture) || recovered.Strings[info.Grid] != city.GridOf(i))
                    {
                        Console.Error.WriteLine($"resident {i} not restored");
                        return 1;
                    }
                }
            }

            Console.WriteLine($"all {parties:N0} parties, {watchlist:N0} watchlist entries and {residents:N0} residents read back and checked in {clock.Elapsed.TotalSeconds:F2} s");
            if (kafkaRecords > 0)
            {
                ReReadRate(kafkaRecords, watchlist, recoverTime);
            }

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

    // The next offset of each partition of a table topic that held the records, spread evenly.
    private static long[] OffsetsAfter(int records) => Enumerable.Repeat((long)records / Partitions, Partitions).ToArray();

    // The simulated city's register, its ids shaped as the demo's (40 stations of 25 grids).
    private static CitySimulator City(int residents) => new(new CityOptions { Residents = residents, Stations = 40, GridsPerStation = 25 }, seed: 1);

    private static ulong Number(int i) => 8613_000_000_000UL + (2UL * (ulong)i);

    private static string WatchJson(int i) =>
        $$"""{"key_type":"MSISDN","key":"+{{Number(i).ToString(CultureInfo.InvariantCulture)}}","level":"CONFIRMED","typology":"{{Typologies[i % Typologies.Length]}}"}""";

    /// <summary>A table follower re-reading a watchlist topic on the embedded cluster, through the same apply path.</summary>
    private static void ReReadRate(int records, int watchlist, TimeSpan restore)
    {
        using var cluster = EmbeddedKafkaCluster.Start(1);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        const string topic = "fs.watchlist.bench";
        cluster.CreateTopic(topic, Partitions);
        using (var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build())
        {
            for (var i = 0; i < records; i++)
            {
                var json = WatchJson(i);
                var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes("MSISDN:+" + Number(i).ToString(CultureInfo.InvariantCulture)), Value = Encoding.UTF8.GetBytes(json) };
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, message);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        // The producer's queue holds what the node's settings let it: wait for deliveries to drain it.
                        producer.Poll(TimeSpan.FromMilliseconds(100));
                    }
                }
            }

            producer.Flush(TimeSpan.FromMinutes(5));
        }

        var retained = TableFollower.QueryWatermarks(kafka, topic, TimeSpan.FromSeconds(10)).Sum(w => w.High - w.Low);
        var options = new FasterStoreOptions { IndexBuckets = 1L << 18, MemorySizeBits = 28, ExpectedEntries = records };
        using var stores = new EngineStores(options);
        using var applier = new TableApplier(stores);
        var clock = Stopwatch.StartNew();
        using var follower = TableFollower.Start(kafka, topic, (key, value, tombstone, _) => applier.ApplyWatchlist(key, value, tombstone, out var _));
        follower.WaitUntilCaughtUpAsync(TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
        var elapsed = clock.Elapsed;
        var rate = follower.RecordsApplied / elapsed.TotalSeconds;
        Console.WriteLine($"re-read: a table follower applied the {follower.RecordsApplied:N0} retained records ({retained:N0} by watermarks, of {records:N0} produced, {Partitions} partitions) of the embedded cluster in {elapsed.TotalSeconds:F2} s = {rate:N0} records/s");
        Console.WriteLine($"re-reading {watchlist:N0} entries at that rate: {watchlist / rate:F0} s, vs restoring the snapshot (with the parties) {restore.TotalSeconds:F2} s");
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
