using System.Text.RegularExpressions;
using FraudShield.Contracts.Engine.V1;
using FraudShield.Tests.Shared;
using Grpc.Net.Client;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// The real `fraudshield` host as a separate process (`demo --no-simulator --json`): its embedded Kafka-protocol
/// cluster, engine and dispatch, with the addresses it prints.
/// </summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly TestProcess _process;

    private HostProcess(TestProcess process, string bootstrap, Uri grpc)
    {
        _process = process;
        Bootstrap = bootstrap;
        Grpc = grpc;
    }

    public string Bootstrap { get; }

    public Uri Grpc { get; }

    public TestProcess Process => _process;

    /// <summary>The host's fraudshield.dll of the same configuration as the tests (the test project references it, so it is built).</summary>
    public static string Dll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var dll = Path.Combine(RepoPaths.Root, "src", "Host", "bin", configuration, "net10.0", "fraudshield.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: build src/Host ({configuration}) first.");
            return dll;
        }
    }

    public static async Task<HostProcess> StartDemoAsync(params string[] extraArguments)
    {
        var (process, ready) = await StartAsync(ReadyLine(), ["demo", "--no-simulator", "--json", "--grpc-port", "0", .. extraArguments]);
        return new HostProcess(process, ready.Groups["kafka"].Value, new Uri(ready.Groups["grpc"].Value));
    }

    /// <summary>
    /// Starts `fraudshield demo --json` with its simulated city producing benign traffic (the caller passes --rate,
    /// --residents and --scenario-every); the simulator starts right after the ready line.
    /// </summary>
    public static async Task<HostProcess> StartSimulatedDemoAsync(params string[] simulatorArguments)
    {
        var (process, ready) = await StartAsync(ReadyLine(), ["demo", "--json", "--grpc-port", "0", .. simulatorArguments]);
        return new HostProcess(process, ready.Groups["kafka"].Value, new Uri(ready.Groups["grpc"].Value));
    }

    /// <summary>Starts `fraudshield args...` and waits until its stderr matches <paramref name="ready"/>.</summary>
    public static async Task<(TestProcess Process, Match Ready)> StartAsync(Regex ready, params string[] arguments)
    {
        var process = TestProcess.Start("dotnet", [Dll, .. arguments]);
        Match? match = null;
        try
        {
            await Poll.UntilAsync(() => (match = ready.Match(process.StandardError)).Success, $"`fraudshield {string.Join(' ', arguments)}` to be ready", TimeSpan.FromSeconds(60));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return (process, match!);
    }

    /// <summary>Waits until the engine reports both tables applied up to their high watermarks with at least the given records.</summary>
    public async Task WaitForTablesAsync(long watchlistRecords, long registryRecords)
    {
        using var channel = GrpcChannel.ForAddress(Grpc);
        var client = new Engine.EngineClient(channel);
        StatusReply? last = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            last = await client.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            var watch = last.Tables.Single(t => t.Topic == "fs.watchlist");
            var register = last.Tables.Single(t => t.Topic == "fs.registry");
            if (watch.CaughtUp && register.CaughtUp && watch.RecordsApplied >= watchlistRecords && register.RecordsApplied >= registryRecords)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"Tables not applied in time: {last}");
    }

    public async Task<StatusReply> StatusAsync()
    {
        using var channel = GrpcChannel.ForAddress(Grpc);
        return await new Engine.EngineClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
    }

    /// <summary>Produces "key|value" lines to <paramref name="topic"/> with the real kcat client.</summary>
    public void Produce(string topic, params (string Key, string Value)[] records) => Kcat.Produce(Bootstrap, topic, records);

    /// <summary>Reads the first <paramref name="count"/> records of <paramref name="topic"/> with kcat: "headers\tvalue" lines.</summary>
    public IReadOnlyList<string> Consume(string topic, int count)
    {
        ExternalTools.RequireKcat();
        var (code, stdout, stderr) = ExternalTools.RunWithInput(
            ExternalTools.Kcat, string.Empty, "-C", "-b", Bootstrap, "-t", topic, "-o", "beginning", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "-q", "-f", "%h\t%s\n");
        Assert.True(code == 0, $"kcat -C {topic} failed ({code}): {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>The real kcat client.</summary>
    public static class Kcat
    {
        /// <summary>Produces "key|value" lines to <paramref name="topic"/> with acks=all.</summary>
        public static void Produce(string bootstrap, string topic, params (string Key, string Value)[] records)
        {
            ExternalTools.RequireKcat();
            var input = string.Concat(records.Select(r => $"{r.Key}|{r.Value}\n"));
            var (code, _, stderr) = ExternalTools.RunWithInput(ExternalTools.Kcat, input, "-P", "-b", bootstrap, "-t", topic, "-K", "|", "-X", "acks=all");
            Assert.True(code == 0, $"kcat -P {topic} failed ({code}): {stderr}");
        }
    }

    [GeneratedRegex(@"fraudshield demo: kafka=(?<kafka>\S+) grpc=(?<grpc>\S+)")]
    private static partial Regex ReadyLine();

    /// <summary>The ready line of `fraudshield cluster`: the bootstrap address in group "kafka".</summary>
    [GeneratedRegex(@"fraudshield cluster: kafka=(?<kafka>\S+)")]
    internal static partial Regex ClusterReady();

    /// <summary>The ready line of `fraudshield run`: groups "role" and "grpc" (empty without dispatch).</summary>
    [GeneratedRegex(@"fraudshield run: role=(?<role>\w+) kafka=\S+ grpc=(?<grpc>\S*)")]
    internal static partial Regex RunReady();
}
