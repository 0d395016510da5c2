using BenchmarkDotNet.Attributes;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// The filtered watchlist (the engine's path) at 1 M and 50 M entries, hit and miss, for the scale target: the 50 M
/// rate against the 1 M rate in the same run. Each way of looking up runs at both sizes: one number at a time
/// (<see cref="WatchlistSession.TryLookup(WatchKeyType, ulong, long, out WatchHit)"/>) and in batches of 16 and 64
/// numbers, as a poll batch would give (<see cref="WatchlistSession.TryLookupBatch"/>, whose filter misses overlap). Needs about 4.5 GB of memory and ~70 s of loading per 50 M case (FASTER
/// log 2.4 GB, index 1 GB). <c>--filter '*'</c> includes it; run it alone with <c>--filter '*WatchlistScale*'</c>.
/// </summary>
[BenchmarkCategory("scale")]
public class WatchlistScaleBenchmarks : IDisposable
{
    private const int Batch = 4096;
    private const int ProbeCount = 1 << 20;

    private Watchlist? _watchlist;
    private WatchlistSession? _session;
    private ulong[] _hits = [];
    private ulong[] _misses = [];
    private readonly WatchHit?[] _results = new WatchHit?[64];
    private int _cursor;

    /// <summary>Entries in the watchlist.</summary>
    [Params(1_000_000, 50_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _watchlist = WatchlistFixture.LoadWatchlist(Entries);
        _session = _watchlist.NewSession();
        _hits = WatchlistFixture.Probes(Entries, ProbeCount, listed: true, seed: 1);
        _misses = WatchlistFixture.Probes(Entries, ProbeCount, listed: false, seed: 2);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _session?.Dispose();
        _watchlist?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredHit() => Expect(Batch, Lookup(_hits));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredMiss() => Expect(0, Lookup(_misses));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredHitBatch64() => Expect(Batch, LookupBatched(_hits, 64));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredMissBatch16() => Expect(0, LookupBatched(_misses, 16));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredMissBatch64() => Expect(0, LookupBatched(_misses, 64));

    private int LookupBatched(ulong[] probes, int batchSize)
    {
        var start = _cursor;
        _cursor = (start + Batch) & (ProbeCount - 1);
        return WatchlistFixture.LookupBatched(_session!, probes.AsSpan(start, Batch), batchSize, _results);
    }

    private int Lookup(ulong[] probes)
    {
        var start = _cursor;
        _cursor = (start + Batch) & (ProbeCount - 1);
        var session = _session!;
        var found = 0;
        foreach (var number in probes.AsSpan(start, Batch))
        {
            found += session.TryLookup(WatchKeyType.Msisdn, number, WatchlistFixture.NowMs, out _) ? 1 : 0;
        }

        return found;
    }

    private static int Expect(int expected, int actual)
    {
        if (actual != expected)
        {
            WatchlistFixture.Fail($"{actual} hits in a batch, expected {expected}");
        }

        return actual;
    }
}
