using System.Globalization;
using Confluent.Kafka;
using FraudShield.AlertDispatch;
using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// A node running the engine and the dispatch hands each alert from the engine to the dispatch as soon as fs.alerts
/// acknowledged it (<see cref="AlertFeed.OfferAcknowledged"/>), and the same record read back from the topic later is a
/// duplicate: every alert version reaches a subscriber once, and its case holds the newest version.
/// </summary>
public sealed class LocalAlertHandOffTests
{
    private const string Fraudster = "442079460002";
    private const string Mule = "6222880000000043";
    private const int Victims = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EngineAndDispatchInOneNode_AlertsHandedOverOnAcknowledgement_ReadBackIsADuplicate()
    {
        using var cluster = EmbeddedKafkaCluster.Start(1);
        cluster.CreateTopics(Topics.All, 2);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        using var producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();
        var victims = Enumerable.Range(0, Victims).Select(i => (8613800300000L + i).ToString(CultureInfo.InvariantCulture)).ToArray();
        await Events.ProduceScenarioTablesAsync(producer, victims, _ => "S01", Fraudster, Mule);
        var options = new NodeOptions
        {
            Kafka = kafka,
            Rules = SharedOptions.LoadRules(null) ?? throw new InvalidOperationException("The default rules did not load."),
            Server = new DispatchServerOptions { Port = 0 },
        };
        await using var node = await FraudShieldNode.StartAsync(options, NullLoggerFactory.Instance, CancellationToken.None).WithTimeout(Timeout);
        await using var recorder = new HubRecorder(node.Hub!);
        var received = recorder.Received;

        // Each victim: an overseas call from a listed number (version 1), then a transfer to a listed account (version 2).
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var produced = new List<Task>();
        for (var i = 0; i < Victims; i++)
        {
            produced.Add(Events.ProduceAsync(producer, Topics.Calls, victims[i], Events.OverseasCall($"cdr-h{i}", "+" + Fraudster, "+" + victims[i], now + (i * 1000))));
            produced.Add(Events.ProduceAsync(producer, Topics.Txns, victims[i], Events.Transfer($"txn-h{i}", victims[i], Mule, now + (i * 1000) + 60_000)));
        }

        await Task.WhenAll(produced).WithTimeout(Timeout);
        const int Versions = Victims * 2;
        await Poll.UntilAsync(() => received.Count >= Versions, "every victim's two alert versions", Timeout);

        // Every alert the engine emitted was handed over, and every one of their records was then read back.
        var feed = node.Feed!;
        Assert.Equal(Versions, node.Engine!.AlertSink.Emitted);
        await Poll.UntilAsync(() => feed.Offered == Versions, "the engine's alerts handed to the feed", Timeout);
        await Poll.UntilAsync(() => feed.Received >= Versions, "the alert records read back from fs.alerts", Timeout);
        // Each read-back record dropped: undecoded when the hand-off had noted its version, else by the hub as a duplicate.
        await Poll.UntilAsync(() => feed.ReadBackSkipped + node.Hub!.DuplicateCount >= Versions, "the read-back records dropped as duplicates", Timeout);

        var deliveries = await recorder.StopAsync();
        Assert.True(deliveries.Count == Versions, $"{deliveries.Count} deliveries: {string.Join(", ", deliveries)}");
        Assert.Equal(Versions, deliveries.Distinct().Count());
        Assert.Equal(Victims, deliveries.Select(d => d.Id).Distinct().Count());
        // One case per alert, opened once, holding the newest version.
        var cases = await node.Cases!.QueryAsync(new CaseQuery());
        Assert.Equal(deliveries.Select(d => d.Id).Distinct().Order(), cases.Select(c => c.AlertId).Order());
        Assert.All(cases, c =>
        {
            Assert.Equal(2, c.Alert.Version);
            Assert.Single(c.History, e => e.Kind == CaseEventKind.Opened);
        });
    }

}
