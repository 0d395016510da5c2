using System.CommandLine;
using FraudShield.Contracts;
using FraudShield.Ingest.Kafka;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield cluster`: the embedded Kafka-protocol cluster alone, for running engine and dispatch as separate processes.</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Brokers.", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per FraudShield topic.", DefaultValueFactory = _ => 4 };
        var command = new Command("cluster", "Run an in-memory Kafka-protocol cluster (librdkafka's mock cluster) with the FraudShield topics until stopped; prints its bootstrap address.") { brokers, partitions };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cluster = EmbeddedKafkaCluster.Start(parse.GetValue(brokers));
            cluster.CreateTopics(Topics.All, parse.GetValue(partitions));
            Console.Error.WriteLine($"fraudshield cluster: kafka={cluster.BootstrapServers}");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            return 0;
        });
        return command;
    }
}
