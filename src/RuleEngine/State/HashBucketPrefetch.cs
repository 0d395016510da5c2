using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FASTER.core;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// Hints that load what a FASTER read of a key will wait for into the cache ahead of the read, so that the two DRAM
/// misses of a read in a large store (the hash index bucket, then the record it points at) overlap other work: first
/// the bucket (<see cref="Prefetch"/>), then, once the bucket is in the cache, the record its entry for the key points
/// at (<see cref="RecordOf"/>: the entry's logical address translated as FASTER's allocator does, page buffer plus offset).
/// FASTER 2.6 has no API for where a key's bucket is: this reads its index table's address and mask once, by
/// reflection, from the fields FASTER itself uses (<c>FasterBase.state[resizeInfo.version]</c>, an
/// <c>InternalHashTable</c> with <c>tableAligned</c> and <c>size_mask</c>), and hashes a key as its default
/// comparer for <see cref="long"/> does (<see cref="Utility.GetHashCode(long)"/>). Where any of that is not as
/// expected (another FASTER version, another comparer, no SSE) it stays off: a prefetch never changes a result and
/// never faults, so a stale address costs nothing but the hint. The store calls <see cref="Refresh"/> after a
/// recovery, which may give the index a new table. For records it also reads the log allocator's page table
/// (<c>BlittableAllocator.pointers</c>, fixed for the store's life) and page geometry; without them only buckets are hinted.
/// </summary>
internal sealed unsafe class HashBucketPrefetch
{
    private const int BucketBytesLog2 = 6; // a FASTER HashBucket is one 64-byte cache line

    // FASTER 2.x hash-bucket entries (Constants): a 48-bit logical address (bit 47 marks the read cache, which the
    // stores do not use), a 14-bit tag above it, the tentative bit on top; the tag is the top 14 bits of the key's
    // hash; the bucket's eighth word links its overflow bucket.
    private const int EntriesPerBucket = 7;
    private const int TagShift = 48;
    private const int HashTagShift = 50;
    private const ulong TagMask = (1UL << 14) - 1;
    private const ulong AddressMask = (1UL << 47) - 1;
    private const ulong NotMainLogMask = (1UL << 63) | (1UL << 47);
    private const long FirstValidAddress = 64;

    private readonly object _kv;
    private byte* _table;
    private long _mask;

    // The log allocator's page buffers: the physical address of logical page p is _pages[p & _bufferMask].
    private long[]? _pages;
    private int _pageBits;
    private long _offsetMask;
    private long _bufferMask;

    public HashBucketPrefetch(object kv)
    {
        _kv = kv;
        Refresh();
    }

    /// <summary>False when the table could not be found; <see cref="Prefetch"/> then does nothing.</summary>
    public bool Enabled => _table != null;

    /// <summary>False when the log's page table could not be found; <see cref="RecordOf"/> then finds nothing.</summary>
    public bool RecordsEnabled => _table != null && _pages is not null;

    /// <summary>Reads the index table's address and mask again.</summary>
    public void Refresh()
    {
        _table = null;
        _mask = 0;
        if (!Sse.IsSupported)
        {
            return;
        }

        try
        {
            var flags = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
            var kvType = _kv.GetType();
            if (kvType.GetField("comparer", flags)?.GetValue(_kv) is not LongFasterEqualityComparer)
            {
                return;
            }

            var baseType = typeof(FasterBase);
            var resizeInfo = baseType.GetField("resizeInfo", flags)?.GetValue(_kv);
            var version = resizeInfo?.GetType().GetField("version", flags)?.GetValue(resizeInfo);
            if (baseType.GetField("state", flags)?.GetValue(_kv) is not Array state || version is not int v || v < 0 || v >= state.Length)
            {
                return;
            }

            var table = state.GetValue(v);
            var tableType = table?.GetType();
            var aligned = tableType?.GetField("tableAligned", flags)?.GetValue(table);
            var mask = tableType?.GetField("size_mask", flags)?.GetValue(table);
            if (aligned is not null && mask is long m && m > 0)
            {
                _table = (byte*)Pointer.Unbox(aligned);
                _mask = m;
            }

            _pages = null;
            var hlog = kvType.GetField("hlog", flags)?.GetValue(_kv);
            var hlogType = hlog?.GetType();
            if (hlogType is { IsGenericType: true } && hlogType.GetGenericTypeDefinition().Name.StartsWith("BlittableAllocator", StringComparison.Ordinal)
                && hlogType.GetField("pointers", flags)?.GetValue(hlog) is long[] pages
                && FieldOf(hlogType, "LogPageSizeBits", flags)?.GetValue(hlog) is int pageBits && pageBits is > 0 and < 48
                && FieldOf(hlogType, "BufferSize", flags)?.GetValue(hlog) is int buffers && buffers == pages.Length && BitOperations.IsPow2(buffers))
            {
                _pageBits = pageBits;
                _offsetMask = (1L << pageBits) - 1;
                _bufferMask = buffers - 1;
                _pages = pages;
            }
        }
        catch (Exception e) when (e is MemberAccessException or NotSupportedException or TargetException or ArgumentException or InvalidCastException)
        {
            _table = null;
            _pages = null;
        }
    }

    /// <summary>
    /// Advises Linux to back the index table and every log page buffer allocated so far with 2 MiB pages
    /// (<see cref="Internal.HugePages"/>): a read that lands anywhere in a large store then costs a cache miss but no
    /// TLB miss and page walk. Returns the bytes advised (0 when off, or elsewhere than Linux).
    /// </summary>
    internal long AdviseHugePages()
    {
        var advised = 0L;
        if (_table != null)
        {
            advised += Internal.HugePages.Advise((nint)_table, (_mask + 1) << BucketBytesLog2);
        }

        if (_pages is { } pages)
        {
            foreach (var page in pages)
            {
                advised += Internal.HugePages.Advise((nint)page, 1L << _pageBits);
            }
        }

        return advised;
    }

    // A field declared on the type or one of its bases (GetField does not find a base's non-public fields).
    private static FieldInfo? FieldOf(Type type, string name, BindingFlags flags)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetField(name, flags | BindingFlags.DeclaredOnly) is { } field)
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>The address of <paramref name="key"/>'s index bucket (tests check it against the bucket's entries); null when off.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong* BucketOf(long key) => _table == null ? null : BucketOfHash(Utility.GetHashCode(key));

    // The bucket a key hash falls in (the table must be known).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong* BucketOfHash(long hash) => (ulong*)(_table + ((hash & _mask) << BucketBytesLog2));

    /// <summary>
    /// Where the newest record filed under <paramref name="key"/>'s tag is in memory, read from its bucket (so call it
    /// once the bucket is in the cache): null when records are off, the bucket holds no entry with the tag, or the
    /// record is below <paramref name="headAddress"/> (on disk). Another key with the same bucket and tag may own the
    /// record; a hint does not care.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* RecordOf(long key, long headAddress)
    {
        var pages = _pages;
        if (_table == null || pages is null)
        {
            return null;
        }

        var hash = Utility.GetHashCode(key);
        var bucket = BucketOfHash(hash);
        var tag = (ulong)hash >> HashTagShift;
        for (var i = 0; i < EntriesPerBucket; i++)
        {
            var word = bucket[i];
            if (((word >> TagShift) & TagMask) == tag && (word & NotMainLogMask) == 0)
            {
                var address = (long)(word & AddressMask);
                return address < FirstValidAddress || address < headAddress
                    ? null
                    : (byte*)(pages[(address >> _pageBits) & _bufferMask] + (address & _offsetMask));
            }
        }

        return null;
    }

    /// <summary>Asks the CPU to load <paramref name="key"/>'s index bucket; no effect on any result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(long key)
    {
        var bucket = BucketOf(key);
        if (bucket != null)
        {
            Sse.Prefetch0(bucket);
        }
    }
}
