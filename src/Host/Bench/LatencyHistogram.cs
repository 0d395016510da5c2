// An HDR-style latency histogram, written here because the HdrHistogram package is not served to this project
// (shared/DEPENDENCIES.md lists it under "Not served": write the small piece yourself, in one place, tested). It is one
// self-contained file on purpose, so it can be replaced by the real package without touching its callers.
//
// Layout (log-linear, like HdrHistogram): values are whole microseconds. Values below 256 µs have one exact bucket
// each. Above that, every power-of-two range [2^e, 2^(e+1)) is split into 128 equal linear sub-buckets of width
// 2^(e-7), so a bucket is at most 1/128 of its lowest value wide. A percentile is reported as the middle of its bucket:
// the relative error is at most 1/256 (0.39 %), and values below 256 µs are exact. Max and min are kept exactly.
// Values above 2^40 µs (about 12.7 days) are clamped into the last bucket.
//
// Recording is allocation-free and thread-safe (one Interlocked increment per value, plus rare compare-exchanges for
// min and max); reading percentiles walks the 4,352 counters.
using System.Globalization;
using System.Numerics;

namespace FraudShield.Host.Bench;

/// <summary>
/// A log-linear latency histogram over microseconds with a relative precision of 1/256 (exact below 256 µs),
/// allocation-free recording, and percentiles by rank.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Sub-buckets per power of two above the exact range.</summary>
    private const int SubBuckets = 128;

    /// <summary>log2(<see cref="SubBuckets"/>).</summary>
    private const int SubBucketBits = 7;

    /// <summary>Values below this have one exact bucket each (2 × SubBuckets).</summary>
    private const int ExactLimit = 2 * SubBuckets;

    /// <summary>The highest power of two tracked: values at or above 2^MaxExponent+1 are clamped.</summary>
    private const int MaxExponent = 39;

    private readonly long[] _counts = new long[ExactLimit + ((MaxExponent - 7) * SubBuckets)];
    private long _count;
    private long _min = long.MaxValue;
    private long _max;

    /// <summary>The relative precision of reported percentiles (half a bucket width over the bucket's lowest value).</summary>
    public const double RelativePrecision = 1.0 / (2 * SubBuckets);

    /// <summary>The highest value kept exactly (larger ones are clamped).</summary>
    public const long HighestTrackable = (1L << (MaxExponent + 1)) - 1;

    /// <summary>Values recorded.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The largest value recorded in microseconds (exact), 0 when empty.</summary>
    public long Max => Interlocked.Read(ref _max);

    /// <summary>The smallest value recorded in microseconds (exact), 0 when empty.</summary>
    public long Min => Count == 0 ? 0 : Interlocked.Read(ref _min);

    /// <summary>Records one value in microseconds (negative values count as 0). Allocation-free, thread-safe.</summary>
    public void Record(long microseconds)
    {
        var value = Math.Clamp(microseconds, 0, HighestTrackable);
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _count);
        long seen;
        while (value > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, value, seen) != seen)
        {
        }

        while (value < (seen = Volatile.Read(ref _min)) && Interlocked.CompareExchange(ref _min, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// The value at percentile <paramref name="percentile"/> (0-100] in microseconds: the middle of the bucket holding
    /// the value of rank ceil(p/100 × count) (so within <see cref="RelativePrecision"/> of it), clamped to the exact
    /// min and max; 100 gives the exact max. 0 when empty.
    /// </summary>
    public double ValueAtPercentile(double percentile)
    {
        var count = Count;
        if (count == 0)
        {
            return 0;
        }

        if (percentile >= 100)
        {
            return Max;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                var (low, width) = BucketOf(i);
                var middle = low + ((width - 1) / 2.0);
                return Math.Clamp(middle, Min, Max);
            }
        }

        return Max;
    }

    /// <summary>Adds every count of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            var c = Volatile.Read(ref other._counts[i]);
            if (c != 0)
            {
                Interlocked.Add(ref _counts[i], c);
            }
        }

        if (other.Count > 0)
        {
            Interlocked.Add(ref _count, other.Count);
            _max = Math.Max(_max, other.Max);
            _min = Math.Min(_min, other.Min);
        }
    }

    /// <summary>The median and the 99th percentile in milliseconds (the histogram records microseconds).</summary>
    public (double P50, double P99) P50P99Ms() => (ValueAtPercentile(50) / 1000, ValueAtPercentile(99) / 1000);

    /// <summary>A one-line summary in milliseconds.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"n={Count} p50={ValueAtPercentile(50) / 1000:F2}ms p99={ValueAtPercentile(99) / 1000:F2}ms p99.9={ValueAtPercentile(99.9) / 1000:F2}ms max={Max / 1000.0:F2}ms");

    /// <summary>The bucket index of a value in [0, HighestTrackable].</summary>
    internal static int IndexOf(long value)
    {
        if (value < ExactLimit)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value); // >= 8
        var shift = exponent - SubBucketBits;
        var sub = (int)(value >> shift) - SubBuckets; // 0..127
        return ExactLimit + ((exponent - 8) * SubBuckets) + sub;
    }

    /// <summary>The lowest value and the width of bucket <paramref name="index"/>.</summary>
    internal static (long Low, long Width) BucketOf(int index)
    {
        if (index < ExactLimit)
        {
            return (index, 1);
        }

        var exponent = ((index - ExactLimit) / SubBuckets) + 8;
        var sub = (index - ExactLimit) % SubBuckets;
        var shift = exponent - SubBucketBits;
        return ((long)(SubBuckets + sub) << shift, 1L << shift);
    }
}
