using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// Listed and unlisted numbers for the watchlist benchmarks, and a <see cref="Watchlist"/> or a
/// <see cref="Dictionary{TKey, TValue}"/> loaded with them. Listed number i is 86 13x xxxx xxxx with an even offset
/// scrambled by a bijection over [0, 5e9), so the listed set has no locality; its unlisted twin is the odd neighbour.
/// </summary>
internal static class WatchlistFixture
{
    public const long NowMs = 1_790_000_000_000;
    private const ulong Base = 8613_000_000_000UL;
    private const ulong Range = 5_000_000_000UL;
    private const ulong Scramble = 2_654_435_761UL; // prime, coprime with 5e9

    public static ulong Listed(long i) => Base + (2 * (((ulong)i * Scramble) % Range));

    public static ulong Unlisted(long i) => Listed(i) + 1;

    /// <summary>
    /// FASTER sizing for <paramref name="entries"/> watchlist keys: all records in memory, or, with
    /// <paramref name="residentLogBits"/>, only that much of the log (the rest on disk, read on a hit).
    /// </summary>
    public static FasterStoreOptions Options(long entries, int keysPerBucket = 4, int? residentLogBits = null) => new()
    {
        IndexBuckets = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1 << 12, entries / keysPerBucket)),
        MemorySizeBits = residentLogBits ?? Math.Max(24, BitOperations.Log2((ulong)(entries * 48 * 5 / 4)) + 1),
        PageSizeBits = 22,
        ExpectedEntries = entries,
    };

    public static Watchlist LoadWatchlist(long entries, int keysPerBucket = 4, int? residentLogBits = null)
    {
        var watchlist = new Watchlist(Options(entries, keysPerBucket, residentLogBits), new StringTable());
        using var loader = watchlist.NewSession();
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < entries; i++)
        {
            loader.Upsert(new WatchlistEntry
            {
                KeyType = WatchKeyType.Msisdn,
                KeyNumber = Listed(i),
                Level = WatchLevel.Confirmed,
            });
        }

        Console.WriteLine($"// watchlist: {entries:N0} entries loaded in {clock.Elapsed.TotalSeconds:F1} s");
        Check(watchlist.Count == entries, $"watchlist holds {watchlist.Count}, expected {entries}");
        var m = watchlist.Memory;
        Console.WriteLine(
            $"// watchlist memory: log {m.LogBytes / (double)entries:F1} B/entry (in memory {m.InMemoryLogBytes / (double)entries:F1}), " +
            $"index {m.IndexBytes / (double)entries:F1} B/entry, filter {m.FilterBytes / (double)entries:F2} B/entry " +
            $"({watchlist.Filter.HugePageBytes >> 20} MiB advised for 2 MiB pages), " +
            $"total {m.TotalBytes / (double)entries:F1} B/entry");
        if (File.Exists("/proc/self/smaps_rollup"))
        {
            // What the kernel granted: the filter's and FASTER's index's 2 MiB pages together.
            Console.WriteLine("// process " + File.ReadLines("/proc/self/smaps_rollup").FirstOrDefault(l => l.StartsWith("AnonHugePages", StringComparison.Ordinal)));
        }

        return watchlist;
    }

    public static Dictionary<ulong, WatchValue> LoadDictionary(long entries)
    {
        var dictionary = new Dictionary<ulong, WatchValue>((int)entries);
        for (long i = 0; i < entries; i++)
        {
            var number = Listed(i);
            dictionary[number] = ValueOf(number);
        }

        return dictionary;
    }

    /// <summary>The value the dictionary and Redis hold for listed <paramref name="number"/>: confirmed, always valid, with its <see cref="CheckOf"/>.</summary>
    public static WatchValue ValueOf(ulong number) => new() { Check = CheckOf(number), Level = WatchLevel.Confirmed };

    /// <summary>The second hash a lookup compares, as FASTER's records carry one.</summary>
    public static uint CheckOf(ulong number) => (uint)(number ^ (number >> 32));

    /// <summary><paramref name="count"/> probe numbers spread over the whole key set: listed ones or their unlisted twins.</summary>
    public static ulong[] Probes(long entries, int count, bool listed, int seed)
    {
        var random = new Random(seed);
        var probes = new ulong[count];
        for (var i = 0; i < probes.Length; i++)
        {
            var index = random.NextInt64(entries);
            probes[i] = listed ? Listed(index) : Unlisted(index);
        }

        return probes;
    }

    /// <summary>
    /// Looks <paramref name="window"/> up in batches of <paramref name="batchSize"/> numbers through
    /// <see cref="WatchlistSession.TryLookupBatch"/> (the filter misses of a batch overlap); returns the hits.
    /// </summary>
    public static int LookupBatched(WatchlistSession session, ReadOnlySpan<ulong> window, int batchSize, Span<WatchHit?> results)
    {
        var found = 0;
        for (var i = 0; i < window.Length; i += batchSize)
        {
            found += session.TryLookupBatch(WatchKeyType.Msisdn, window.Slice(i, Math.Min(batchSize, window.Length - i)), NowMs, results);
        }

        return found;
    }

    /// <summary>Throws when <paramref name="condition"/> is false. Pass a constant message on measured paths.</summary>
    public static void Check(bool condition, string message)
    {
        if (!condition)
        {
            Fail(message);
        }
    }

    [DoesNotReturn]
    public static void Fail(string message) => throw new InvalidOperationException("Benchmark validation failed: " + message);
}
