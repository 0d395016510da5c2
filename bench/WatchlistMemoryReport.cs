using System.Diagnostics;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- memory 1000000 10000000</c>: loads a watchlist of each size and prints
/// its bytes per entry by part (FASTER log, FASTER index, filter) as the stores account them, next to the process's
/// resident-set growth, for the benchmark sizing (4 keys per index bucket), a compact one (8 keys per bucket) and a
/// resident one where only 32 MiB of the FASTER log stays in memory (the rest is read from its file on a hit), with the
/// mean lookup time of misses and hits in each.
/// </summary>
internal static class WatchlistMemoryReport
{
    public static int Run(long[] sizes)
    {
        Console.WriteLine("| entries | layout | log B/entry (resident) | index B/entry | filter B/entry | resident B/entry | RSS growth B/entry | miss ns | hit ns |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var entries in sizes)
        {
            foreach (var (keysPerBucket, residentLogBits, layout) in new (int, int?, string)[]
            {
                (4, null, "all in memory, 4 keys/bucket"),
                (8, null, "all in memory, 8 keys/bucket"),
                (8, 25, "32 MiB of log resident, 8 keys/bucket"),
            })
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var before = Process.GetCurrentProcess().WorkingSet64;
                using var watchlist = WatchlistFixture.LoadWatchlist(entries, keysPerBucket, residentLogBits);
                GC.Collect();
                var rss = Process.GetCurrentProcess().WorkingSet64 - before;
                var m = watchlist.Memory;
                double e = entries;
                var (missNs, hitNs) = TimeLookups(watchlist, entries);
                Console.WriteLine(
                    $"| {entries:N0} | {layout} | {m.LogBytes / e:F1} ({m.InMemoryLogBytes / e:F1}) | {m.IndexBytes / e:F1} | {m.FilterBytes / e:F2} | " +
                    $"{(m.InMemoryLogBytes + m.IndexBytes + m.FilterBytes) / e:F1} | {rss / e:F1} | {missNs:F0} | {hitNs:F0} |");
            }
        }

        return 0;
    }

    // Mean time of one lookup over random unlisted (miss) and listed (hit) numbers, one thread, after a warm-up pass.
    private static (double MissNs, double HitNs) TimeLookups(RuleEngine.State.Watchlist watchlist, long entries)
    {
        using var session = watchlist.NewSession();
        var misses = WatchlistFixture.Probes(entries, 1 << 20, listed: false, seed: 7);
        var hits = WatchlistFixture.Probes(entries, 1 << 16, listed: true, seed: 8);
        double Time(ulong[] probes, bool expected)
        {
            var clock = Stopwatch.StartNew();
            foreach (var number in probes)
            {
                if (session.TryLookup(Ingest.Events.WatchKeyType.Msisdn, number, WatchlistFixture.NowMs, out _) != expected && expected)
                {
                    throw new InvalidOperationException($"listed number {number} not found");
                }
            }

            return clock.Elapsed.TotalNanoseconds / probes.Length;
        }

        Time(misses, false);
        return (Time(misses, false), Time(hits, true));
    }
}
