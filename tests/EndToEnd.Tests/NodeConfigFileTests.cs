using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FraudShield.Host.Runtime;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// The `fraudshield run --config` file: every kind of mistake is refused with the file, line, key and reason (the
/// loader in-process), and the real command exits 1 with them on stderr without starting anything.
/// </summary>
public sealed class NodeConfigFileTests : IDisposable
{
    private const string Good = """
        # a node
        role: both
        kafka:
          bootstrap: kafka-1:9092,10.0.0.7:9093
          create_topics: 12
          properties:
            security.protocol: SASL_SSL
            sasl.mechanism: PLAIN
        engine:
          data: data
          checkpoint_interval: 500ms
          counterparty_checkpoint_interval: 2m
          rebuild_window: 24h
          rules: rules.yaml
          group: engines-a
          capacity:
            parties: 2000000
            watchlist: 50000000
            callers: 3000000
        dispatch:
          listen: 0.0.0.0
          port: 50051
          tls:
            cert: grpc.p12
            password: pw
          token_secret_file: token.secret
          redis: redis-1:6379,ssl=true,abortConnect=false
          closed_case_retention: 90d
        """;

    // A self-signed server certificate as PKCS#12 (password "pw"), with and without its private key; made once.
    private static readonly Lazy<(byte[] WithKey, byte[] WithoutKey)> Certificates = new(() =>
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fraudshield-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
        return (certificate.Export(X509ContentType.Pkcs12, "pw"), publicOnly.Export(X509ContentType.Pkcs12, "pw"));
    });

    private readonly TempDirectory _dir = new();

    public NodeConfigFileTests()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "rules.yaml"), "rules: []\n");
        File.WriteAllText(Path.Combine(_dir.Path, "token.secret"), new string('s', 40) + "\n");
        File.WriteAllText(Path.Combine(_dir.Path, "short.secret"), "too short\n");
        File.WriteAllText(Path.Combine(_dir.Path, "garbage.p12"), "not a certificate");
        File.WriteAllText(Path.Combine(_dir.Path, "a-file"), "x");
        File.WriteAllBytes(Path.Combine(_dir.Path, "grpc.p12"), Certificates.Value.WithKey);
        File.WriteAllBytes(Path.Combine(_dir.Path, "nokey.p12"), Certificates.Value.WithoutKey);
    }

    private string ConfigPath => Path.Combine(_dir.Path, "node.yaml");

    [Fact]
    public void TryParse_GoodFile_EverySettingReadPathsAgainstTheFilesFolder()
    {
        Assert.True(NodeConfigFile.TryParse(ConfigPath, Good, bootstrapGiven: false, out var c, out var errors), string.Join("\n", errors));

        Assert.Equal("both", c!.Role!.Value.Value);
        Assert.Equal(("kafka-1:9092,10.0.0.7:9093", 4), (c.Bootstrap!.Value.Value, c.Bootstrap.Value.Line));
        Assert.Equal(12, c.CreateTopics!.Value.Value);
        Assert.Equal("SASL_SSL", c.KafkaProperties["security.protocol"]);
        Assert.Equal(Path.Combine(_dir.Path, "data"), c.Data!.Value.Value);
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.CheckpointInterval!.Value.Value);
        Assert.Equal((TimeSpan.FromMinutes(2), 12), (c.CounterpartyCheckpointInterval!.Value.Value, c.CounterpartyCheckpointInterval.Value.Line));
        Assert.Equal((TimeSpan.FromHours(24), 13), (c.RebuildWindow!.Value.Value, c.RebuildWindow.Value.Line));
        Assert.Equal(Path.Combine(_dir.Path, "rules.yaml"), c.Rules!.Value.Value);
        Assert.Equal("engines-a", c.Group!.Value.Value);
        Assert.Equal((2_000_000, 17), (c.Capacity["parties"].Value, c.Capacity["parties"].Line));
        Assert.Equal(50_000_000, c.Capacity["watchlist"].Value);
        Assert.Equal((3_000_000, 19), (c.Capacity["callers"].Value, c.Capacity["callers"].Line));
        Assert.False(c.Capacity.ContainsKey("pairs"));
        Assert.Equal(("0.0.0.0", 50051), (c.Listen!.Value.Value, c.Port!.Value.Value));
        Assert.Equal((Path.Combine(_dir.Path, "grpc.p12"), "pw"), (c.TlsCert!.Value.Value, c.TlsPassword!.Value.Value));
        Assert.Equal(Path.Combine(_dir.Path, "token.secret"), c.TokenSecretFile!.Value.Value);
        Assert.Equal("redis-1:6379,ssl=true,abortConnect=false", c.Redis!.Value.Value);
        Assert.Equal((TimeSpan.FromDays(90), 28), (c.ClosedCaseRetention!.Value.Value, c.ClosedCaseRetention.Value.Line));
    }

    [Fact]
    public void TryParse_OnlyBootstrap_OtherSettingsUnset()
    {
        Assert.True(NodeConfigFile.TryParse(ConfigPath, "kafka:\n  bootstrap: 127.0.0.1:9092\n", bootstrapGiven: false, out var c, out var errors), string.Join("\n", errors));
        Assert.Equal("127.0.0.1:9092", c!.Bootstrap!.Value.Value);
        Assert.Null(c.Role);
        Assert.Null(c.Port);
        Assert.Empty(c.KafkaProperties);
    }

    [Fact]
    public void TryParse_NoBootstrapButGivenOnTheCommandLine_Accepted() =>
        Assert.True(NodeConfigFile.TryParse(ConfigPath, "role: engine\n", bootstrapGiven: true, out _, out _));

    // Each case: the file's text, and the one error expected as "line: key: reason" (the reason's start).
    public static TheoryData<string, string, string> Mistakes() => new()
    {
        // Syntax.
        { "unclosed list", "kafka:\n  bootstrap: a:1\nrole: [engine\n", @"^\d+: syntax: malformed YAML" },
        { "bad indentation", "kafka:\n  bootstrap: a:1\n   port: 1\n", "^3: syntax: malformed YAML" },
        { "tab indentation", "kafka:\n\tbootstrap: a:1\n", "^2: syntax: malformed YAML" },
        { "unclosed quote", "kafka:\n  bootstrap: \"a:1\n", @"^\d+: syntax: malformed YAML" },
        { "key given twice", "kafka:\n  bootstrap: a:1\nrole: engine\nrole: both\n", "^4: (role: given twice|syntax: malformed YAML)" },
        { "not a mapping", "- role\n- kafka\n", "^1: file: expected one YAML document holding a mapping" },
        { "empty file", "", "^1: file: expected one YAML document holding a mapping" },
        { "two documents", "kafka:\n  bootstrap: a:1\n---\nrole: engine\n", @"^\d+: file: expected one YAML document" },

        // Unknown keys.
        { "unknown top-level key", "kafka:\n  bootstrap: a:1\nrol: engine\n", "^3: rol: unknown key; expected one of: role, kafka, engine, dispatch" },
        { "unknown kafka key", "kafka:\n  bootstrap: a:1\n  bootstrap_servers: b:2\n", "^3: kafka.bootstrap_servers: unknown key" },
        { "unknown engine key", "kafka:\n  bootstrap: a:1\nengine:\n  checkpoint: 10s\n", "^4: engine.checkpoint: unknown key" },
        { "unknown dispatch key", "kafka:\n  bootstrap: a:1\ndispatch:\n  prot: 5\n", "^4: dispatch.prot: unknown key" },
        { "unknown tls key", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    key: x\n", "^5: dispatch.tls.key: unknown key" },
        { "bad kafka property name", "kafka:\n  bootstrap: a:1\n  properties:\n    Security-Protocol: SSL\n", "^4: kafka.properties.Security-Protocol: \"Security-Protocol\" is not a librdkafka property name" },

        // Wrong types.
        { "port not a number", "kafka:\n  bootstrap: a:1\ndispatch:\n  port: fifty\n", "^4: dispatch.port: expected a whole number, got \"fifty\"" },
        { "port a decimal", "kafka:\n  bootstrap: a:1\ndispatch:\n  port: 50051.5\n", "^4: dispatch.port: expected a whole number" },
        { "port a list", "kafka:\n  bootstrap: a:1\ndispatch:\n  port: [1, 2]\n", "^4: dispatch.port: expected a value, got a list" },
        { "section a scalar", "kafka: localhost:9092\n", "^1: kafka: expected a mapping" },
        { "section a list", "kafka:\n  - a:1\n", "^2: kafka: expected a mapping" },
        { "role a mapping", "kafka:\n  bootstrap: a:1\nrole:\n  name: engine\n", "^4: role: expected a value, got a mapping" },
        { "create_topics not a number", "kafka:\n  bootstrap: a:1\n  create_topics: many\n", "^3: kafka.create_topics: expected a whole number" },
        { "interval not a duration", "kafka:\n  bootstrap: a:1\nengine:\n  checkpoint_interval: soon\n", "^4: engine.checkpoint_interval: expected a duration" },
        { "property value a mapping", "kafka:\n  bootstrap: a:1\n  properties:\n    ssl.ca.location:\n      path: x\n", "^5: kafka.properties.ssl.ca.location: expected a value, got a mapping" },

        // Out of range.
        { "port too big", "kafka:\n  bootstrap: a:1\ndispatch:\n  port: 70000\n", "^4: dispatch.port: out of range: expected 0 \\(any free port\\) to 65535, got 70000" },
        { "port negative", "kafka:\n  bootstrap: a:1\ndispatch:\n  port: -1\n", "^4: dispatch.port: out of range" },
        { "zero partitions", "kafka:\n  bootstrap: a:1\n  create_topics: 0\n", "^3: kafka.create_topics: out of range: expected 1 to 10000" },
        { "zero interval", "kafka:\n  bootstrap: a:1\nengine:\n  checkpoint_interval: 0s\n", "^4: engine.checkpoint_interval: out of range" },
        { "negative interval", "kafka:\n  bootstrap: a:1\nengine:\n  checkpoint_interval: -5\n", "^4: engine.checkpoint_interval: out of range" },
        { "interval over an hour", "kafka:\n  bootstrap: a:1\nengine:\n  checkpoint_interval: 2h\n", "^4: engine.checkpoint_interval: out of range: expected more than 0 s and at most 3600 s, got 7200 s" },
        { "counterparty interval not a duration", "kafka:\n  bootstrap: a:1\nengine:\n  counterparty_checkpoint_interval: later\n", "^4: engine.counterparty_checkpoint_interval: expected a duration" },
        { "counterparty interval zero", "kafka:\n  bootstrap: a:1\nengine:\n  counterparty_checkpoint_interval: 0s\n", "^4: engine.counterparty_checkpoint_interval: out of range" },
        { "window not a duration", "kafka:\n  bootstrap: a:1\nengine:\n  rebuild_window: a week\n", "^4: engine.rebuild_window: expected a duration" },
        { "window under a minute", "kafka:\n  bootstrap: a:1\nengine:\n  rebuild_window: 30s\n", "^4: engine.rebuild_window: out of range: expected at least 60 s" },
        { "retention under a day", "kafka:\n  bootstrap: a:1\ndispatch:\n  closed_case_retention: 12h\n", "^4: dispatch.closed_case_retention: out of range: expected never, or at least 86400 s \\(1d\\)" },
        { "retention not a duration", "kafka:\n  bootstrap: a:1\ndispatch:\n  closed_case_retention: forever\n", "^4: dispatch.closed_case_retention: expected a duration" },
        { "window over 90 days", "kafka:\n  bootstrap: a:1\nengine:\n  rebuild_window: 100d\n", "^4: engine.rebuild_window: out of range: expected at least 60 s and at most 7776000 s \\(90d\\), got 8640000 s" },
        { "unknown role", "kafka:\n  bootstrap: a:1\nrole: primary\n", "^3: role: expected engine, dispatch or both, got \"primary\"" },
        { "capacity too small", "kafka:\n  bootstrap: a:1\nengine:\n  capacity:\n    parties: 10\n", "^5: engine.capacity.parties: out of range: expected 1000 to 1000000000 keys, got 10" },
        { "capacity not a number", "kafka:\n  bootstrap: a:1\nengine:\n  capacity:\n    watchlist: 10M\n", "^5: engine.capacity.watchlist: expected a whole number" },
        { "unknown capacity key", "kafka:\n  bootstrap: a:1\nengine:\n  capacity:\n    residents: 5000\n", "^5: engine.capacity.residents: unknown key; expected one of: parties, pairs, register, watchlist, callers, accounts" },
        { "empty group", "kafka:\n  bootstrap: a:1\nengine:\n  group: \"  \"\n", "^4: engine.group: expected a consumer group name" },

        // Missing values.
        { "no bootstrap", "role: engine\nkafka:\n  create_topics: 3\n", "^2: kafka.bootstrap: missing: required" },
        { "no kafka section", "role: engine\n", "^1: kafka.bootstrap: missing: required" },
        { "empty bootstrap", "kafka:\n  bootstrap:\n", "^2: kafka.bootstrap: expected a value, got nothing" },
        { "empty port", "kafka:\n  bootstrap: a:1\ndispatch:\n  port:\n", "^4: dispatch.port: expected a value, got nothing" },

        // Addresses and ports.
        { "bootstrap without port", "kafka:\n  bootstrap: kafka-1\n", "^2: kafka.bootstrap: \"kafka-1\" is not host:port" },
        { "bootstrap port out of range", "kafka:\n  bootstrap: kafka-1:9092,kafka-2:99999\n", "^2: kafka.bootstrap: \"kafka-2:99999\": the port must be a whole number from 1 to 65535" },
        { "bootstrap port not a number", "kafka:\n  bootstrap: kafka-1:http\n", "^2: kafka.bootstrap: \"kafka-1:http\": the port must be" },
        { "bootstrap host with a space", "kafka:\n  bootstrap: kafka 1:9092\n", "^2: kafka.bootstrap: \"kafka 1:9092\": \"kafka 1\" is not a host name or IP address" },
        { "bootstrap as a URL", "kafka:\n  bootstrap: http://kafka-1:9092\n", "^2: kafka.bootstrap: \"http://kafka-1:9092\": \"http://kafka-1\" is not a host name" },
        { "bootstrap empty entry", "kafka:\n  bootstrap: kafka-1:9092,,kafka-2:9092\n", "^2: kafka.bootstrap: \"\" is not host:port" },
        { "listen a host name", "kafka:\n  bootstrap: a:1\ndispatch:\n  listen: fraud-1.example\n", "^4: dispatch.listen: expected an IP address" },
        { "listen a bad IP", "kafka:\n  bootstrap: a:1\ndispatch:\n  listen: 300.1.1.1\n", "^4: dispatch.listen: expected an IP address" },

        // Referenced files.
        { "rule file missing", "kafka:\n  bootstrap: a:1\nengine:\n  rules: missing.yaml\n", "^4: engine.rules: cannot read the rule file \".*missing.yaml\"" },
        { "rule file a folder", "kafka:\n  bootstrap: a:1\nengine:\n  rules: .\n", "^4: engine.rules: \".*\" is a folder, not a rule file" },
        { "data is a file", "kafka:\n  bootstrap: a:1\nengine:\n  data: a-file\n", "^4: engine.data: \".*a-file\" is a file, not a folder" },
        { "token secret missing", "kafka:\n  bootstrap: a:1\ndispatch:\n  token_secret_file: nope.secret\n", "^4: dispatch.token_secret_file: cannot read the token secret file" },
        { "token secret too short", "kafka:\n  bootstrap: a:1\ndispatch:\n  token_secret_file: short.secret\n", "^4: dispatch.token_secret_file: the secret in \".*short.secret\" is 9 bytes; at least 32 are needed" },

        // TLS.
        { "certificate missing", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    cert: nope.p12\n", "^5: dispatch.tls.cert: cannot read the certificate" },
        { "certificate not PKCS#12", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    cert: garbage.p12\n", "^5: dispatch.tls.cert: \".*garbage.p12\" is not a PKCS#12 certificate that opens with the given password" },
        { "certificate wrong password", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    cert: grpc.p12\n    password: wrong\n", "^5: dispatch.tls.cert: \".*grpc.p12\" is not a PKCS#12 certificate that opens with the given password" },
        { "certificate without password", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    cert: grpc.p12\n", "^5: dispatch.tls.cert: \".*grpc.p12\" is not a PKCS#12 certificate" },
        { "certificate without key", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    cert: nokey.p12\n    password: pw\n", "^5: dispatch.tls.cert: \".*nokey.p12\" has no private key" },
        { "password without certificate", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls:\n    password: pw\n", "^5: dispatch.tls.password: given without dispatch.tls.cert" },
        { "tls a scalar", "kafka:\n  bootstrap: a:1\ndispatch:\n  tls: on\n", "^4: dispatch.tls: expected a mapping" },

        // Redis.
        { "redis unknown option", "kafka:\n  bootstrap: a:1\ndispatch:\n  redis: redis-1:6379,sslx=true\n", "^4: dispatch.redis: not a Redis configuration" },
        { "redis bad option value", "kafka:\n  bootstrap: a:1\ndispatch:\n  redis: redis-1:6379,connectTimeout=soon\n", "^4: dispatch.redis: not a Redis configuration" },
        { "redis no endpoint", "kafka:\n  bootstrap: a:1\ndispatch:\n  redis: ssl=true\n", "^4: dispatch.redis: no host:port in the Redis configuration" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void TryParse_Mistake_RefusedWithFileLineKeyAndReason(string what, string yaml, string expected)
    {
        Assert.False(NodeConfigFile.TryParse(ConfigPath, yaml, bootstrapGiven: false, out var config, out var errors), what);

        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal(ConfigPath, error.Source);
        var text = error.ToString();
        Assert.StartsWith(ConfigPath + ":", text, StringComparison.Ordinal);
        Assert.Matches(expected, text[(ConfigPath.Length + 1)..]);
    }

    [Fact]
    public void TryParse_SeveralMistakes_EveryOneReported()
    {
        const string yaml = "role: primary\nkafka:\n  bootstrap: kafka-1\ndispatch:\n  port: 70000\n  listen: nowhere\n";

        Assert.False(NodeConfigFile.TryParse(ConfigPath, yaml, bootstrapGiven: false, out _, out var errors));

        Assert.Equal(["1: role", "3: kafka.bootstrap", "5: dispatch.port", "6: dispatch.listen"], errors.Select(e => $"{e.Line}: {e.Key}"));
    }

    [Fact]
    public void TryLoad_MissingFile_RefusedNamingTheFile()
    {
        var missing = Path.Combine(_dir.Path, "absent.yaml");

        Assert.False(NodeConfigFile.TryLoad(missing, bootstrapGiven: false, out _, out var errors));

        Assert.StartsWith($"{missing}: file: cannot read the config file: ", Assert.Single(errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_Folder_RefusedNamingIt()
    {
        Assert.False(NodeConfigFile.TryLoad(_dir.Path, bootstrapGiven: false, out _, out var errors));

        Assert.StartsWith($"{_dir.Path}: file: cannot read the config file: ", Assert.Single(errors).ToString(), StringComparison.Ordinal);
    }

    // The real command: `fraudshield run --config bad.yaml` exits 1, prints file:line errors, starts nothing.
    public static TheoryData<string, string, string[]> BadRuns() => new()
    {
        { "kafka:\n  bootstrap: 127.0.0.1:1\ndispatch:\n  port: 70000\n  listen: nowhere\n", "node.yaml", ["node.yaml:4: dispatch.port: out of range", "node.yaml:5: dispatch.listen: expected an IP address"] },
        { "kafka:\n  bootstrap: 127.0.0.1:1\ndispatch:\n  listen: 0.0.0.0\n", "node.yaml", ["node.yaml:4: dispatch.listen: 0.0.0.0 is not loopback: serving gRPC off loopback needs TLS"] },
        { "kafka:\n  bootstrap: 127.0.0.1:1\n  port: 9092\n", "node.yaml", ["node.yaml:3: kafka.port: unknown key"] },
        { "kafka:\n  bootstrap: 127.0.0.1:1\nengine:\n  rules: bad-rules.yaml\n", "node.yaml", ["bad-rules.yaml:1: "] },
        { string.Empty, "absent.yaml", ["absent.yaml: file: cannot read the config file"] },
    };

    [Theory]
    [MemberData(nameof(BadRuns))]
    public async Task Run_BadConfig_ExitsOneWithFileLineErrorsAndStartsNothing(string yaml, string file, string[] expected)
    {
        File.WriteAllText(Path.Combine(_dir.Path, "bad-rules.yaml"), "rules: 7\n");
        var path = Path.Combine(_dir.Path, file);
        if (file == "node.yaml")
        {
            File.WriteAllText(path, yaml);
        }

        await using var run = TestProcess.Start("dotnet", [HostProcess.Dll, "run", "--config", path, "--role", "both"]);
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var stderr = run.StandardError;
        Assert.True(code == 1, $"exit {code}: {stderr}");
        foreach (var line in expected)
        {
            Assert.Contains(Path.Combine(_dir.Path, line), stderr, StringComparison.Ordinal);
        }

        Assert.Contains("refused; nothing started", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("fraudshield run: role=", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CommandLineOptionsWrong_RefusedNamingTheOption()
    {
        await using var run = TestProcess.Start("dotnet", [HostProcess.Dll, "run", "--grpc-port", "70000", "--listen", "0.0.0.0", "--redis", "ssl=true", "--rebuild-window", "10s", "--closed-case-retention", "2h"]);
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var stderr = run.StandardError;
        Assert.True(code == 1, $"exit {code}: {stderr}");
        Assert.Contains("fraudshield run: --bootstrap: missing: required", stderr, StringComparison.Ordinal);
        Assert.Contains("fraudshield run: --grpc-port: out of range", stderr, StringComparison.Ordinal);
        Assert.Contains("fraudshield run: --listen: 0.0.0.0 is not loopback", stderr, StringComparison.Ordinal);
        Assert.Contains("fraudshield run: --redis: no host:port", stderr, StringComparison.Ordinal);
        Assert.Contains("fraudshield run: --rebuild-window: out of range: expected at least 60 s", stderr, StringComparison.Ordinal);
        Assert.Contains("fraudshield run: --closed-case-retention: out of range: expected never, or at least 86400 s (1d)", stderr, StringComparison.Ordinal);
        Assert.Contains("fraudshield run: refused; nothing started", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GoodConfigWithOverride_StartsWithTheFilesSettings()
    {
        var (cluster, clusterReady) = await HostProcess.StartAsync(HostProcess.ClusterReady(), "cluster", "--partitions", "1");
        await using var clusterProcess = cluster;
        File.WriteAllText(ConfigPath, $"role: dispatch\nkafka:\n  bootstrap: {clusterReady.Groups["kafka"].Value}\ndispatch:\n  listen: 127.0.0.1\n  port: 1\n");

        // --grpc-port on the command line overrides the file's port (1 would need root).
        var (run, ready) = await HostProcess.StartAsync(HostProcess.RunReady(), "run", "--config", ConfigPath, "--grpc-port", "0");
        await using var runProcess = run;

        Assert.Equal("dispatch", ready.Groups["role"].Value);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/?$", ready.Groups["grpc"].Value);
        Assert.DoesNotMatch(@":1/?$", ready.Groups["grpc"].Value);
    }

    public void Dispose() => _dir.Dispose();


}
