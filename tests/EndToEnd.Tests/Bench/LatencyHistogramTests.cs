using FraudShield.Host.Bench;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>The bench's HDR-style histogram against a sorted-array reference, and its allocation-free recording.</summary>
public sealed class LatencyHistogramTests
{
    public static TheoryData<int, int> Seeds => new() { { 1, 10 }, { 2, 1_000 }, { 3, 100_000 }, { 4, 250_000 } };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ValueAtPercentile_RandomLogNormalData_WithinStatedPrecisionOfSortedReference(int seed, int count)
    {
        var random = new Random(seed);
        var histogram = new LatencyHistogram();
        var values = new long[count];
        for (var i = 0; i < count; i++)
        {
            // Log-normal around ~3 ms with a long tail up to seconds, plus some exact small values.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            values[i] = i % 17 == 0 ? random.Next(0, 300) : (long)Math.Exp(8 + (1.5 * normal));
            histogram.Record(values[i]);
        }

        Array.Sort(values);
        Assert.Equal(count, histogram.Count);
        Assert.Equal(values[^1], histogram.Max);
        Assert.Equal(values[0], histogram.Min);
        foreach (var p in new[] { 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 })
        {
            var reference = values[Math.Clamp((int)Math.Ceiling(p / 100 * count) - 1, 0, count - 1)];
            var measured = histogram.ValueAtPercentile(p);
            var tolerance = Math.Max(0.5, reference * LatencyHistogram.RelativePrecision);
            Assert.True(Math.Abs(measured - reference) <= tolerance, $"p{p}: {measured} vs reference {reference} (tolerance {tolerance})");
        }
    }

    [Fact]
    public void IndexOf_EveryBucketBoundary_RoundTripsThroughBucketOf()
    {
        var previous = -1;
        for (long v = 0; v < 1L << 22; v = v < 1024 ? v + 1 : v + (v >> 9))
        {
            var index = LatencyHistogram.IndexOf(v);
            var (low, width) = LatencyHistogram.BucketOf(index);
            Assert.InRange(v, low, low + width - 1);
            Assert.True(width == 1 || width / 2.0 / low <= LatencyHistogram.RelativePrecision, $"bucket {index} [{low}, +{width}) is wider than the stated precision");
            Assert.True(index >= previous);
            previous = index;
        }

        Assert.InRange(LatencyHistogram.IndexOf(LatencyHistogram.HighestTrackable), 0, int.MaxValue);
    }

    [Fact]
    public void Record_ManyValues_AllocatesNothing()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(1);
        var random = new Random(7);
        var values = Enumerable.Range(0, 10_000).Select(_ => (long)random.Next(0, int.MaxValue)).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 100; round++)
        {
            foreach (var v in values)
            {
                histogram.Record(v);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1_000_001, histogram.Count);
    }

    [Fact]
    public void Record_NegativeAndHugeValues_AreClamped()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);
        histogram.Record(long.MaxValue);
        Assert.Equal(0, histogram.Min);
        Assert.Equal(LatencyHistogram.HighestTrackable, histogram.Max);
        Assert.Equal(0, histogram.ValueAtPercentile(50));
        Assert.Equal(LatencyHistogram.HighestTrackable, histogram.ValueAtPercentile(100));
    }

    [Fact]
    public void ValueAtPercentile_Empty_IsZero()
    {
        Assert.Equal(0, new LatencyHistogram().ValueAtPercentile(99));
    }

    [Fact]
    public void P50P99Ms_TheMicrosecondPercentilesInMilliseconds()
    {
        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 100; ms++)
        {
            histogram.Record(ms * 1000L); // microseconds
        }

        var (p50, p99) = histogram.P50P99Ms();

        Assert.Equal(histogram.ValueAtPercentile(50) / 1000, p50);
        Assert.Equal(histogram.ValueAtPercentile(99) / 1000, p99);
        Assert.InRange(p50, 49.5, 50.5);
        Assert.InRange(p99, 98.5, 99.5);
    }
}
