using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// A whole engine node with a data folder: stopped cleanly it snapshots its tables; restarted on the folder it restores
/// them and reads only the table records produced in between.
/// </summary>
public sealed class TableSnapshotRestartTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string Number(int i) => (8613800300000L + i).ToString(CultureInfo.InvariantCulture);

    private static void Produce(KafkaOptions kafka, string topic, IEnumerable<(string Key, string? Value)> records)
    {
        using var producer = new ProducerBuilder<byte[], byte[]?>(kafka.CreateProducerConfig()).Build();
        foreach (var (key, value) in records)
        {
            producer.Produce(topic, new Message<byte[], byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value is null ? null : Encoding.UTF8.GetBytes(value) });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    private static bool Listed(EngineStores stores, int i)
    {
        using var session = stores.Watchlist.NewSession();
        return session.TryLookup(WatchKeyType.Msisdn, ulong.Parse(Number(i), CultureInfo.InvariantCulture), 1_790_000_000_000, out _);
    }

    [Fact]
    public async Task Restart_AfterCleanStop_RestoresTablesAndReadsOnlyNewRecords()
    {
        using var cluster = EmbeddedKafkaCluster.Start(1);
        cluster.CreateTopics(Topics.All, 2);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        using var data = new TempDirectory("fraudshield-tables");
        var options = new NodeOptions
        {
            Kafka = kafka,
            RunDispatch = false,
            Stores = new FasterStoreOptions { Directory = data.Path, IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18, ExpectedEntries = 10_000 },
            Rules = SharedOptions.LoadRules(null) ?? throw new InvalidOperationException("The default rules did not load."),
            TableSnapshotInterval = TimeSpan.FromHours(1),
            EngineGroup = "tables-" + Guid.NewGuid().ToString("N"),
        };
        Produce(kafka, Topics.Watchlist, Enumerable.Range(0, 30).Select(i => ("MSISDN:+" + Number(i), (string?)Events.ListedNumber(Number(i)))));
        Produce(kafka, Topics.Registry, [("P-1", Events.Subject("P-1", "+8613800399999", "S01", "S01-G01"))]);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var first = await FraudShieldNode.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None).WithTimeout(Timeout))
        {
            Assert.Equal(30, first.Tables.Single(t => t.Topic == Topics.Watchlist).RecordsApplied);
            Assert.Equal(1, first.Tables.Single(t => t.Topic == Topics.Registry).RecordsApplied);
            output.WriteLine($"first started {clock.Elapsed}");
        }

        output.WriteLine($"first stopped {clock.Elapsed}");

        Assert.True(File.Exists(Path.Combine(data.Path, "tables", "watchlist", "snapshot-000000000001.json")), "no watchlist snapshot at stop");
        Assert.True(File.Exists(Path.Combine(data.Path, "tables", "register", "snapshot-000000000001.json")), "no register snapshot at stop");

        // While the engine is down: two new numbers and a removal.
        Produce(kafka, Topics.Watchlist, [("MSISDN:+" + Number(30), Events.ListedNumber(Number(30))), ("MSISDN:+" + Number(31), Events.ListedNumber(Number(31))), ("MSISDN:+" + Number(4), null)]);

        // A new consumer group: the mock cluster would hold the first member's partitions until its session times out.
        await using var second = await FraudShieldNode.StartAsync(options with { EngineGroup = "tables-" + Guid.NewGuid().ToString("N") }, NullLoggerFactory.Instance, CancellationToken.None).WithTimeout(Timeout);
        output.WriteLine($"second started {clock.Elapsed}");
        Assert.Equal(3, second.Tables.Single(t => t.Topic == Topics.Watchlist).RecordsApplied);
        Assert.Equal(0, second.Tables.Single(t => t.Topic == Topics.Registry).RecordsApplied);
        var stores = second.Stores!;
        Assert.Equal(31, stores.Watchlist.Count);
        Assert.True(Listed(stores, 0));
        Assert.True(Listed(stores, 29));
        Assert.True(Listed(stores, 31));
        Assert.False(Listed(stores, 4));
        using var register = stores.Register.NewSession();
        Assert.True(register.TryGetByNumber(8613800399999UL, out var subject));
        Assert.Equal("S01", stores.Strings[subject.Station]);
        Assert.Equal(0, second.TableRejects);
    }
}
