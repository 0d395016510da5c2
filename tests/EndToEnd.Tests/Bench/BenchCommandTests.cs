using System.Text.Json;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>`fraudshield bench` as a process: a short run's JSON figures, and a budget that must fail the run.</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task Bench_ShortFixedRateJson_PrintsAllFiguresWithPlausibleValues()
    {
        using var reports = new TempDirectory("fraudshield-bench-test");
        await using var bench = TestProcess.Start("dotnet", [HostProcess.Dll, "bench", "--rate", "2000", "--duration", "5", "--json", "--report-dir", reports.Path]);

        var line = await bench.ReadLineAsync(TimeSpan.FromSeconds(180));
        Assert.Equal(0, await bench.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var json = JsonDocument.Parse(line).RootElement;

        foreach (var field in new[] { "rate", "events", "p50_ms", "p99_ms", "p999_ms", "max_ms", "cpu_s", "gc_gen0", "gc_gen1", "gc_gen2", "gc_pause_ms", "alloc_bytes_per_event", "bare_consume_ratio", "throughput", "alerts", "lag_max" })
        {
            Assert.True(json.TryGetProperty(field, out _), $"missing {field}: {line}");
        }

        Assert.Equal(2000, json.GetProperty("rate").GetDouble());
        Assert.InRange(json.GetProperty("events").GetInt64(), 2000 * 5 * 0.8, 2000 * 5 * 1.2);
        Assert.InRange(json.GetProperty("throughput").GetDouble(), 1500, 2500);
        Assert.True(json.GetProperty("alerts").GetInt64() >= 10, line);

        // Every alert version counted by its rules (the warm-up's too), each key a rule set such as "R06+R18".
        var byRules = json.GetProperty("alerts_by_rules").EnumerateObject().ToList();
        Assert.NotEmpty(byRules);
        Assert.All(byRules, r => Assert.Matches("^R[0-9]{2}(\\+R[0-9]{2})*$", r.Name));
        Assert.True(byRules.Sum(r => r.Value.GetInt64()) >= json.GetProperty("alerts").GetInt64(), line);
        var p50 = json.GetProperty("p50_ms").GetDouble();
        var p99 = json.GetProperty("p99_ms").GetDouble();
        var p999 = json.GetProperty("p999_ms").GetDouble();
        var max = json.GetProperty("max_ms").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= p999 && p999 <= max && max < 30_000, line);
        Assert.InRange(json.GetProperty("cpu_s").GetDouble(), 0.01, 5 * Environment.ProcessorCount);

        // The load ran in a process of its own, which used CPU of its own.
        Assert.InRange(json.GetProperty("load_process_cpu_s").GetDouble(), 0.01, 5 * Environment.ProcessorCount);

        // The embedded cluster's one thread served every request of the run (within the process's CPU).
        Assert.InRange(json.GetProperty("broker_thread_cpu_s").GetDouble(), 0.01, json.GetProperty("cpu_s").GetDouble());
        Assert.True(json.GetProperty("gc_gen0").GetInt32() >= 0 && json.GetProperty("gc_gen2").GetInt32() >= 0, line);
        Assert.True(json.GetProperty("alloc_bytes_per_event").GetDouble() >= 0, line);
        Assert.InRange(json.GetProperty("bare_consume_ratio").GetDouble(), 0.01, 10);

        // The ratio is the median of three alternating rounds' ratios.
        var rounds = json.GetProperty("baseline_round_ratios").EnumerateArray().Select(x => x.GetDouble()).Order().ToList();
        Assert.Equal(3, rounds.Count);
        Assert.Equal(rounds[1], json.GetProperty("bare_consume_ratio").GetDouble(), 3);
        Assert.Equal(0, json.GetProperty("dead_lettered").GetInt64());

        // The steps (the 2 s warm-up and the 5 s measured) follow one another without a gap: every moment of the load
        // is in one step's counts, collections included.
        var steps = json.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(2, steps.Count);
        Assert.InRange(steps.Sum(x => x.GetProperty("seconds").GetDouble()), 6.9, 7.5);
        Assert.Equal(json.GetProperty("events").GetInt64(), steps[1].GetProperty("events").GetInt64());

        // The heap was settled near the warm-up's end (2 s by default): the runtime's own events show its induced Gen2s then.
        var settle = json.GetProperty("heap_settle");
        Assert.InRange(settle.GetProperty("at_s").GetDouble(), 0.5, 2.0);
        Assert.True(settle.GetProperty("pause_ms").GetDouble() > 0, line);
        Assert.True(settle.GetProperty("gen2_after_bytes").GetInt64() > 0, line);
        Assert.Contains(json.GetProperty("gen2_collections").EnumerateArray(), x => x.GetProperty("reason").GetString()!.StartsWith("Induced", StringComparison.Ordinal) && Math.Abs(x.GetProperty("at_s").GetDouble() - settle.GetProperty("at_s").GetDouble()) < 1);

        // The console signed for what it received (the dispatch's Ack RPC answered OK each time), so nothing escalated.
        Assert.True(json.GetProperty("alerts_signed").GetInt64() >= 10, line);
        Assert.Equal(0, json.GetProperty("sign_failures").GetInt64());

        var report = Assert.Single(Directory.GetFiles(reports.Path, "*-rate-2000.md"));
        var text = await File.ReadAllTextAsync(report);
        Assert.Contains("p99 <= 20 ms", text, StringComparison.Ordinal);
        Assert.Contains("embedded cluster thread CPU", text, StringComparison.Ordinal);
        Assert.Matches("\\| `fraudshield-eng` \\| 1 \\| [0-9]+\\.[0-9]{2} \\|", text);
        Assert.Matches("\\| `rdk:mock` \\| 1 \\| [0-9]+\\.[0-9]{2} \\|", text);
        Assert.Matches("MET|MISSED", text);
        Assert.Contains("- Heap settled ", text, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(reports.Path, "*-rate-2000.svg"));
    }

    [Fact]
    public async Task Bench_UnreachableP99Budget_ExitsNonZeroNamingTheBudget()
    {
        await using var bench = TestProcess.Start("dotnet", [HostProcess.Dll, "bench", "--rate", "1000", "--duration", "3", "--warmup", "0", "--no-baseline", "--no-report", "--load-in-process", "--budget", "p99=0.001ms"]);

        var code = await bench.WaitForExitAsync(TimeSpan.FromSeconds(180));

        Assert.NotEqual(0, code);
        Assert.Contains("budget missed: p99", bench.StandardError, StringComparison.Ordinal);
        Assert.Contains("budget 0.001 ms", bench.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_TrimConsumedNoSettle_RunsWithTheEmbeddedClusterTrimmedEveryAlertReceivedAndNothingInduced()
    {
        await using var bench = TestProcess.Start("dotnet", [HostProcess.Dll, "bench", "--rate", "2000", "--duration", "5", "--warmup", "1", "--trim-consumed", "--no-baseline", "--no-report", "--no-settle", "--json"]);

        var line = await bench.ReadLineAsync(TimeSpan.FromSeconds(180));
        Assert.Equal(0, await bench.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var json = JsonDocument.Parse(line).RootElement;

        Assert.True(json.GetProperty("trim_consumed").GetBoolean(), line);
        Assert.True(json.GetProperty("log_trims").GetInt64() > 0, line);
        Assert.InRange(json.GetProperty("throughput").GetDouble(), 1500, 2500);
        Assert.True(json.GetProperty("alerts").GetInt64() >= 10, line);
        Assert.Equal(0, json.GetProperty("dead_lettered").GetInt64());

        // --no-settle: no induced collection anywhere in the run.
        Assert.Equal(JsonValueKind.Null, json.GetProperty("heap_settle").ValueKind);
        Assert.DoesNotContain(json.GetProperty("gen2_collections").EnumerateArray(), x => x.GetProperty("reason").GetString()!.StartsWith("Induced", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--trim-consumed")]
    [InlineData("--trim-consumed", "--no-baseline", "--bootstrap", "127.0.0.1:1")]
    public async Task Bench_TrimConsumedWithTheBaselineOrARealCluster_RefusedSayingWhy(params string[] flags)
    {
        await using var bench = TestProcess.Start("dotnet", [HostProcess.Dll, "bench", "--rate", "1000", "--duration", "3", "--no-report", .. flags]);

        Assert.Equal(1, await bench.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--trim-consumed works on the embedded cluster only", bench.StandardError, StringComparison.Ordinal);
        Assert.Contains("needs --no-baseline", bench.StandardError, StringComparison.Ordinal);
    }
}
