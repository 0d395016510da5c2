using System.CommandLine;
using System.Net;
using FraudShield.AlertDispatch;
using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.State;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield run`: the production service against a real Kafka cluster: engine, dispatch, or both.</summary>
internal static class RunCommand
{
    private const string Command = "fraudshield run";

    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "Node config file (YAML, docs/run-config.md); an option given on the command line overrides the file." };
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka bootstrap servers (host:port,...); required here or in --config." };
        var role = new Option<string>("--role") { Description = "engine, dispatch or both.", DefaultValueFactory = _ => "both" };
        role.AcceptOnlyFromAmong("engine", "dispatch", "both");
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder for FASTER stores and checkpoints; with it the engine checkpoints and recovers (default: a temporary folder, no checkpoints)." };
        var checkpointInterval = new Option<double>("--checkpoint-interval") { Description = "Seconds between engine checkpoints (with --data).", DefaultValueFactory = _ => 10 };
        var rebuildWindow = new Option<string?>("--rebuild-window") { Description = "How far back a partition new to this engine is replayed to rebuild its state, at most (24h, 7d, ...; default: all the cluster retains)." };
        var listen = new Option<string>("--listen") { Description = "gRPC listen address (IP).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--grpc-port") { Description = "gRPC port.", DefaultValueFactory = _ => 50051 };
        var cert = new Option<FileInfo?>("--tls-cert") { Description = "PKCS#12 certificate for TLS; required off loopback." };
        var certPassword = new Option<string?>("--tls-cert-password") { Description = "Password of --tls-cert." };
        var kafkaProperty = new Option<string[]>("--kafka-property", "-X") { Description = "Extra librdkafka property key=value (security.protocol, sasl.*, ssl.*).", AllowMultipleArgumentsPerToken = false };

        var rules = SharedOptions.Rules();
        var redis = new Option<string?>("--redis") { Description = "Redis configuration (host:port[,options]) for the case store shared by every dispatch process; default: in-process journal in --data." };
        var secret = SharedOptions.TokenSecretFile();
        var createTopics = new Option<int?>("--create-topics") { Description = "Create missing FraudShield topics with this many partitions first (the table topics compacted)." };

        var closedCaseRetention = new Option<string?>("--closed-case-retention") { Description = "How long a closed case stays in the dispatch's case store after its outcome (30d by default; at least 1d; never)." };
        var command = new Command("run", "Run the engine and/or dispatch against a real Kafka cluster.") { config, bootstrap, role, data, checkpointInterval, rebuildWindow, closedCaseRetention, listen, port, cert, certPassword, kafkaProperty, createTopics, rules, redis, secret };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Every setting: the command-line option when given, else the config file's, else the option's default.
            NodeConfig? file = null;
            var errors = new List<ConfigError>();
            if (parse.GetValue(config) is { } configFile)
            {
                if (!NodeConfigFile.TryLoad(configFile.FullName, parse.GetResult(bootstrap) is { Implicit: false }, out file, out var fileErrors))
                {
                    return Refused(fileErrors, configFile.FullName);
                }
            }

            bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
            string? Cli(Option option, string? value, Func<string, string?> check)
            {
                if (value is not null && check(value) is { } reason)
                {
                    errors.Add(new ConfigError(Command, 0, option.Name, reason));
                }

                return value;
            }

            var selected = Given(role) || file?.Role is null ? parse.GetValue(role)! : file.Role.Value.Value;
            var kafkaServers = Given(bootstrap) ? Cli(bootstrap, parse.GetValue(bootstrap), NodeSettingChecks.Bootstrap) : file?.Bootstrap?.Value;
            if (kafkaServers is null)
            {
                // With a config file its loader has already refused a missing kafka.bootstrap.
                errors.Add(new ConfigError(Command, 0, bootstrap.Name, "missing: required (host:port of the Kafka brokers), here or as kafka.bootstrap in --config"));
            }

            var extra = new Dictionary<string, string>(file?.KafkaProperties ?? [], StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(kafkaProperty) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || NodeSettingChecks.KafkaProperty(pair[..eq]) is not null)
                {
                    errors.Add(new ConfigError(Command, 0, "--kafka-property", $"\"{pair}\" is not key=value with a librdkafka property name"));
                    continue;
                }

                extra[pair[..eq]] = pair[(eq + 1)..];
            }

            var dataPath = Given(data) ? Cli(data, parse.GetValue(data)?.FullName, NodeSettingChecks.DataFolder) : file?.Data?.Value;
            var interval = parse.GetValue(checkpointInterval);
            if (Given(checkpointInterval) && NodeSettingChecks.Interval(interval) is { } intervalError)
            {
                errors.Add(new ConfigError(Command, 0, checkpointInterval.Name, intervalError));
            }

            var checkpointEvery = Given(checkpointInterval) || file?.CheckpointInterval is null ? TimeSpan.FromSeconds(Math.Max(interval, 0.001)) : file.CheckpointInterval.Value.Value;
            var window = file?.RebuildWindow?.Value;
            if (Given(rebuildWindow))
            {
                if (NodeSettingChecks.TryParseDuration(parse.GetValue(rebuildWindow) ?? string.Empty, NodeSettingChecks.RebuildWindow, out var given, out var windowError))
                {
                    window = given;
                }
                else
                {
                    errors.Add(new ConfigError(Command, 0, rebuildWindow.Name, windowError));
                }
            }

            var retention = file?.ClosedCaseRetention?.Value;
            if (Given(closedCaseRetention))
            {
                if (NodeSettingChecks.TryParseClosedCaseRetention(parse.GetValue(closedCaseRetention) ?? string.Empty, out var given, out var retentionError))
                {
                    retention = given;
                }
                else
                {
                    errors.Add(new ConfigError(Command, 0, closedCaseRetention.Name, retentionError));
                }
            }

            var listenAddress = Given(listen) || file?.Listen is null ? Cli(listen, parse.GetValue(listen), NodeSettingChecks.Listen)! : file.Listen.Value.Value;
            var grpcPort = Given(port) || file?.Port is null ? parse.GetValue(port) : file.Port.Value.Value;
            if (Given(port) && NodeSettingChecks.Port(grpcPort) is { } portError)
            {
                errors.Add(new ConfigError(Command, 0, port.Name, portError));
            }

            var certPath = Given(cert) ? parse.GetValue(cert)?.FullName : file?.TlsCert?.Value;
            var certPass = Given(certPassword) ? parse.GetValue(certPassword) : file?.TlsPassword?.Value;
            if ((Given(cert) || Given(certPassword)) && certPath is not null)
            {
                Cli(Given(cert) ? cert : certPassword, certPath, p => NodeSettingChecks.Certificate(p, certPass));
            }
            else if (certPath is null && Given(certPassword))
            {
                errors.Add(new ConfigError(Command, 0, certPassword.Name, "given without --tls-cert"));
            }

            var redisConfig = Given(redis) ? Cli(redis, parse.GetValue(redis), NodeSettingChecks.Redis) : file?.Redis?.Value;
            var secretPath = Given(secret) ? Cli(secret, parse.GetValue(secret)?.FullName, NodeSettingChecks.TokenSecretFile) : file?.TokenSecretFile?.Value;
            var rulesPath = Given(rules) ? Cli(rules, parse.GetValue(rules)?.FullName, p => NodeSettingChecks.ReadableFile(p, "rule file")) : file?.Rules?.Value;
            var partitionCount = Given(createTopics) ? parse.GetValue(createTopics) : file?.CreateTopics?.Value;
            if (Given(createTopics) && partitionCount is { } n && NodeSettingChecks.Partitions(n) is { } partitionError)
            {
                errors.Add(new ConfigError(Command, 0, createTopics.Name, partitionError));
            }

            // Plaintext gRPC only on loopback: refused here, before anything starts, rather than by the server later.
            var runDispatch = selected is "dispatch" or "both";
            if (runDispatch && certPath is null && NodeSettingChecks.Listen(listenAddress) is null
                && !string.Equals(listenAddress, "localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.IsLoopback(IPAddress.Parse(listenAddress)))
            {
                errors.Add(Given(listen) || file?.Listen is null
                    ? new ConfigError(Command, 0, listen.Name, $"{listenAddress} is not loopback: serving gRPC off loopback needs TLS (--tls-cert)")
                    : new ConfigError(file.Path, file.Listen.Value.Line, "dispatch.listen", $"{listenAddress} is not loopback: serving gRPC off loopback needs TLS (dispatch.tls.cert)"));
            }

            if (errors.Count > 0)
            {
                return Refused(errors, file?.Path ?? Command);
            }

            if (SharedOptions.LoadRules(rulesPath is null ? null : new FileInfo(rulesPath)) is not { } pack)
            {
                return 1;
            }

            var options = new NodeOptions
            {
                Kafka = new KafkaOptions { BootstrapServers = kafkaServers!, ExtraProperties = extra },
                RunEngine = selected is "engine" or "both",
                RunDispatch = runDispatch,
                Rules = pack,
                Redis = redisConfig,
                Stores = new FasterStoreOptions { Directory = dataPath },
                Capacity = CapacityOf(file),
                CheckpointInterval = checkpointEvery,
                CounterpartyCheckpointInterval = file?.CounterpartyCheckpointInterval?.Value ?? NodeOptions.DefaultCounterpartyCheckpointInterval,
                RebuildWindow = window,
                Cases = retention is { } keep ? new CaseOptions { ClosedCaseRetention = keep } : new CaseOptions(),
                EngineGroup = file?.Group?.Value ?? "fraudshield-engine",
                Server = new DispatchServerOptions
                {
                    Host = listenAddress,
                    Port = grpcPort,
                    CertificatePath = certPath,
                    CertificatePassword = certPass,
                    Auth = new DispatchAuthOptions { TokenSecret = SharedOptions.ReadSecret(secretPath is null ? null : new FileInfo(secretPath)) },
                },
            };
            if (partitionCount is { } partitions)
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

    // engine.capacity of the file over the province defaults of StoreCapacity.
    private static StoreCapacity CapacityOf(NodeConfig? file)
    {
        var defaults = new StoreCapacity();
        long Keys(string key, long fallback) => file is not null && file.Capacity.TryGetValue(key, out var given) ? given.Value : fallback;
        return new StoreCapacity
        {
            Parties = Keys("parties", defaults.Parties),
            Pairs = Keys("pairs", defaults.Pairs),
            RegisterKeys = Keys("register", defaults.RegisterKeys),
            WatchlistEntries = Keys("watchlist", defaults.WatchlistEntries),
            Callers = Keys("callers", defaults.Callers),
            Accounts = Keys("accounts", defaults.Accounts),
        };
    }

    // Prints every error (file:line: key: reason) and the refusal; nothing has been started.
    private static int Refused(IEnumerable<ConfigError> errors, string source)
    {
        foreach (var error in errors)
        {
            Console.Error.WriteLine(error);
        }

        Console.Error.WriteLine($"{source}: refused; nothing started");
        return 1;
    }
}
