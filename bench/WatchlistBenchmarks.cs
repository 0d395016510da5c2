using BenchmarkDotNet.Attributes;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// Watchlist lookup of a number, hit and miss, at 1 M and 10 M entries: the watchlist as the engine uses it (filter
/// in front of FASTER), the same FASTER store without the filter, and a <see cref="Dictionary{TKey, TValue}"/> of the
/// same values. Each invocation probes <see cref="Batch"/> keys from a table of 2^20 probes spread over the whole key
/// set, so successive invocations do not find the probes' cache lines warm. Every invocation checks its hit count.
/// </summary>
[BenchmarkCategory("watchlist")]
public class WatchlistBenchmarks : IDisposable
{
    private const int Batch = 4096;
    private const int ProbeCount = 1 << 20;

    private Watchlist? _watchlist;
    private WatchlistSession? _session;
    private Dictionary<ulong, WatchValue>? _dictionary;
    private ulong[] _hits = [];
    private ulong[] _misses = [];
    private int _cursor;

    /// <summary>Entries in the watchlist.</summary>
    [Params(1_000_000, 10_000_000)]
    public int Entries { get; set; }

    [GlobalSetup(Targets = [nameof(FilteredHit), nameof(FilteredMiss), nameof(FasterHit), nameof(FasterMiss)])]
    public void SetupFaster()
    {
        _watchlist = WatchlistFixture.LoadWatchlist(Entries);
        _session = _watchlist.NewSession();
        MakeProbes();
        for (var i = 0; i < ProbeCount; i += 97)
        {
            WatchlistFixture.Check(_session.TryLookup(WatchKeyType.Msisdn, _hits[i], WatchlistFixture.NowMs, out _), "listed number not found");
            WatchlistFixture.Check(!_session.TryLookup(WatchKeyType.Msisdn, _misses[i], WatchlistFixture.NowMs, out _), "unlisted number found");
            WatchlistFixture.Check(_session.TryLookupUnfiltered(WatchKeyType.Msisdn, _hits[i], WatchlistFixture.NowMs, out _), "listed number not in FASTER");
        }

        var passed = _misses.Count(n => _watchlist.Filter.MightContain((ulong)RuleEngine.Internal.KeyHash.Of((byte)WatchKeyType.Msisdn, n)));
        Console.WriteLine($"// filter false-positive rate over {ProbeCount:N0} unlisted probes: {100.0 * passed / ProbeCount:F3} %");
    }

    [GlobalSetup(Targets = [nameof(DictionaryHit), nameof(DictionaryMiss)])]
    public void SetupDictionary()
    {
        _dictionary = WatchlistFixture.LoadDictionary(Entries);
        MakeProbes();
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
    public int FilteredHit() => Expect(Batch, Filtered(_hits));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredMiss() => Expect(0, Filtered(_misses));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FasterHit() => Expect(Batch, Faster(_hits));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FasterMiss() => Expect(0, Faster(_misses));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int DictionaryHit() => Expect(Batch, Dictionary(_hits));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int DictionaryMiss() => Expect(0, Dictionary(_misses));

    private void MakeProbes()
    {
        _hits = WatchlistFixture.Probes(Entries, ProbeCount, listed: true, seed: 1);
        _misses = WatchlistFixture.Probes(Entries, ProbeCount, listed: false, seed: 2);
    }

    private ReadOnlySpan<ulong> NextBatch(ulong[] probes)
    {
        var start = _cursor;
        _cursor = (start + Batch) & (ProbeCount - 1);
        return probes.AsSpan(start, Batch);
    }

    private int Filtered(ulong[] probes)
    {
        var session = _session!;
        var found = 0;
        foreach (var number in NextBatch(probes))
        {
            found += session.TryLookup(WatchKeyType.Msisdn, number, WatchlistFixture.NowMs, out _) ? 1 : 0;
        }

        return found;
    }

    private int Faster(ulong[] probes)
    {
        var session = _session!;
        var found = 0;
        foreach (var number in NextBatch(probes))
        {
            found += session.TryLookupUnfiltered(WatchKeyType.Msisdn, number, WatchlistFixture.NowMs, out _) ? 1 : 0;
        }

        return found;
    }

    private int Dictionary(ulong[] probes)
    {
        var dictionary = _dictionary!;
        var found = 0;
        foreach (var number in NextBatch(probes))
        {
            found += dictionary.TryGetValue(number, out var value)
                && value.Check == (uint)(number ^ (number >> 32))
                && value.IsValidAt(WatchlistFixture.NowMs) ? 1 : 0;
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
