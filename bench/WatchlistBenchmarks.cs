using BenchmarkDotNet.Attributes;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;
using StackExchange.Redis;

namespace FraudShield.Benchmarks;

/// <summary>
/// Watchlist lookup of a number, hit and miss, at 1 M, 10 M and 50 M entries, four ways in one run: the watchlist as
/// the engine uses it (filter in front of FASTER), the same FASTER store without the filter, a
/// <see cref="Dictionary{TKey, TValue}"/> of the same values, and a round trip to a redis-server on loopback holding
/// them (<see cref="RedisWatchlist"/>: one GET per lookup, as a watchlist kept in Redis would be read). Each invocation
/// probes <see cref="Batch"/> keys from a table of 2^20 probes spread over the whole key set, so successive
/// invocations do not find the probes' cache lines warm. Every invocation checks its hit count. The 50 M cases need
/// about 6 GB at a time and 1-2 minutes of loading each (Redis's ~5 GB stays loaded across its two cases); run the
/// sizes alone with <c>--filter '*WatchlistBenchmarks*'</c>.
/// </summary>
[BenchmarkCategory("watchlist")]
public class WatchlistBenchmarks : IDisposable
{
    private const int Batch = 4096;
    private const int ProbeCount = 1 << 20;

    private Watchlist? _watchlist;
    private WatchlistSession? _session;
    private Dictionary<ulong, WatchValue>? _dictionary;
    private IDatabase? _redis;
    private readonly WatchHit?[] _results = new WatchHit?[64];
    private ulong[] _hits = [];
    private ulong[] _misses = [];
    private int _cursor;

    /// <summary>Entries in the watchlist.</summary>
    [Params(1_000_000, 10_000_000, 50_000_000)]
    public int Entries { get; set; }

    [GlobalSetup(Targets = [nameof(FilteredHit), nameof(FilteredMiss), nameof(FilteredMissBatch64), nameof(FasterHit), nameof(FasterMiss)])]
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

    [GlobalSetup(Targets = [nameof(RedisHit), nameof(RedisMiss), nameof(RedisMissBatch64)])]
    public void SetupRedis()
    {
        _redis = RedisWatchlist.For(Entries).Database;
        MakeProbes();
        for (var i = 0; i < ProbeCount; i += 997)
        {
            WatchlistFixture.Check(RedisWatchlist.IsHit(_redis.StringGet(RedisWatchlist.KeyOf(_hits[i])), _hits[i], WatchlistFixture.NowMs), "listed number not in Redis");
            WatchlistFixture.Check(!RedisWatchlist.IsHit(_redis.StringGet(RedisWatchlist.KeyOf(_misses[i])), _misses[i], WatchlistFixture.NowMs), "unlisted number in Redis");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _session?.Dispose();
        _watchlist?.Dispose();
        _session = null;
        _watchlist = null;
        _dictionary = null;
        _redis = null;
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredHit() => Expect(Batch, Filtered(_hits));

    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredMiss() => Expect(0, Filtered(_misses));

    /// <summary>
    /// Misses looked up 64 at a time (<see cref="WatchlistSession.TryLookupBatch"/>): the filter blocks of a batch are
    /// all requested before the first is tested, as the engine's hints request each caller's block while the poll
    /// hands records over, so their memory misses overlap.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int FilteredMissBatch64() => Expect(0, WatchlistFixture.LookupBatched(_session!, NextBatch(_misses), 64, _results));

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

    /// <summary>One GET round trip per lookup (StackExchange.Redis allocates per call: not a zero-allocation case).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int RedisHit() => Expect(Batch, Redis(_hits));

    [Benchmark(OperationsPerInvoke = Batch)]
    public int RedisMiss() => Expect(0, Redis(_misses));

    /// <summary>Misses 64 to a round trip (one MGET of 64 keys): the most a Redis watchlist could batch per poll.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int RedisMissBatch64() => Expect(0, RedisBatched(_misses, 64));

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
                && value.Check == WatchlistFixture.CheckOf(number)
                && value.IsValidAt(WatchlistFixture.NowMs) ? 1 : 0;
        }

        return found;
    }

    private int Redis(ulong[] probes)
    {
        var redis = _redis!;
        var found = 0;
        foreach (var number in NextBatch(probes))
        {
            found += RedisWatchlist.IsHit(redis.StringGet(RedisWatchlist.KeyOf(number)), number, WatchlistFixture.NowMs) ? 1 : 0;
        }

        return found;
    }

    private int RedisBatched(ulong[] probes, int batchSize)
    {
        var redis = _redis!;
        var window = NextBatch(probes);
        var keys = new RedisKey[batchSize];
        var found = 0;
        for (var i = 0; i < window.Length; i += batchSize)
        {
            var numbers = window.Slice(i, batchSize);
            for (var k = 0; k < numbers.Length; k++)
            {
                keys[k] = RedisWatchlist.KeyOf(numbers[k]);
            }

            var values = redis.StringGet(keys);
            for (var k = 0; k < numbers.Length; k++)
            {
                found += RedisWatchlist.IsHit(values[k], numbers[k], WatchlistFixture.NowMs) ? 1 : 0;
            }
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
