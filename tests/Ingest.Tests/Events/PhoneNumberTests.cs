using System.Text;
using FraudShield.Ingest.Events;

namespace FraudShield.Ingest.Tests;

public sealed class PhoneNumberTests
{
    [Theory]
    [InlineData("+8613800138000", 8613800138000UL)]                 // +CC: international as given
    [InlineData("+86 138-0013-8000", 8613800138000UL)]              // separators stripped
    [InlineData("+44 (0)7911.123456", 4407911123456UL)]             // digits as given after +
    [InlineData("+1 (202) 555-0100", 12025550100UL)]
    [InlineData("008613800138000", 8613800138000UL)]                // 00CC
    [InlineData("00 44 7911 123456", 447911123456UL)]
    [InlineData("010-12345678", 861012345678UL)]                    // national trunk 0 -> CC + rest
    [InlineData("013800138000", 8613800138000UL)]
    [InlineData("(0755) 8765-4321", 8675587654321UL)]
    [InlineData("13800138000", 8613800138000UL)]                    // exactly 11 national digits
    [InlineData("138 0013 8000", 8613800138000UL)]
    [InlineData("95588", 95588UL)]                                  // short codes 3-6 digits
    [InlineData("110", 110UL)]
    [InlineData("96110", 96110UL)]
    [InlineData("123456", 123456UL)]
    [InlineData("8613800138000", 8613800138000UL)]                  // already with CC, 12-15 digits
    [InlineData("861012345678", 861012345678UL)]
    [InlineData("861234567890123", 861234567890123UL)]
    public void TryNormalize_Accepted_E164(string input, ulong expected)
    {
        Assert.True(PhoneNumber.TryNormalize(Encoding.UTF8.GetBytes(input), ParserOptions.Default, out var e164), input);
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("12")]                          // fewer than 3 digits
    [InlineData("1")]
    [InlineData("ICBC")]                        // letters
    [InlineData("138001380OO")]
    [InlineData("1380013800x")]
    [InlineData("+")]
    [InlineData("++8613800138000")]
    [InlineData("86+13800138000")]              // + not first
    [InlineData("+08613800138000")]             // country code cannot start with 0
    [InlineData("+123456")]                     // international too short
    [InlineData("+8613800138000123")]           // more than 15 digits
    [InlineData("0086138001380001234")]
    [InlineData("000861380013800")]             // three leading zeros
    [InlineData("00")]
    [InlineData("0")]
    [InlineData("01234")]                       // trunk prefix with too few digits
    [InlineData("1234567")]                     // 7-10 digits without prefix
    [InlineData("1380013800")]
    [InlineData("123456789012")]                // 12 digits not starting with 86
    [InlineData("8612345678901234")]            // 16 digits
    [InlineData("12345678901234567890123")]
    [InlineData("138\u00A00013 8000")]          // non-breaking space is not a separator
    [InlineData("13800138000/1")]
    public void TryNormalize_Rejected_FalseAndZero(string input)
    {
        Assert.False(PhoneNumber.TryNormalize(Encoding.UTF8.GetBytes(input), ParserOptions.Default, out var e164), input);
        Assert.Equal(0UL, e164);
    }

    [Fact]
    public void TryNormalize_OtherOptions_UsesCountryCodeAndLength()
    {
        var uk = new ParserOptions { DefaultCountryCode = 44, NationalNumberLength = 10 };
        Assert.True(PhoneNumber.TryNormalize("7911123456"u8, uk, out var a));
        Assert.Equal(447911123456UL, a);
        Assert.True(PhoneNumber.TryNormalize("07911 123456"u8, uk, out var b));
        Assert.Equal(447911123456UL, b);
        Assert.True(PhoneNumber.TryNormalize("447911123456"u8, uk, out var c));
        Assert.Equal(447911123456UL, c);
        Assert.False(PhoneNumber.TryNormalize("13800138000"u8, uk, out _));

        var us = new ParserOptions { DefaultCountryCode = 1, NationalNumberLength = 10 };
        Assert.True(PhoneNumber.TryNormalize("202-555-0100"u8, us, out var d));
        Assert.Equal(12025550100UL, d);
    }

    [Theory]
    [InlineData("8613800138000", 8613800138000UL)]
    [InlineData("1", 1UL)]
    [InlineData("123456789012345", 123456789012345UL)]
    [InlineData("1234567890123456", 0UL)] // 16 digits
    [InlineData("+8613800138000", 0UL)]
    [InlineData("86 138", 0UL)]
    [InlineData("", 0UL)]
    public void TryParseE164Digits_OnlyPlainDigits(string key, ulong expected)
    {
        Assert.Equal(expected != 0, PhoneNumber.TryParseE164Digits(Encoding.UTF8.GetBytes(key), out var e164));
        Assert.Equal(expected, e164);
    }

    [Fact]
    public void TryNormalize_NullOptions_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => PhoneNumber.TryNormalize("110"u8, null!, out _));
    }

    [Theory]
    [InlineData(8613800138000UL, "861******8000")]
    [InlineData(447911123456UL, "447*****3456")]
    [InlineData(12345678UL, "123*5678")]
    [InlineData(1234567UL, "*****67")]
    [InlineData(95588UL, "***88")]
    [InlineData(110UL, "*10")]
    [InlineData(12UL, "12")]
    [InlineData(0UL, "0")]
    public void Mask_Digits_FirstThreeLastFourOrLastTwo(ulong e164, string expected)
    {
        Assert.Equal(expected, PhoneNumber.Mask(e164));
        Span<char> buffer = stackalloc char[20];
        int n = PhoneNumber.FormatMasked(e164, buffer);
        Assert.Equal(expected, new string(buffer[..n]));
    }

    [Fact]
    public void FormatMasked_DestinationTooShort_ReturnsZero()
    {
        Span<char> buffer = stackalloc char[12];
        Assert.Equal(0, PhoneNumber.FormatMasked(8613800138000UL, buffer));
        Assert.Equal(20, PhoneNumber.FormatMasked(ulong.MaxValue, stackalloc char[20]));
    }

    [Theory]
    [InlineData("6222020000001234", "****1234")]
    [InlineData("12345", "****2345")]
    [InlineData("1234", "****")]
    [InlineData("", "****")]
    [InlineData("ACC-99\u00e9", "****99**")] // the two bytes of the non-ASCII letter show as '*'
    public void MaskAccount_KeepsLastFour(string account, string expected)
    {
        Assert.Equal(expected, Masking.MaskAccount(Encoding.UTF8.GetBytes(account)));
    }
}
