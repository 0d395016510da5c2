using System.Diagnostics;

namespace FraudShield.Benchmarks;

/// <summary>What a structure costs the garbage collector: the heap it adds and the time a full collection takes to mark it.</summary>
internal static class HeapProbe
{
    /// <summary>The managed heap after a full compacting collection.</summary>
    public static long Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The median of five full blocking, non-compacting collections: the mark (and sweep) of everything live.</summary>
    public static double FullCollectionMs()
    {
        var times = new double[5];
        for (var i = 0; i < times.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return times[2];
    }
}
