using FraudShield.Ingest.Events;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests;

/// <summary>Randomized inputs (fixed seeds): the parsers never throw and always explain a rejection.</summary>
public sealed class RobustnessTests
{
    private static readonly byte[] Alphabet = "{}[]\":,\\ 0123456789-+.eEtrufalsn\u0000\u001f\u00ff"u8.ToArray();

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
            var bytes = Mutate(random, sources[i % 2]);
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
                    bytes[j] = Alphabet[random.Next(Alphabet.Length)];
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

    private static byte[] Mutate(Random random, byte[] source)
    {
        var bytes = new List<byte>(source);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                case 3:
                    bytes.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    int len = random.Next(1, Math.Min(20, bytes.Count - at) + 1);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, len));
                    break;
            }
        }

        return [.. bytes];
    }
}
