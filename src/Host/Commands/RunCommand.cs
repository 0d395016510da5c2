using System.CommandLine;
using FraudShield.AlertDispatch;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.State;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield run`: the production service against a real Kafka cluster: engine, dispatch, or both.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers (host:port,...).", Required = true };
        var role = new Option<string>("--role") { Description = "engine, dispatch or both.", DefaultValueFactory = _ => "both" };
        role.AcceptOnlyFromAmong("engine", "dispatch", "both");
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder for FASTER stores and checkpoints; with it the engine checkpoints and recovers (default: a temporary folder, no checkpoints)." };
        var checkpointInterval = new Option<double>("--checkpoint-interval") { Description = "Seconds between engine checkpoints (with --data).", DefaultValueFactory = _ => 10 };
        var listen = new Option<string>("--listen") { Description = "gRPC listen address (IP).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--grpc-port") { Description = "gRPC port.", DefaultValueFactory = _ => 50051 };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "PKCS#12 certificate for TLS; required off loopback." };
        var certPassword = new Option<string?>("--tls-cert-password") { Description = "Password of --tls-cert." };
        var kafkaProperty = new Option<string[]>("--kafka-property", "-X") { Description = "Extra librdkafka property key=value (security.protocol, sasl.*, ssl.*).", AllowMultipleArgumentsPerToken = false };

        var rules = SharedOptions.Rules();
        var redis = new Option<string?>("--redis") { Description = "Redis configuration (host:port[,options]) for the case store shared by every dispatch process; default: in-process journal in --data." };
        var secret = SharedOptions.TokenSecretFile();
        var createTopics = new Option<int?>("--create-topics") { Description = "Create missing FraudShield topics with this many partitions first (the table topics compacted)." };

        var command = new Command("run", "Run the engine and/or dispatch against a real Kafka cluster.") { bootstrap, role, data, checkpointInterval, listen, port, cert, certPassword, kafkaProperty, createTopics, rules, redis, secret };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var extra = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(kafkaProperty) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"fraudshield run: --kafka-property '{pair}' is not key=value");
                    return 2;
                }

                extra[pair[..eq]] = pair[(eq + 1)..];
            }

            if (SharedOptions.LoadRules(parse.GetValue(rules)) is not { } pack)
            {
                return 1;
            }

            var selected = parse.GetValue(role)!;
            var options = new NodeOptions
            {
                Kafka = new KafkaOptions { BootstrapServers = parse.GetValue(bootstrap)!, ExtraProperties = extra },
                RunEngine = selected is "engine" or "both",
                RunDispatch = selected is "dispatch" or "both",
                Rules = pack,
                Redis = parse.GetValue(redis),
                Stores = new FasterStoreOptions { Directory = parse.GetValue(data)?.FullName },
                CheckpointInterval = TimeSpan.FromSeconds(parse.GetValue(checkpointInterval)),
                Server = new DispatchServerOptions
                {
                    Host = parse.GetValue(listen)!,
                    Port = parse.GetValue(port),
                    CertificatePath = parse.GetValue(cert)?.FullName,
                    CertificatePassword = parse.GetValue(certPassword),
                    Auth = new DispatchAuthOptions { TokenSecret = SharedOptions.ReadSecret(parse.GetValue(secret)) },
                },
            };
            if (parse.GetValue(createTopics) is { } partitions)
            {
                var created = await TopicAdmin.EnsureTopicsAsync(
                    options.Kafka,
                    Topics.All.Select(t => (t, partitions, Topics.TableTopics.Contains(t))),
                    cancellationToken: cancellationToken);
                Console.Error.WriteLine($"fraudshield run: created topics: {(created.Count == 0 ? "none (all existed)" : string.Join(", ", created))}");
            }

            using var loggers = Logging.Create(Microsoft.Extensions.Logging.LogLevel.Information);
            await using var node = await FraudShieldNode.StartAsync(options, loggers, cancellationToken);
            Console.Error.WriteLine($"fraudshield run: role={selected} kafka={options.Kafka.BootstrapServers} grpc={node.GrpcAddress}");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C / SIGTERM: shut down cleanly (consumer leaves its group, producer flushes).
            }

            return 0;
        });
        return command;
    }
}
