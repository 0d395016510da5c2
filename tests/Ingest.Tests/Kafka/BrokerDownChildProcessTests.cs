using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests.Kafka;

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
