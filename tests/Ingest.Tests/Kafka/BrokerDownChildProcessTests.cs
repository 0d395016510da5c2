using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary>
/// <see cref="ChildProcess"/> against the embedded cluster's inheritable sockets. Runs alone, so no other test's child
/// process can take the connection between this test's sealing and its own child's start.
/// </summary>
[Collection(RunAloneWithBrokerFaults.Name)]
public sealed class BrokerDownChildProcessTests
{
    [Fact]
    public async Task SetBrokerDown_AfterAChildProcessStarted_TheClientsSeeTheirConnectionClosed()
    {
        using var cluster = EmbeddedKafkaCluster.Start(1);
        cluster.CreateTopic("t", 1);
        var lines = new ConcurrentQueue<string>();
        var options = KafkaOptions.For(cluster.BootstrapServers) with { LogHandler = message => lines.Enqueue(message.Facility + " " + message.Message) };
        using var producer = new ProducerBuilder<byte[], byte[]>(options.CreateProducerConfig()).WithLogs(options).Build();
        await producer.ProduceAsync("t", new Message<byte[], byte[]> { Key = [1], Value = [2] }).WaitAsync(TimeSpan.FromSeconds(10));

        using var child = ChildProcess.Start(new ProcessStartInfo("sleep", "20") { UseShellExecute = false });
        try
        {
            cluster.SetBrokerDown(1);
            await Poll.UntilAsync(() => lines.Any(l => l.Contains("Disconnected", StringComparison.Ordinal)), "the producer to see the broker close its connection", TimeSpan.FromSeconds(8));
        }
        finally
        {
            child.Kill();
        }
    }
}

/// <summary>Tests that take a broker down and time what its clients see: run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAloneWithBrokerFaults
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Broker faults, run alone";
}
