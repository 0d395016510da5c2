using System.Text;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.State;

public sealed class WatchlistFilterTests : IDisposable
{
    private const long Now = EngineHarness.T0;
    private readonly Watchlist _watchlist;
    private readonly WatchlistSession _session;

    public WatchlistFilterTests()
    {
        _watchlist = new Watchlist(
            new FasterStoreOptions { IndexBuckets = 1 << 14, MemorySizeBits = 24, PageSizeBits = 20, ExpectedEntries = 10_000 },
            new StringTable());
        _session = _watchlist.NewSession();
    }

    public void Dispose()
    {
        _session.Dispose();
        _watchlist.Dispose();
    }

    private void ListNumber(ulong number, long validToMs = 0) =>
        _session.Upsert(new WatchlistEntry
        {
            KeyType = WatchKeyType.Msisdn,
            Key = Encoding.UTF8.GetBytes("+" + number),
            KeyNumber = number,
            Level = WatchLevel.Confirmed,
            Typology = "IMPERSONATE_AUTHORITY"u8,
            ValidToMs = validToMs == 0 ? null : validToMs,
        });

    private void ListAccount(string account) =>
        _session.Upsert(new WatchlistEntry
        {
            KeyType = WatchKeyType.Account,
            Key = Encoding.UTF8.GetBytes(account),
            Level = WatchLevel.Suspected,
        });

    [Fact]
    public void TryLookup_ListedAndUnlistedNumbers_FindsOnlyListed()
    {
        for (var i = 0UL; i < 10_000; i++)
        {
            ListNumber(4420_7946_0000UL + i);
        }

        for (var i = 0UL; i < 10_000; i++)
        {
            Assert.True(_session.TryLookup(WatchKeyType.Msisdn, 4420_7946_0000UL + i, Now, out var hit));
            Assert.Equal(WatchLevel.Confirmed, hit.Level);
            Assert.False(_session.TryLookup(WatchKeyType.Msisdn, 8613_800_000_000UL + i, Now, out _));
            Assert.False(_session.TryLookup(WatchKeyType.Imei, 4420_7946_0000UL + i, Now, out _));
        }

        Assert.Equal(10_000, _watchlist.Count);
    }

    [Fact]
    public void TryLookup_TextKey_FindsListedAccountOnly()
    {
        ListAccount("6222880000000001");

        Assert.True(_session.TryLookup(WatchKeyType.Account, "6222880000000001"u8, Now, out var hit));
        Assert.Equal(WatchLevel.Suspected, hit.Level);
        Assert.False(_session.TryLookup(WatchKeyType.Account, "6222880000000002"u8, Now, out _));
        Assert.False(_session.TryLookup(WatchKeyType.Url, "6222880000000001"u8, Now, out _));
    }

    [Fact]
    public void TryLookup_AfterRemoval_Misses_AndReAddFindsAgain()
    {
        const ulong number = 4420_7946_0042UL;
        ListNumber(number);
        Assert.True(_session.TryLookup(WatchKeyType.Msisdn, number, Now, out _));

        _session.Remove(WatchKeyType.Msisdn, "+442079460042"u8, number);

        // The filter bit stays set; the store read behind it finds nothing.
        Assert.True(_watchlist.Filter.MightContain((ulong)Internal.KeyHash.Of((byte)WatchKeyType.Msisdn, number)));
        Assert.False(_session.TryLookup(WatchKeyType.Msisdn, number, Now, out _));
        Assert.Equal(0, _watchlist.Count);

        ListNumber(number);
        Assert.True(_session.TryLookup(WatchKeyType.Msisdn, number, Now, out _));
    }

    [Fact]
    public void TryLookup_ExpiredEntry_Misses()
    {
        ListNumber(4420_7946_0001UL, validToMs: Now - 1);

        Assert.False(_session.TryLookup(WatchKeyType.Msisdn, 4420_7946_0001UL, Now, out _));
    }

    [Fact]
    public void TryLookup_BeyondFilterCapacity_StillExact()
    {
        // Five times the expected entries: the filter saturates, lookups fall through to FASTER and stay exact.
        for (var i = 0UL; i < 50_000; i++)
        {
            ListNumber(4420_7946_0000UL + i);
        }

        var random = new Random(11);
        for (var n = 0; n < 20_000; n++)
        {
            var i = (ulong)random.Next(100_000);
            var listed = i < 50_000;
            Assert.Equal(listed, _session.TryLookup(WatchKeyType.Msisdn, 4420_7946_0000UL + i, Now, out _));
            Assert.Equal(listed, _session.TryLookupUnfiltered(WatchKeyType.Msisdn, 4420_7946_0000UL + i, Now, out _));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(BlockedBloomFilter.BatchWindow - 1)]
    [InlineData(BlockedBloomFilter.BatchWindow)]
    [InlineData(BlockedBloomFilter.BatchWindow + 1)]
    [InlineData(1_001)]
    public void TryLookupBatch_RandomNumbers_EqualsSingleLookups(int length)
    {
        // Listed, expired, removed, unlisted and absent (0) numbers; twice the filter's capacity, so the batch also
        // meets false positives that the store read must turn into misses.
        const ulong first = 4420_7946_0000UL;
        for (var i = 0UL; i < 20_000; i++)
        {
            ListNumber(first + i, validToMs: i % 5 == 0 ? Now - 1 : 0);
        }

        for (var i = 1UL; i < 20_000; i += 97)
        {
            _session.Remove(WatchKeyType.Msisdn, Encoding.UTF8.GetBytes("+" + (first + i)), first + i);
        }

        var random = new Random(12 + length);
        var numbers = new ulong[length];
        for (var i = 0; i < length; i++)
        {
            numbers[i] = random.Next(10) switch
            {
                0 => 0,
                < 5 => first + (ulong)random.Next(20_000),
                _ => 8613_800_000_000UL + (ulong)random.NextInt64(1_000_000_000),
            };
        }

        foreach (var type in new[] { WatchKeyType.Msisdn, WatchKeyType.Imei })
        {
            var hits = new WatchHit?[length + 2];
            hits.AsSpan().Fill(new WatchHit(WatchLevel.Suspected, -1));
            var found = _session.TryLookupBatch(type, numbers, Now, hits);

            var expectedFound = 0;
            for (var i = 0; i < length; i++)
            {
                WatchHit? expected = _session.TryLookup(type, numbers[i], Now, out var hit) ? hit : null;
                expectedFound += expected is null ? 0 : 1;
                Assert.Equal(expected, hits[i]);
            }

            Assert.Equal(expectedFound, found);
            Assert.Equal(new WatchHit(WatchLevel.Suspected, -1), hits[length]);
            if (length >= 64 && type == WatchKeyType.Msisdn)
            {
                Assert.InRange(found, 1, length - 1);
            }
        }
    }

    [Fact]
    public void TryLookupBatch_HitsShorterThanNumbers_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _session.TryLookupBatch(WatchKeyType.Msisdn, new ulong[3], Now, new WatchHit?[2]));
    }

    [Fact]
    public async Task TryLookup_LoaderThreadWritingConcurrently_ReaderNeverMissesAPublishedEntry()
    {
        const int entries = 20_000;
        var published = 0;
        var missed = 0;
        var writer = Task.Run(() =>
        {
            using var loader = _watchlist.NewSession();
            for (var i = 0; i < entries; i++)
            {
                var number = 4420_7946_0000UL + (ulong)i;
                loader.Upsert(new WatchlistEntry
                {
                    KeyType = WatchKeyType.Msisdn,
                    Key = Encoding.UTF8.GetBytes("+" + number),
                    KeyNumber = number,
                    Level = WatchLevel.Confirmed,
                });
                Volatile.Write(ref published, i + 1);
            }
        });
        var reader = Task.Run(() =>
        {
            using var engine = _watchlist.NewSession();
            var random = new Random(3);
            while (Volatile.Read(ref published) < entries)
            {
                var upTo = Volatile.Read(ref published);
                if (upTo > 0 && !engine.TryLookup(WatchKeyType.Msisdn, 4420_7946_0000UL + (ulong)random.Next(upTo), Now, out _))
                {
                    Interlocked.Increment(ref missed);
                }
            }
        });

        await Task.WhenAll(writer, reader).WithTimeout(TimeSpan.FromSeconds(60));
        Assert.Equal(0, missed);
    }

    [Fact]
    public void Memory_AfterEntries_ReportsEveryPart()
    {
        for (var i = 0UL; i < 1_000; i++)
        {
            ListNumber(4420_7946_0000UL + i);
        }

        var memory = _watchlist.Memory;

        Assert.True(memory.LogBytes >= 1_000 * 48);
        Assert.True(memory.IndexBytes >= (1 << 14) * 64);
        Assert.InRange(memory.FilterBytes, 10_000 * 12 / 8, (10_000 * 12 / 8) + 32);
    }
}
