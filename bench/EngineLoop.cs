using System.Globalization;
using System.Runtime.InteropServices;

namespace FraudShield.Benchmarks;

/// <summary>
/// The <c>engine-loop</c> mode: <see cref="EngineBenchmarks.ReaderScan"/>, <see cref="EngineBenchmarks.Benign"/> and,
/// when asked, <see cref="EngineBenchmarks.Mixed"/> in alternating rounds of 8 passes each for a given time, each round
/// timed by the thread's CPU clock as well as the wall clock. On a shared machine the CPU clock leaves out the time
/// other processes hold the core, so the ratio of two neighbouring rounds is a steadier figure than wall time; the
/// report gives the median of every kind, with the bytes allocated per event and the GCs (count by generation, pause
/// time) the rounds of each kind saw. Also the process to attach a profiler to (<c>perf record</c> with the perf map):
/// with <c>mixed-only</c> every round is Mixed.
/// </summary>
/// <remarks>
/// <c>engine-loop [seconds] [kinds]</c>: kinds is a comma-separated list of <c>scan</c>, <c>benign</c>, <c>mixed</c>
/// (default <c>scan,benign</c>), or <c>mixed-only</c>; <c>settle</c> in the list runs full GCs after setup first.
/// </remarks>
internal static partial class EngineLoop
{
    private const int PassesPerRound = 8;

    public static int Run(double seconds, string kinds = "scan,benign")
    {
        using var engine = new EngineBenchmarks();
        engine.Setup();
        var split = new long[3];
        var passes = new List<(string Name, Func<long> Pass)>();
        foreach (var kind in (kinds == "mixed-only" ? "mixed" : kinds).Split(','))
        {
            if (kind == "settle")
            {
                // A full blocking, compacting GC between setup and the first round: the setup's garbage is collected
                // before anything is timed instead of by the first rounds' allocations.
                var settle = System.Diagnostics.Stopwatch.StartNew();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// settle: full GCs in {settle.Elapsed.TotalMilliseconds:F0} ms, heap {GC.GetGCMemoryInfo().HeapSizeBytes >> 20} MiB"));
                continue;
            }

            passes.Add(kind switch
            {
                "scan" => ("ReaderScan", () => engine.ReaderScan()),
                "scan-cold" => ("ReaderScanCold", () => engine.ReaderScanCold()),
                "benign" => ("Benign", engine.Benign),
                "mixed" => ("Mixed", engine.Mixed),
                "cold" => ("BenignCold", engine.BenignCold),
                "cold-noprefetch" => ("BenignColdWithoutPrefetch", engine.BenignColdWithoutPrefetch),
                "split" => ("MixedSplit", () => engine.MixedSplit(split)),
                _ => throw new ArgumentException($"unknown engine-loop kind '{kind}' (scan, scan-cold, benign, mixed, cold, cold-noprefetch, mixed-only, split, settle)"),
            });
        }

        var rounds = passes.Select(_ => new List<RoundResult>()).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (var k = 0; k < passes.Count; k++)
            {
                rounds[k].Add(Round(passes[k].Pass) with { AtSeconds = clock.Elapsed.TotalSeconds });
            }
        }

        var line = new System.Text.StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"// engine-loop: {rounds[0].Count} rounds of {PassesPerRound} passes each; medians per event:");
        for (var k = 0; k < passes.Count; k++)
        {
            var r = rounds[k];
            var events = r.Count * (double)PassesPerRound * EngineBenchmarks.Events;
            line.Append(CultureInfo.InvariantCulture, $"\n//   {passes[k].Name}: {Median(r, x => x.Cpu):F1} ns CPU ({Median(r, x => x.Wall):F1} wall; means {r.Average(x => x.Cpu):F1} CPU, {r.Average(x => x.Wall):F1} wall; CPU p10-p90 {Percentile(r.Select(x => x.Cpu), 0.1):F1}-{Percentile(r.Select(x => x.Cpu), 0.9):F1}), ");
            line.Append(CultureInfo.InvariantCulture, $"{r.Sum(x => x.Bytes) / events:F1} B/event, GCs gen0/1/2 {r.Sum(x => x.Gen0)}/{r.Sum(x => x.Gen1)}/{r.Sum(x => x.Gen2)} ");
            line.Append(CultureInfo.InvariantCulture, $"in {r.Count} rounds, pause {r.Sum(x => x.PauseMs):F1} ms ({r.Sum(x => x.PauseMs) * 1e6 / events:F1} ns/event)");
        }

        if (passes.Count > 1)
        {
            for (var k = 1; k < passes.Count; k++)
            {
                var ratios = rounds[k].Zip(rounds[0], (a, b) => a.Cpu / b.Cpu).ToList();
                line.Append(CultureInfo.InvariantCulture, $"\n//   {passes[k].Name}/{passes[0].Name} {Percentile(ratios, 0.5):F2} (rounds' ratios p10-p90 {Percentile(ratios, 0.1):F2}-{Percentile(ratios, 0.9):F2})");
            }
        }

        Console.WriteLine(line.ToString());
        var splitRounds = passes.FindIndex(p => p.Name == "MixedSplit") is var s and >= 0 ? rounds[s].Count * PassesPerRound : 0;
        if (splitRounds > 0)
        {
            // 64 scenario calls and 64 scenario transfers per pass (a pair in every 64 events); the other 3,968 events are benign.
            var ns = 1e9 / System.Diagnostics.Stopwatch.Frequency;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"// split (wall, means): scenario call {split[0] * ns / (splitRounds * 64.0):F0} ns, scenario transfer {split[1] * ns / (splitRounds * 64.0):F0} ns, benign {split[2] * ns / (splitRounds * (EngineBenchmarks.Events - 128.0)):F1} ns per event"));
        }

        // The same by window since the loop began (1 s for the first 10 s, then 10 s): what the first seconds after setup (all a short
        // BenchmarkDotNet run sees) cost against the steady state.
        Console.WriteLine("// by window: kind, window start s, rounds, CPU ns/event median and mean, wall mean, GCs gen0/1/2, pause ms");
        for (var k = 0; k < passes.Count; k++)
        {
            foreach (var window in rounds[k].GroupBy(x => x.AtSeconds < 10 ? (int)x.AtSeconds : (int)(x.AtSeconds / 10) * 10))
            {
                var r = window.ToList();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"//   {passes[k].Name,-10} {window.Key,4} s {r.Count,4} {Median(r, x => x.Cpu),8:F1} {r.Average(x => x.Cpu),8:F1} {r.Average(x => x.Wall),8:F1} {r.Sum(x => x.Gen0),4}/{r.Sum(x => x.Gen1)}/{r.Sum(x => x.Gen2)} {r.Sum(x => x.PauseMs),7:F1}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// GC: heap {GC.GetGCMemoryInfo().HeapSizeBytes >> 20} MiB, total pause {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms, gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} since start"));
        return 0;
    }

    // CPU and wall ns per event of one round, the bytes this thread allocated and the GCs it saw.
    private static RoundResult Round(Func<long> pass)
    {
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var wall = System.Diagnostics.Stopwatch.GetTimestamp();
        var cpu = ThreadCpuNs();
        for (var i = 0; i < PassesPerRound; i++)
        {
            pass();
        }

        var cpuNs = ThreadCpuNs() - cpu;
        var wallNs = System.Diagnostics.Stopwatch.GetElapsedTime(wall).TotalNanoseconds;
        var events = (double)PassesPerRound * EngineBenchmarks.Events;
        return new RoundResult(
            cpuNs / events,
            wallNs / events,
            GC.GetAllocatedBytesForCurrentThread() - bytes,
            GC.CollectionCount(0) - gen0,
            GC.CollectionCount(1) - gen1,
            GC.CollectionCount(2) - gen2,
            (GC.GetTotalPauseDuration() - pause).TotalMilliseconds);
    }

    private static double Median(List<RoundResult> values, Func<RoundResult, double> of) => Percentile(values.Select(of), 0.5);

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Round(p * (sorted.Count - 1)))];
    }

    private static long ThreadCpuNs()
    {
        const int ClockThreadCpuTimeId = 3;
        return ClockGetTime(ClockThreadCpuTimeId, out var time) == 0 ? (time.Seconds * 1_000_000_000L) + time.Nanoseconds : 0;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    private readonly record struct RoundResult(double Cpu, double Wall, long Bytes, int Gen0, int Gen1, int Gen2, double PauseMs, double AtSeconds = 0);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
