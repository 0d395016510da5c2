using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using FASTER.core;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// A hint that loads the hash index bucket of a key into the cache ahead of the FASTER operation on it, so that one of
/// the two DRAM misses of a read in a large store (the bucket, then the record it points at) overlaps other work.
/// FASTER 2.6 has no API for where a key's bucket is: this reads its index table's address and mask once, by
/// reflection, from the fields FASTER itself uses (<c>FasterBase.state[resizeInfo.version]</c>, an
/// <c>InternalHashTable</c> with <c>tableAligned</c> and <c>size_mask</c>), and hashes a key as its default
/// comparer for <see cref="long"/> does (<see cref="Utility.GetHashCode(long)"/>). Where any of that is not as
/// expected (another FASTER version, another comparer, no SSE) it stays off: a prefetch never changes a result and
/// never faults, so a stale address costs nothing but the hint. The store calls <see cref="Refresh"/> after a
/// recovery, which may give the index a new table.
/// </summary>
internal sealed unsafe class HashBucketPrefetch
{
    private const int BucketBytesLog2 = 6; // a FASTER HashBucket is one 64-byte cache line
    private readonly object _kv;
    private byte* _table;
    private long _mask;

    public HashBucketPrefetch(object kv)
    {
        _kv = kv;
        Refresh();
    }

    /// <summary>False when the table could not be found; <see cref="Prefetch"/> then does nothing.</summary>
    public bool Enabled => _table != null;

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
        }
        catch (Exception e) when (e is MemberAccessException or NotSupportedException or TargetException or ArgumentException or InvalidCastException)
        {
            _table = null;
        }
    }

    /// <summary>The address of <paramref name="key"/>'s index bucket (tests check it against the bucket's entries); null when off.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong* BucketOf(long key) =>
        _table == null ? null : (ulong*)(_table + ((Utility.GetHashCode(key) & _mask) << BucketBytesLog2));

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
