using FASTER.core;
using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.State;

// HashBucketPrefetch finds FASTER's index table by reflection: these tests fail when a FASTER upgrade moves it (the
// prefetch would silently stay off) or when the bucket it computes is not the one FASTER files the key under.
public sealed class HashBucketPrefetchTests
{
    // FASTER 2.x hash-table entries: 48-bit address, 14-bit tag above it (Constants.kTagShift 48, kTagSize 14); the
    // tag is the top 14 bits of the key's hash (kHashTagShift 50); a bucket's last word is its overflow link.
    private const int TagShift = 48;
    private const ulong TagMask = (1UL << 14) - 1;
    private const ulong AddressMask = (1UL << 48) - 1;

    private static FasterStore<long> NewStore(string directory) =>
        new("prefetch", new FasterStoreOptions { Directory = directory, IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18 });

    private static unsafe bool BucketHolds(FasterStore<long> store, long key)
    {
        var bucket = store.Prefetcher.BucketOf(key);
        Assert.True(bucket != null);
        var tag = (ulong)Utility.GetHashCode(key) >> 50;
        for (var i = 0; i < 7; i++)
        {
            var word = bucket[i];
            if ((word & AddressMask) != 0 && ((word >> TagShift) & TagMask) == tag)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public void BucketOf_EveryStoredKey_IsTheBucketFasterFiledItUnder()
    {
        using var dir = new TempDirectory();
        using var store = NewStore(dir.Path);
        Assert.True(store.CanPrefetch);
        using var session = store.NewSession();

        // 2,000 keys in 4,096 buckets: no bucket overflows its 7 entries, so each key's entry is in its own bucket.
        var keys = Enumerable.Range(0, 2_000).Select(i => 8613800000000L + (i * 7919L)).ToArray();
        foreach (var key in keys)
        {
            session.Upsert(key, key);
        }

        Assert.All(keys, key => Assert.True(BucketHolds(store, key), $"key {key} is not in the bucket computed for it"));
    }

    [Fact]
    public unsafe void BucketAndRecordOf_AfterRecovery_FollowTheRecoveredStore()
    {
        using var dir = new TempDirectory();
        var keys = Enumerable.Range(0, 500).Select(i => 4_000_000_000L + (i * 104_729L)).ToArray();
        Guid token;
        using (var store = NewStore(dir.Path))
        {
            using var session = store.NewSession();
            foreach (var key in keys)
            {
                session.Upsert(key, -key);
            }

            token = store.CheckpointFull();
        }

        using var recovered = NewStore(dir.Path);
        recovered.Recover(token);
        Assert.True(recovered.CanPrefetch);
        Assert.All(keys, key => Assert.True(BucketHolds(recovered, key), $"key {key} is not in the bucket computed for it"));
        Assert.All(keys, key =>
        {
            var record = recovered.RecordOf(key);
            Assert.True(record != null, $"no record found for key {key}");
            Assert.Equal(-key, *(long*)(record + 16));
        });
    }

    [Fact]
    public unsafe void RecordOf_EveryStoredKey_PointsAtItsNewestRecord()
    {
        using var dir = new TempDirectory();
        using var store = NewStore(dir.Path);
        Assert.True(store.Prefetcher.RecordsEnabled);
        using var session = store.NewSession();
        var keys = Enumerable.Range(0, 2_000).Select(i => 8613800000000L + (i * 7919L)).ToArray();
        foreach (var key in keys)
        {
            session.Upsert(key, key);
        }

        foreach (var key in keys.Where((_, i) => i % 2 == 0))
        {
            session.Upsert(key, -key);
        }

        // A record is RecordInfo (8 bytes), then the key, then the value.
        Assert.All(keys.Select((key, i) => (key, i)), k =>
        {
            var record = store.RecordOf(k.key);
            Assert.True(record != null, $"no record found for key {k.key}");
            Assert.Equal(k.key, *(long*)(record + 8));
            Assert.Equal(k.i % 2 == 0 ? -k.key : k.key, *(long*)(record + 16));
        });
        Assert.True(store.RecordOf(8613800000000L + 1) == null);
    }

    [Fact]
    public unsafe void RecordOf_RecordEvictedToDisk_None()
    {
        using var dir = new TempDirectory();
        using var store = new FasterStore<long>("evict", new FasterStoreOptions { Directory = dir.Path, IndexBuckets = 1 << 16, MemorySizeBits = 20, PageSizeBits = 16 });
        using var session = store.NewSession();

        // 24-byte records, 4 MB of them through a 1 MB log buffer: the first ones are on disk only.
        for (var key = 1L; key <= 170_000; key++)
        {
            session.Upsert(key, key);
        }

        Assert.True(store.RecordOf(1) == null);
        var last = store.RecordOf(170_000);
        Assert.True(last != null);
        Assert.Equal(170_000L, *(long*)(last + 8));
    }

    [Fact]
    public unsafe void HugePageBytes_PreallocatedStore_IndexAndLogAdvisedOnLinux_RecordsUnchanged()
    {
        using var dir = new TempDirectory();

        // 4 MiB log pages, 8 of them, and a 4 MiB index: each holds at least one whole 2 MiB page.
        using var store = new FasterStore<long>("huge", new FasterStoreOptions { Directory = dir.Path, IndexBuckets = 1 << 16, MemorySizeBits = 25, PageSizeBits = 22, PreallocateLog = true });
        var thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (OperatingSystem.IsLinux() && File.Exists(thp))
        {
            Assert.InRange(store.HugePageBytes, 9L * (2 << 20), (32L << 20) + (4L << 20));
            Assert.Equal(0, store.HugePageBytes % (2 << 20));
        }
        else
        {
            Assert.Equal(0, store.HugePageBytes);
        }

        using var session = store.NewSession();
        for (var key = 1L; key <= 10_000; key++)
        {
            session.Upsert(key, -key);
        }

        Assert.All(Enumerable.Range(1, 10_000), k => Assert.True(session.TryRead(k, out var value) && value == -k));
        using var lazy = new FasterStore<long>("lazy", new FasterStoreOptions { Directory = dir.Path, IndexBuckets = 1 << 16, MemorySizeBits = 25, PageSizeBits = 22 });
        Assert.Equal(0, lazy.HugePageBytes);
    }
}
