using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FraudShield.RuleEngine.Internal;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// A split-block Bloom filter over 64-bit key hashes (the layout of Parquet's and Impala's SBBF): a membership test
/// that answers "certainly absent" or "possibly present", placed in front of the watchlist's FASTER store so that the
/// common case, a benign number or account that is not listed, costs one cache line instead of a FASTER read.
/// Lookups and adds allocate nothing; any number of readers may run concurrently with one or more writers.
/// </summary>
/// <remarks>
/// <para>Layout: an array of 256-bit (32-byte) blocks, aligned to 64 bytes so a block never straddles a cache line.
/// The high 32 bits of the hash choose the block (multiply-shift range reduction, no power-of-two rounding); the low
/// 32 bits, multiplied by eight odd salts, set one bit in each of the block's eight 32-bit words (k = 8). A lookup is
/// one memory access and, on AVX2, four vector instructions.</para>
/// <para>Why this design: most lookups miss, so the filter's cost is the miss path. A split-block filter touches one
/// cache line per query (a classic Bloom filter with k = 8 touches up to eight), has no insertion failures and no
/// rebuild (cuckoo and xor filters need one: xor filters are static, cuckoo inserts fail near capacity), and bits are
/// only ever set, so concurrent writers need nothing more than <see cref="Interlocked.Or(ref uint, uint)"/> and readers
/// need no synchronisation at all. The price is a higher false-positive rate per bit than an unblocked Bloom filter,
/// which at 12 bits per entry is cheap: a false positive costs one FASTER read (~0.7 us at 10 M keys).</para>
/// <para>Sizing: <see cref="DefaultBitsPerEntry"/> = 12 bits = 1.5 bytes per expected entry. False-positive rate,
/// from the Poisson occupancy of blocks (each block holds on average 256 / bits-per-entry keys, and a non-member hits
/// with probability (1 - (31/32)^j)^8 in a block of j keys): 0.54 % at capacity, 0.016 % at half of it, 9.9 % at twice
/// it, 33 % at three times it. Beyond capacity the rate rises as above but correctness holds: a false positive falls
/// through to the store. Removals are not supported: a removed key's bits stay set, so it costs a false positive until
/// the filter is rebuilt (a new instance).</para>
/// </remarks>
public sealed class BlockedBloomFilter
{
    /// <summary>Bits per expected entry when none is given: 1.5 bytes, 0.54 % false positives at capacity.</summary>
    public const int DefaultBitsPerEntry = 12;

    private const int WordsPerBlock = 8;
    private const int BlockBytes = WordsPerBlock * sizeof(uint);
    private const int CacheLineBytes = 64;

    /// <summary>
    /// Hashes whose blocks <see cref="MightContainBatch"/> requests before it tests the first of them: enough misses in
    /// flight to keep the memory system busy (measured on the 2-core Zen 4 VM, 75 MB filter: windows of 8, 16, 32 and 64
    /// took 33, 21, 16 and 13.5 ns per lookup), few enough that the blocks are still cached when they are tested.
    /// </summary>
    public const int BatchWindow = 64;

    private readonly uint[] _words;
    private readonly int _offset;
    private readonly ulong _blocks;

    /// <summary>Creates an empty filter sized for <paramref name="expectedEntries"/> keys.</summary>
    /// <param name="expectedEntries">Keys the filter is sized for; more may be added at a higher false-positive rate.</param>
    /// <param name="bitsPerEntry">Filter bits per expected key (8 to 32).</param>
    public BlockedBloomFilter(long expectedEntries, int bitsPerEntry = DefaultBitsPerEntry)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedEntries);
        ArgumentOutOfRangeException.ThrowIfLessThan(bitsPerEntry, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitsPerEntry, 32);
        var blocks = Math.Max(1L, ((expectedEntries * bitsPerEntry) + (BlockBytes * 8) - 1) / (BlockBytes * 8));
        var maxBlocks = (Array.MaxLength - (CacheLineBytes / sizeof(uint))) / WordsPerBlock;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blocks, maxBlocks, nameof(expectedEntries));

        _blocks = (ulong)blocks;
        ExpectedEntries = expectedEntries;

        // The pinned object heap never moves the array, so the offset to the first cache-line boundary stays valid.
        _words = GC.AllocateArray<uint>((int)(blocks * WordsPerBlock) + (CacheLineBytes / sizeof(uint)), pinned: true);
        _offset = AlignmentOffset(_words);
        HugePageBytes = AdviseHugePages(_words);
    }

    /// <summary>
    /// Bytes of the filter advised to Linux for 2 MiB pages (<see cref="HugePages"/>): its 2 MiB-aligned part, so all but
    /// at most 4 MiB of it; 0 for a filter that holds no aligned 2 MiB page, or off Linux. The kernel backs them with
    /// huge pages when transparent huge pages are enabled (<c>always</c> or <c>madvise</c>).
    /// </summary>
    /// <remarks>
    /// Every lookup of a filter past the caches reads one random block: with 4 KiB pages that is also a TLB miss
    /// (a 75 MB filter spans 18,000 pages) and a page walk whose table entries compete with the filter for the cache.
    /// On the 2-core VM, 50 M keys, one lookup at a time took 68 ns with 4 KiB pages and 37 ns with 2 MiB pages; batches
    /// of 64 (<see cref="MightContainBatch"/>) 17 and 12.6 ns.
    /// </remarks>
    public long HugePageBytes { get; }

    /// <summary>The number of keys the filter was sized for.</summary>
    public long ExpectedEntries { get; }

    /// <summary>Bytes of filter bits (excluding the alignment slack of at most 60 bytes).</summary>
    public long SizeBytes => (long)_blocks * BlockBytes;

    /// <summary>
    /// Writes the filter bits (<see cref="SizeBytes"/> bytes, in memory order) to <paramref name="stream"/>. Consistent
    /// when no key is added during the call (the table's one writer calls it between two records).
    /// </summary>
    /// <param name="stream">Where the bits go.</param>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(MemoryMarshal.AsBytes(_words.AsSpan(_offset, (int)_blocks * WordsPerBlock)));
    }

    /// <summary>
    /// Replaces the filter bits with <see cref="SizeBytes"/> bytes read from <paramref name="stream"/>, as written by
    /// <see cref="WriteTo"/> from a filter of the same size. Call it before the filter is shared.
    /// </summary>
    /// <param name="stream">Where the bits come from.</param>
    /// <exception cref="EndOfStreamException">The stream holds fewer bytes.</exception>
    public void ReadFrom(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.ReadExactly(MemoryMarshal.AsBytes(_words.AsSpan(_offset, (int)_blocks * WordsPerBlock)));
    }

    /// <summary>Adds a key hash. Thread-safe; lookups running concurrently see the key once this returns.</summary>
    public void Add(ulong hash)
    {
        ref var block = ref BlockOf(hash);
        var low = (uint)hash;
        for (var i = 0; i < WordsPerBlock; i++)
        {
            var bit = 1u << (int)((low * Salt(i)) >> 27);
            ref var word = ref Unsafe.Add(ref block, i);
            if ((Volatile.Read(ref word) & bit) == 0)
            {
                Interlocked.Or(ref word, bit);
            }
        }
    }

    /// <summary>A hint to load the block of a key hash into the cache ahead of <see cref="MightContain"/>; no effect on results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(ulong hash)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref BlockOf(hash)));
        }
    }

    /// <summary>False when the key hash was certainly never added; true when it possibly was.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MightContain(ulong hash)
    {
        ref var block = ref BlockOf(hash);
        var low = (uint)hash;
        if (Avx2.IsSupported)
        {
            // Bit index of each word = (low * salt) >> 27; the bits to test = 1 << index, per 32-bit lane.
            var index = Vector256.ShiftRightLogical(Vector256.Create(low) * Salts256, 27);
            var mask = Avx2.ShiftLeftLogicalVariable(Vector256<uint>.One, index);
            var bits = Vector256.LoadUnsafe(ref block);
            return Avx.TestC(bits, mask);
        }

        for (var i = 0; i < WordsPerBlock; i++)
        {
            var bit = 1u << (int)((low * Salt(i)) >> 27);
            if ((Unsafe.Add(ref block, i) & bit) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Tests a batch of key hashes: <c>results[i] = MightContain(hashes[i])</c>. The blocks of a window of
    /// <see cref="BatchWindow"/> hashes are all requested from memory before the first is tested, so their cache misses
    /// overlap instead of following one another; this is the lookup to use when the filter is larger than the caches
    /// (at 50 M keys it is 75 MB, and a lone lookup waits for one DRAM access). Allocates nothing.
    /// </summary>
    /// <param name="hashes">The key hashes.</param>
    /// <param name="results">One result per hash; at least as long as <paramref name="hashes"/>.</param>
    public void MightContainBatch(ReadOnlySpan<ulong> hashes, Span<bool> results)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, hashes.Length, nameof(results));
        for (var start = 0; start < hashes.Length; start += BatchWindow)
        {
            var window = hashes.Slice(start, Math.Min(BatchWindow, hashes.Length - start));
            foreach (var hash in window)
            {
                Prefetch(hash);
            }

            var windowResults = results.Slice(start, window.Length);
            for (var i = 0; i < window.Length; i++)
            {
                windowResults[i] = MightContain(window[i]);
            }
        }
    }

    private static readonly Vector256<uint> Salts256 =
        Vector256.Create(0x47b6137bu, 0x44974d91u, 0x8824ad5bu, 0xa2b7289du, 0x705495c7u, 0x2df1424bu, 0x9efc4947u, 0x5c6bfb31u);

    // The eight odd multipliers of the Parquet split-block Bloom filter specification.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Salt(int i) => i switch
    {
        0 => 0x47b6137bu,
        1 => 0x44974d91u,
        2 => 0x8824ad5bu,
        3 => 0xa2b7289du,
        4 => 0x705495c7u,
        5 => 0x2df1424bu,
        6 => 0x9efc4947u,
        _ => 0x5c6bfb31u,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint BlockOf(ulong hash)
    {
        // (high32 * blocks) >> 32 maps the high half of the hash uniformly onto [0, blocks).
        var block = ((hash >> 32) * _blocks) >> 32;
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_words), (nint)_offset + ((nint)block * WordsPerBlock));
    }

    private static unsafe long AdviseHugePages(uint[] words) =>
        HugePages.Advise((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(words)), (long)words.Length * sizeof(uint));

    private static unsafe int AlignmentOffset(uint[] words)
    {
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(words));
        var misalignment = (int)(address % CacheLineBytes);
        return misalignment == 0 ? 0 : (CacheLineBytes - misalignment) / sizeof(uint);
    }
}
