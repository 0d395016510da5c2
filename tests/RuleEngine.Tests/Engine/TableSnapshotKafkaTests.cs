using System.Text;
using Confluent.Kafka;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.Engine;

/// <summary>Table snapshots with a real follower on the embedded cluster: a restart reads only what came after the snapshot.</summary>
public sealed class TableSnapshotKafkaTests
{
    private const long Now = 1_790_000_000_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static void Produce(KafkaOptions options, string topic, IEnumerable<(string Key, string? Value)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]?>(options.CreateProducerConfig()).Build();
        var failed = 0;
        foreach (var (key, value) in records)
        {
            producer.Produce(topic, new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value is null ? null : Encoding.UTF8.GetBytes(value) }, r =>
            {
                if (r.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }
            });
        }

        Assert.Equal(0, producer.Flush(Timeout));
        Assert.Equal(0, failed);
    }

    private static (string, string?) Entry(int i, string typology) =>
        ($"MSISDN:+86138000{i:D5}", TableSnapshotsTests.WatchJson($"+86138000{i:D5}", typology));

    private static string? TypologyOf(EngineStores stores, int i)
    {
        using var session = stores.Watchlist.NewSession();
        return session.TryLookup(WatchKeyType.Msisdn, 8613800000000UL + (ulong)i, Now, out var hit) ? stores.Strings[hit.Typology] : null;
    }

    /// <summary>What the node does at start: restore, then open sessions, then follow from the snapshot's offsets.</summary>
    private static (TableSnapshots Snapshots, TableApplier Applier, TableFollower Follower, Func<long> Rejected) Start(
        KafkaOptions options, string topic, EngineStores stores, string tables, TimeSpan interval)
    {
        var snapshots = new TableSnapshots(tables, stores) { Interval = interval };
        snapshots.Restore(table => table == SnapshotTable.Watchlist ? TableFollower.QueryWatermarks(options, topic, Timeout) : null);
        var applier = new TableApplier(stores);
        long rejected = 0;
        var follower = TableFollower.Start(options, topic, (key, value, tombstone, _) =>
        {
            if (!applier.ApplyWatchlist(key, value, tombstone, out var error))
            {
                Interlocked.Increment(ref rejected);
            }
        }, start: snapshots.StartOf(SnapshotTable.Watchlist));
        return (snapshots, applier, follower, () => Interlocked.Read(ref rejected));
    }

    [Fact]
    public async Task Restart_WithSnapshot_ReadsOnlyRecordsAfterItAndEndsWithTheRightEntries()
    {
        using var cluster = EmbeddedKafkaCluster.Start(1);
        var options = KafkaOptions.For(cluster.BootstrapServers);
        var topic = $"fs.watchlist.{Guid.NewGuid():N}";
        cluster.CreateTopic(topic, partitions: 3);
        using var dir = new TempDirectory();
        var tables = Path.Combine(dir.Path, "tables");
        Produce(options, topic, Enumerable.Range(0, 100).Select(i => Entry(i, "SCAM_CALLER")));

        // First run: the whole topic is read; the clean stop snapshots it (the interval is too long to have done so).
        using (var stores = TableSnapshotsTests.NewStores(dir.Path))
        {
            var (snapshots, applier, follower, rejected) = Start(options, topic, stores, tables, TimeSpan.FromHours(1));
            using (applier)
            {
                Assert.Null(snapshots.Restored(SnapshotTable.Watchlist));
                await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
                Assert.Equal(100, follower.RecordsApplied);
                Assert.Equal(0, snapshots.Taken(SnapshotTable.Watchlist));
                follower.Dispose();
                Assert.Equal(1, snapshots.Taken(SnapshotTable.Watchlist));
                Assert.Equal(0, rejected());
            }
        }

        // While it is down: 3 new entries, one changed, one removed.
        Produce(options, topic, [Entry(100, "MONEY_MULE"), Entry(101, "MONEY_MULE"), Entry(102, "MONEY_MULE"), Entry(7, "ACCOUNT_TAKEOVER"), ($"MSISDN:+86138000{5:D5}", null)]);

        // Second run: restored before the follower starts, then only the 5 records after the snapshot are read.
        using var restored = TableSnapshotsTests.NewStores(dir.Path);
        var (again, applier2, follower2, rejected2) = Start(options, topic, restored, tables, TimeSpan.FromMilliseconds(50));
        using (applier2)
        using (follower2)
        {
            Assert.Equal(1, again.Restored(SnapshotTable.Watchlist)!.Sequence);
            await follower2.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);

            Assert.Equal(5, follower2.RecordsApplied);
            Assert.Equal(0, rejected2());
            Assert.Equal(102, restored.Watchlist.Count);
            Assert.Equal("SCAM_CALLER", TypologyOf(restored, 0));
            Assert.Equal("SCAM_CALLER", TypologyOf(restored, 99));
            Assert.Equal("ACCOUNT_TAKEOVER", TypologyOf(restored, 7));
            Assert.Equal("MONEY_MULE", TypologyOf(restored, 102));
            Assert.Null(TypologyOf(restored, 5));
            Assert.Null(TypologyOf(restored, 103));

            // The periodic snapshot (every 50 ms when the table moved) catches up with the high watermarks.
            var high = TableFollower.QueryWatermarks(options, topic, Timeout).Select(w => w.High).ToArray();
            await Poll.UntilAsync(
                () => again.Manifests(SnapshotTable.Watchlist).FirstOrDefault() is { } newest && newest.Offsets.SequenceEqual(high),
                "a periodic snapshot at the high watermarks",
                Timeout);
            Assert.Equal(105, high.Sum());
            Assert.Equal(102, again.Manifests(SnapshotTable.Watchlist).First().Entries);
        }

        // Nothing read since the last snapshot: the clean stop takes none.
        var taken = again.Taken(SnapshotTable.Watchlist);
        Assert.Equal(taken, follower2.BetweenRecordsCalls);
    }
}
