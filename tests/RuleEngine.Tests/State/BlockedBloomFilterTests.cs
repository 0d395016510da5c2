using FraudShield.RuleEngine.State;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.State;

public sealed class BlockedBloomFilterTests
{
    private const int Keys = 1_000_000;

    private static ulong[] RandomKeys(int count, int seed)
    {
        var random = new Random(seed);
        var keys = new ulong[count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
        }

        return keys;
    }

    private static double FalsePositiveRate(BlockedBloomFilter filter, int probes, int seed)
    {
        var hits = 0;
        foreach (var key in RandomKeys(probes, seed))
        {
            hits += filter.MightContain(key) ? 1 : 0;
        }

        return (double)hits / probes;
    }

    [Fact]
    public void MightContain_MillionAddedKeys_NoFalseNegatives()
    {
        var filter = new BlockedBloomFilter(Keys);
        var keys = RandomKeys(Keys, seed: 1);
        foreach (var key in keys)
        {
            filter.Add(key);
        }

        var missing = keys.Count(key => !filter.MightContain(key));

        Assert.Equal(0, missing);
    }

    [Fact]
    public void MightContain_AtCapacity_FalsePositiveRateWithinDocumentedBound()
    {
        var filter = new BlockedBloomFilter(Keys);
        foreach (var key in RandomKeys(Keys, seed: 2))
        {
            filter.Add(key);
        }

        // Documented: 0.54 % at capacity; 1 M probes put the standard error near 0.007 %.
        var rate = FalsePositiveRate(filter, Keys, seed: 3);

        Assert.InRange(rate, 0.0040, 0.0065);
        Assert.Equal(Keys * BlockedBloomFilter.DefaultBitsPerEntry / 8, filter.SizeBytes);
    }

    [Fact]
    public void MightContain_TwiceCapacity_RateRisesAndNoFalseNegatives()
    {
        var filter = new BlockedBloomFilter(Keys / 4);
        var keys = RandomKeys(Keys / 2, seed: 4);
        foreach (var key in keys)
        {
            filter.Add(key);
        }

        // Documented: 9.9 % at twice the capacity.
        var rate = FalsePositiveRate(filter, Keys / 4, seed: 5);

        Assert.InRange(rate, 0.085, 0.115);
        Assert.All(keys, key => Assert.True(filter.MightContain(key)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(BlockedBloomFilter.BatchWindow - 1)]
    [InlineData(BlockedBloomFilter.BatchWindow)]
    [InlineData(BlockedBloomFilter.BatchWindow + 1)]
    [InlineData(1_001)]
    public void MightContainBatch_RandomHashes_EqualsMightContainOneByOne(int length)
    {
        // Twice the capacity: about 10 % of the absent hashes pass too, so both answers occur among them.
        var filter = new BlockedBloomFilter(1_000);
        var added = RandomKeys(2_000, seed: 8);
        foreach (var key in added)
        {
            filter.Add(key);
        }

        var random = new Random(9 + length);
        var absent = RandomKeys(length, seed: 10 + length);
        var hashes = new ulong[length];
        for (var i = 0; i < length; i++)
        {
            hashes[i] = random.Next(3) == 0 ? added[random.Next(added.Length)] : absent[i];
        }

        var results = new bool[length + 3];
        results.AsSpan().Fill(true);
        filter.MightContainBatch(hashes, results);

        for (var i = 0; i < length; i++)
        {
            Assert.Equal(filter.MightContain(hashes[i]), results[i]);
        }

        Assert.True(results.AsSpan(length).IndexOf(false) < 0, "results past the batch are left alone");
        if (length >= 64)
        {
            Assert.Contains(true, results.AsSpan(0, length).ToArray());
            Assert.Contains(false, results.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void MightContainBatch_ResultsShorterThanHashes_Throws()
    {
        var filter = new BlockedBloomFilter(1_000);

        Assert.Throws<ArgumentOutOfRangeException>(() => filter.MightContainBatch(new ulong[3], new bool[2]));
    }

    [Fact]
    public void HugePageBytes_FilterOfSeveralHugePages_AdvisedOnLinuxAndLookupsUnchanged()
    {
        // 10 M keys: 15 MB of filter bits, seven or more whole 2 MiB pages.
        var filter = new BlockedBloomFilter(10_000_000);
        var keys = RandomKeys(100_000, seed: 11);
        foreach (var key in keys)
        {
            filter.Add(key);
        }

        var thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (OperatingSystem.IsLinux() && File.Exists(thp))
        {
            Assert.InRange(filter.HugePageBytes, filter.SizeBytes - (4 << 20), filter.SizeBytes);
            Assert.Equal(0, filter.HugePageBytes % (2 << 20));
        }
        else
        {
            Assert.Equal(0, filter.HugePageBytes);
        }

        Assert.All(keys, key => Assert.True(filter.MightContain(key)));
        Assert.Equal(0, new BlockedBloomFilter(1_000).HugePageBytes);
    }

    [Fact]
    public void MightContain_EmptyFilter_False()
    {
        var filter = new BlockedBloomFilter(0);

        Assert.False(filter.MightContain(0));
        Assert.False(filter.MightContain(ulong.MaxValue));
        Assert.Equal(32, filter.SizeBytes);
    }

    [Fact]
    public async Task Add_ConcurrentWritersAndReaders_EveryKeyPresentAfterItsAdd()
    {
        var filter = new BlockedBloomFilter(Keys);
        var keys = RandomKeys(Keys / 2, seed: 6);
        var half = keys.Length / 2;
        var falseNegatives = 0;

        // Two writers add disjoint halves; a reader checks keys already published by writer 0.
        var published = 0;
        var writer0 = Task.Run(() =>
        {
            for (var i = 0; i < half; i++)
            {
                filter.Add(keys[i]);
                Volatile.Write(ref published, i + 1);
            }
        });
        var writer1 = Task.Run(() =>
        {
            for (var i = half; i < keys.Length; i++)
            {
                filter.Add(keys[i]);
            }
        });
        var reader = Task.Run(() =>
        {
            var random = new Random(7);
            while (Volatile.Read(ref published) < half)
            {
                var upTo = Volatile.Read(ref published);
                if (upTo > 0 && !filter.MightContain(keys[random.Next(upTo)]))
                {
                    Interlocked.Increment(ref falseNegatives);
                }
            }
        });

        await Task.WhenAll(writer0, writer1, reader).WithTimeout(TimeSpan.FromSeconds(60));
        Assert.Equal(0, falseNegatives);
        Assert.All(keys, key => Assert.True(filter.MightContain(key)));
    }
}
