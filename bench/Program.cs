using BenchmarkDotNet.Running;
using FraudShield.Benchmarks;

if (args.Length > 0 && args[0] == "memory")
{
    return WatchlistMemoryReport.Run(args.Skip(1).Select(long.Parse).DefaultIfEmpty(1_000_000).ToArray());
}

if (args.Length > 0 && args[0] == "strings")
{
    return StringTableReport.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_500_000);
}

if (args.Length > 0 && args[0] == "ring")
{
    return HubRingReport.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000);
}

if (args.Length > 0 && args[0] == "cases")
{
    return await CaseStoreReport.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30_000);
}

if (args.Length > 0 && args[0] == "case-query")
{
    return await CaseQueryReport.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000);
}

if (args.Length > 0 && args[0] == "recovery")
{
    int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    return RecoveryReport.Run(parties: Arg(1, 1_000_000), watchlist: Arg(2, 10_000_000), kafkaRecords: Arg(3, 500_000), residents: Arg(4, 0));
}

if (args.Length > 0 && args[0] == "fanout")
{
    return await FanoutReport.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 6);
}

if (args.Length > 4 && args[0] == "fanout-console")
{
    // Started by `fanout` as one console process: address, streams, rounds, alerts per round.
    return await FanoutConsole.RunAsync(
        new Uri(args[1]),
        int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
}

if (args.Length > 0 && args[0] == "engine-loop")
{
    // ReaderScan and Benign (and Mixed, when asked) in alternating rounds for N seconds, timed by the thread's CPU clock; also for a profiler.
    return EngineLoop.Run(
        args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20,
        args.Length > 2 ? args[2] : "scan,benign");
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new BenchConfig()).ToList();
var violations = BenchConfig.AllocationBudgetViolations(summaries).ToList();
foreach (var violation in violations)
{
    Console.Error.WriteLine("ALLOCATION BUDGET EXCEEDED: " + violation);
}

var failed = summaries.SelectMany(s => s.Reports).Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo).ToList();
foreach (var name in failed)
{
    Console.Error.WriteLine("BENCHMARK FAILED: " + name);
}

return violations.Count == 0 && failed.Count == 0 && summaries.All(s => !s.HasCriticalValidationErrors) ? 0 : 1;
