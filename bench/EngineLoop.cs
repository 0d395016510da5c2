using System.Globalization;
using System.Runtime.InteropServices;

namespace FraudShield.Benchmarks;

/// <summary>
/// The <c>engine-loop</c> mode: <see cref="EngineBenchmarks.ReaderScan"/> and <see cref="EngineBenchmarks.Benign"/>
/// in alternating rounds of 8 passes each for a given time, each round timed by the thread's CPU clock as well as the
/// wall clock. On a shared machine the CPU clock leaves out the time other processes hold the core, so the ratio of
/// two neighbouring rounds is a steadier figure than wall time; the report gives the median of every kind. Also the
/// process to attach a profiler to (<c>perf record</c> with the perf map): about two thirds of its time is the engine.
/// </summary>
internal static partial class EngineLoop
{
    private const int PassesPerRound = 8;

    public static int Run(double seconds)
    {
        using var engine = new EngineBenchmarks();
        engine.Setup();
        var scanCpu = new List<double>();
        var benignCpu = new List<double>();
        var scanWall = new List<double>();
        var benignWall = new List<double>();
        var ratios = new List<double>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            var (scan, scanW) = Round(() => engine.ReaderScan());
            var (benign, benignW) = Round(() => engine.Benign());
            scanCpu.Add(scan);
            benignCpu.Add(benign);
            scanWall.Add(scanW);
            benignWall.Add(benignW);
            ratios.Add(benign / scan);
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"// engine-loop: {ratios.Count} rounds of {PassesPerRound} passes each; medians per event: ReaderScan {Median(scanCpu):F1} ns CPU ({Median(scanWall):F1} wall), " +
            $"Benign {Median(benignCpu):F1} ns CPU ({Median(benignWall):F1} wall), Benign/ReaderScan {Median(ratios):F2} (rounds' ratios p10-p90 {Percentile(ratios, 0.1):F2}-{Percentile(ratios, 0.9):F2})"));
        return 0;
    }

    // CPU and wall ns per event of one round.
    private static (double Cpu, double Wall) Round(Func<long> pass)
    {
        var wall = System.Diagnostics.Stopwatch.GetTimestamp();
        var cpu = ThreadCpuNs();
        for (var i = 0; i < PassesPerRound; i++)
        {
            pass();
        }

        var events = (double)PassesPerRound * EngineBenchmarks.Events;
        return ((ThreadCpuNs() - cpu) / events, System.Diagnostics.Stopwatch.GetElapsedTime(wall).TotalNanoseconds / events);
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
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

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
