using System.Text;
using System.Text.Json;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Tests;

/// <summary>The field readers' inline fast paths give what the reader's own general parsers give.</summary>
public sealed class JsonReadTests
{
    public static TheoryData<string> Numbers() =>
    [
        "0", "-0", "1", "-1", "7", "42", "1790000000000", "-1790000000000", "999999999", "1000000000", "-999999999",
        "2147483647", "2147483648", "-2147483648", "-2147483649", "999999999999999999", "-999999999999999999",
        "1000000000000000000", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "99999999999999999999", "1.5", "0.0", "-0.0", "1e3", "1E3", "-1e-3", "12.50",
    ];

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Int64_AnyNumber_SameAsTryGetInt64(string number)
    {
        var expectedOk = OnValue(number).TryGetInt64(out long expected);

        var reader = new ReaderTokens(Json(number));
        MoveToValue(ref reader);
        Assert.Equal(expectedOk ? RejectReason.None : RejectReason.InvalidValue, JsonRead.Int64(ref reader, out long value));
        Assert.Equal(expected, value);

        var fast = new FastJsonTokens(Json(number));
        if (MoveToValue(ref fast))
        {
            Assert.Equal(expectedOk ? RejectReason.None : RejectReason.InvalidValue, JsonRead.Int64(ref fast, out value));
            Assert.Equal(expected, value);
            Assert.Equal(expectedOk, fast.TryGetInt64(out value));
            Assert.Equal(expected, value);
        }
    }

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Int32_AnyNumber_SameAsTryGetInt32(string number)
    {
        var expectedOk = OnValue(number).TryGetInt32(out int expected);

        var reader = new ReaderTokens(Json(number));
        MoveToValue(ref reader);
        Assert.Equal(expectedOk ? RejectReason.None : RejectReason.InvalidValue, JsonRead.Int32(ref reader, out int value));
        Assert.Equal(expected, value);

        var fast = new FastJsonTokens(Json(number));
        if (MoveToValue(ref fast))
        {
            Assert.Equal(expectedOk ? RejectReason.None : RejectReason.InvalidValue, JsonRead.Int32(ref fast, out value));
            Assert.Equal(expected, value);
            Assert.Equal(expectedOk, fast.TryGetInt32(out value));
            Assert.Equal(expected, value);
        }
    }

    [Theory]
    [InlineData("", 18)]
    [InlineData("-", 18)]
    [InlineData("1234567890", 9)]
    [InlineData("-1234567890", 9)]
    [InlineData("1234567890123456789", 18)]
    [InlineData("1.5", 18)]
    [InlineData("1e3", 18)]
    public void TryParseInteger_NotAShortInteger_False(string text, int maxDigits)
    {
        Assert.False(JsonRead.TryParseInteger(Encoding.ASCII.GetBytes(text), maxDigits, out long value));
        Assert.Equal(0, value);
    }

    private static byte[] Json(string number) => Encoding.ASCII.GetBytes("{\"v\":" + number + "}");

    private static Utf8JsonReader OnValue(string number)
    {
        var reader = new Utf8JsonReader(Json(number));
        Assert.True(reader.Read() && reader.Read() && reader.Read());
        Assert.Equal(JsonTokenType.Number, reader.TokenType);
        return reader;
    }

    // Moves onto the value; false when the tokens stop first (the fast path does not take fractions or exponents).
    private static bool MoveToValue<TTokens>(ref TTokens tokens)
        where TTokens : IJsonTokens, allows ref struct
    {
        bool onValue = tokens.Read() && tokens.Read() && tokens.Read();
        Assert.True(!onValue || tokens.TokenType == JsonTokenType.Number);
        return onValue;
    }
}
