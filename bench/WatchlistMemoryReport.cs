using System.Diagnostics;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- memory 1000000 10000000</c>: loads a watchlist of each size and prints
/// its bytes per entry by part (FASTER log, FASTER index, filter) as the stores account them, next to the process's
/// resident-set growth, for the benchmark sizing (4 keys per index bucket) and a compact one (8 keys per bucket).
/// </summary>
internal static class WatchlistMemoryReport
{
    public static int Run(long[] sizes)
    {
        Console.WriteLine("| entries | keys/bucket | log B/entry | index B/entry | filter B/entry | total B/entry | RSS growth B/entry |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var entries in sizes)
        {
            foreach (var keysPerBucket in new[] { 4, 8 })
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = Process.GetCurrentProcess().WorkingSet64;
                using var watchlist = WatchlistFixture.LoadWatchlist(entries, keysPerBucket);
                GC.Collect();
                var rss = Process.GetCurrentProcess().WorkingSet64 - before;
                var m = watchlist.Memory;
                double e = entries;
                Console.WriteLine(
                    $"| {entries:N0} | {keysPerBucket} | {m.LogBytes / e:F1} | {m.IndexBytes / e:F1} | {m.FilterBytes / e:F2} | " +
                    $"{m.TotalBytes / e:F1} | {rss / e:F1} |");
            }
        }

        return 0;
    }
}
