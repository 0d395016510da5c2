using System.Text;
using FraudShield.Ingest.Events;

namespace FraudShield.Ingest.Tests.Events;

public sealed class StringArrayTests
{
    [Theory]
    [InlineData(@"+8613800000000", "+8613800000000")]
    [InlineData(@"\u002B8613800000000", "+8613800000000")]
    [InlineData(@"a\""b\\c\n", "a\"b\\c\n")]
    public void Unescape_RawItem_DecodedText(string raw, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];
        var decoded = StringArray.Unescape(Encoding.UTF8.GetBytes(raw), buffer);

        Assert.Equal(expected, Encoding.UTF8.GetString(decoded));
    }

    [Fact]
    public void Unescape_BufferTooSmall_Empty()
    {
        Span<byte> buffer = stackalloc byte[4];

        Assert.True(StringArray.Unescape(@"\u002B86138"u8, buffer).IsEmpty);
    }
}
