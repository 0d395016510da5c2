using System.Text;
using System.Text.Json;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Tests;

/// <summary>
/// The parsers' fast tokenizer against <see cref="Utf8JsonReader"/>: whatever it reads to the end without bailing, the
/// reader reads without an error, token for token (type, value, start index, bytes consumed, depth); where it bails,
/// the tokens before are still the reader's.
/// </summary>
public sealed class FastJsonTokensTests
{
    public static TheoryData<string> Accepted() =>
    [
        "{}",
        " \t\r\n{ } \n",
        "{\"a\":1}",
        "{\"a\" : \"x\" , \"b\" :\n[ 1 , -2 , 0 , -0 ] }",
        "{\"a\":{\"b\":{\"c\":[[],[{}],{\"d\":null}]}},\"e\":true,\"f\":false}",
        "{\"a\":\"\",\"\":\"b\",\"c\":\"\u00e9\u4e2d\"}",
        "{\"n\":9223372036854775807,\"m\":99999999999999999999999}",
        "{\"event_id\":\"c7-1\",\"calling\":\"+8613800000532\",\"start_ms\":1789999668000,\"answered\":true,\"roaming\":false}",
    ];

    public static TheoryData<string> Bailed() =>
    [
        "",
        "   ",
        "[]",
        "\"a\"",
        "1",
        "{",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "{\"a\":1}x",
        "{\"a\":1}{}",
        "{\"a\":1.5}",
        "{\"a\":1e3}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{\"a\":+1}",
        "{\"a\":1/**/}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{\"a\":nul}",
        "{\"a\":\"x\\ny\"}",
        "{\"\\u0061\":1}",
        "{\"a\":\"x\ty\"}",
        "{\"a\":[1,]}",
        "{\"a\":[1}",
        "{\"a\":{\"b\":1]}",
        "{\"a\" 1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":\"x\"]",
        "\u00ef\u00bb\u00bf{}",
    ];

    [Theory]
    [MemberData(nameof(Accepted))]
    public void Read_AcceptedJson_SameTokensAsReader(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.False(Compare(bytes), "bailed");
    }

    [Theory]
    [MemberData(nameof(Bailed))]
    public void Read_JsonOutsideTheFastSubset_BailsAndStaysStopped(string json)
    {
        var bytes = Encoding.Latin1.GetBytes(json);
        Assert.True(Compare(bytes), "did not bail");

        var fast = new FastJsonTokens(bytes);
        while (fast.Read())
        {
        }

        Assert.True(fast.Bailed);
        Assert.False(fast.Read());
        Assert.Equal(JsonTokenType.None, fast.TokenType);
    }

    [Fact]
    public void ValueIsAscii_StringsWithAndWithoutHighBytes_TellsWhichIsAscii()
    {
        var fast = new FastJsonTokens("{\"a\":\"plain\",\"b\":\"caf\u00e9\",\"\u00e9\":\"\"}"u8);
        var ascii = new List<bool>();
        while (fast.Read())
        {
            if (fast.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                ascii.Add(fast.ValueIsAscii);
            }
        }

        Assert.False(fast.Bailed);
        Assert.Equal([true, true, true, false, false, true], ascii);
    }

    [Fact]
    public void Read_NestingDeeperThan63_Bails()
    {
        var ok = "{\"a\":" + string.Concat(Enumerable.Repeat("[", 62)) + string.Concat(Enumerable.Repeat("]", 62)) + "}";
        var deep = "{\"a\":" + string.Concat(Enumerable.Repeat("[", 63)) + string.Concat(Enumerable.Repeat("]", 63)) + "}";
        Assert.False(Compare(Encoding.ASCII.GetBytes(ok)));
        Assert.True(Compare(Encoding.ASCII.GetBytes(deep)));
    }

    [Fact]
    public void Skip_ObjectsAndArrays_SameAsReader()
    {
        var bytes = "{\"a\":{\"b\":[1,{\"c\":[]}]},\"d\":[[2],[3]],\"e\":7}"u8.ToArray();
        var reader = new Utf8JsonReader(bytes, JsonRead.ReaderOptions);
        var fast = new FastJsonTokens(bytes);
        while (reader.Read())
        {
            Assert.True(fast.Read());
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                reader.Skip();
                fast.Skip();
            }

            AssertSame(ref reader, ref fast);
        }

        Assert.False(fast.Read());
        Assert.False(fast.Bailed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(20261204)]
    public void Read_SampleMutations_SameTokensAsReaderUnlessBailed(int seed)
    {
        var random = new Random(seed);
        var sources = Samples.All.SelectMany(k => new[] { k.Full, k.Minimal }).ToArray();
        int accepted = 0;
        for (int i = 0; i < 4000; i++)
        {
            var bytes = JsonMutations.Mutate(random, sources[i % sources.Length]);
            accepted += Compare(bytes) ? 0 : 1;
        }

        Assert.True(accepted > 100, $"only {accepted} mutations read to the end");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(99)]
    public void Read_RandomBytes_SameTokensAsReaderUnlessBailed(int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < 4000; i++)
        {
            var bytes = new byte[random.Next(0, 60)];
            for (int j = 0; j < bytes.Length; j++)
            {
                bytes[j] = i % 4 == 0 ? (byte)random.Next(256) : JsonMutations.Alphabet[random.Next(JsonMutations.Alphabet.Length)];
            }

            if (bytes.Length > 0 && i % 2 == 1)
            {
                bytes[0] = (byte)'{';
            }

            Compare(bytes);
        }
    }

    // Reads both to the end; true when the fast tokens bailed. Until then every token must be the reader's, and a
    // fast read to the end must be a reader read to the end without an exception.
    private static bool Compare(byte[] bytes)
    {
        var fast = new FastJsonTokens(bytes);
        var tokens = new List<(JsonTokenType Type, string Value, long Start, long Consumed, int Depth)>();
        while (fast.Read())
        {
            tokens.Add((fast.TokenType, Convert.ToHexString(fast.ValueSpan), fast.TokenStartIndex, fast.BytesConsumed, fast.CurrentDepth));
            if (fast.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                Assert.Equal(System.Text.Ascii.IsValid(fast.ValueSpan), fast.ValueIsAscii);
            }
        }

        var expected = new List<(JsonTokenType, string, long, long, int)>();
        bool readerFailed = false;
        try
        {
            var reader = new Utf8JsonReader(bytes, JsonRead.ReaderOptions);
            while (reader.Read())
            {
                expected.Add((reader.TokenType, Convert.ToHexString(ValueOf(ref reader)), reader.TokenStartIndex, reader.BytesConsumed, reader.CurrentDepth));
            }
        }
        catch (JsonException)
        {
            readerFailed = true;
        }

        var input = Convert.ToHexString(bytes);
        if (fast.Bailed)
        {
            Assert.True(tokens.Count <= expected.Count || readerFailed, input);
            Assert.Equal(expected.Take(tokens.Count), tokens);
            return true;
        }

        Assert.False(readerFailed, $"reader rejected what the fast path read: {input}");
        Assert.Equal(expected, tokens);
        Assert.Equal(bytes.Length, fast.BytesConsumed);
        return false;
    }

    private static ReadOnlySpan<byte> ValueOf(ref Utf8JsonReader reader) =>
        reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.EndObject or JsonTokenType.EndArray
            ? default
            : reader.ValueSpan;

    private static void AssertSame(ref Utf8JsonReader reader, ref FastJsonTokens fast)
    {
        Assert.Equal(reader.TokenType, fast.TokenType);
        Assert.Equal(reader.TokenStartIndex, fast.TokenStartIndex);
        Assert.Equal(reader.BytesConsumed, fast.BytesConsumed);
        Assert.Equal(reader.CurrentDepth, fast.CurrentDepth);
        Assert.True(ValueOf(ref reader).SequenceEqual(fast.ValueSpan));
    }
}
