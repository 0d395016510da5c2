using FraudShield.Ingest.Events;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests;

/// <summary>Randomized inputs (fixed seeds): the parsers never throw and always explain a rejection.</summary>
public sealed class RobustnessTests
{

    public static TheoryData<string, int> KindsAndSeeds()
    {
        var data = new TheoryData<string, int>();
        foreach (var k in Samples.All)
        {
            data.Add(k.Name, 1);
            data.Add(k.Name, 20240611);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndSeeds))]
    public void Parse_RandomMutations_NeverThrowsAndExplainsRejection(string kind, int seed)
    {
        var k = Samples.ByName(kind);
        var parser = new EventParser();
        var random = new Random(seed);
        var sources = new[] { k.Full, k.Minimal };
        for (int i = 0; i < 3000; i++)
        {
            var bytes = JsonMutations.Mutate(random, sources[i % 2]);
            Check(k, parser, bytes);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(99)]
    public void Parse_PureRandomBytes_NeverThrowsAndExplainsRejection(int seed)
    {
        var parser = new EventParser();
        var random = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            if (i % 2 == 0)
            {
                random.NextBytes(bytes);
            }
            else
            {
                for (int j = 0; j < bytes.Length; j++)
                {
                    bytes[j] = JsonMutations.Alphabet[random.Next(JsonMutations.Alphabet.Length)];
                }

                if (bytes.Length > 0)
                {
                    bytes[0] = (byte)'{';
                }
            }

            foreach (var k in Samples.All)
            {
                Check(k, parser, bytes);
            }
        }
    }

    private static void Check(EventKind k, EventParser parser, byte[] bytes)
    {
        ParseOutcome span;
        ParseOutcome split;
        try
        {
            span = k.ParseSpan(parser, bytes);
            split = k.ParseSequence(parser, Sequences.Split(bytes, bytes.Length / 3));
        }
        catch (Exception ex)
        {
            Assert.Fail($"{k.Name} threw {ex.GetType().Name} on {Convert.ToHexString(bytes)}: {ex.Message}");
            return;
        }

        Assert.True(span.Ok || span.Reason != RejectReason.None);
        Assert.Equal(span, split);
    }
}
