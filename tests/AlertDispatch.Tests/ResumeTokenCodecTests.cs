using FraudShield.AlertDispatch.Internal;

namespace FraudShield.AlertDispatch.Tests;

/// <summary>Resume token text: formatted as UTF-8 into a span and as a string, parsed back.</summary>
public sealed class ResumeTokenCodecTests
{
    [Theory]
    [InlineData(0u, 0L, "1.00000000.0")]
    [InlineData(0xdeadbeefu, 42L, "1.deadbeef.42")]
    [InlineData(uint.MaxValue, long.MaxValue, "1.ffffffff.9223372036854775807")]
    public void Format_BothForms_SameText_AndParseBack(uint epoch, long sequence, string expected)
    {
        Span<byte> utf8 = stackalloc byte[ResumeTokenCodec.MaxUtf8Length];
        var written = ResumeTokenCodec.FormatUtf8(epoch, sequence, utf8);

        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(utf8[..written]));
        Assert.Equal(expected, ResumeTokenCodec.Format(epoch, sequence));
        Assert.True(ResumeTokenCodec.TryParse(expected, out var parsedEpoch, out var parsedSequence));
        Assert.Equal((epoch, sequence), (parsedEpoch, parsedSequence));
    }

    [Fact]
    public void FormatUtf8_DestinationTooShort_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => ResumeTokenCodec.FormatUtf8(1, 123, new byte[5]));
        Assert.Equal("destination", ex.ParamName);
    }
}
