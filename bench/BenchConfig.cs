using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace FraudShield.Benchmarks;

/// <summary>
/// The one BenchmarkDotNet configuration of the suite: allocations measured on every benchmark, GitHub markdown
/// reports, and a short job that fits a 2-core machine shared with other work (one launch, 3 warmups, 5 iterations
/// of ~250 ms). Benchmarks in the <see cref="ZeroAlloc"/> category fail the run when they allocate.
/// </summary>
/// <remarks>
/// The job runs in process (<see cref="InProcessEmitToolchain"/>): BenchmarkDotNet's generated project builds with its
/// own intermediate folder, where Grpc.Tools' generated sources of FraudShield.Contracts are not found (CS2001). In
/// process also saves a build and a process start per case; the GC mode is the host's (workstation, concurrent, as
/// Directory.Build.props sets for every project).
/// </remarks>
public sealed class BenchConfig : ManualConfig
{
    /// <summary>Category of benchmarks whose budget is 0 B/op, checked by <see cref="AllocationBudgetViolations"/>.</summary>
    public const string ZeroAlloc = "zero-alloc";

    /// <summary>Creates the configuration.</summary>
    public BenchConfig()
    {
        Add(DefaultConfig.Instance);
        AddJob(Job.Default
            .WithId("short-2core")
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(5)
            .WithIterationTime(TimeInterval.FromMilliseconds(250))
            .WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddExporter(MarkdownExporter.GitHub);
        AddColumn(StatisticColumn.Median, CategoriesColumn.Default);
        HideColumns(Column.Error, Column.StdDev);
        WithOptions(ConfigOptions.DisableLogFile);
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(24);
    }

    /// <summary>The benchmarks of the <see cref="ZeroAlloc"/> category that allocated, one line each.</summary>
    public static IEnumerable<string> AllocationBudgetViolations(IEnumerable<Summary> summaries)
    {
        foreach (var summary in summaries)
        {
            foreach (var report in summary.Reports)
            {
                if (!report.BenchmarkCase.Descriptor.HasCategory(ZeroAlloc) || !report.Success)
                {
                    continue;
                }

                var bytes = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
                if (bytes is > 0)
                {
                    yield return $"{report.BenchmarkCase.DisplayInfo}: {bytes} B/op, budget 0 B/op";
                }
            }
        }
    }
}
