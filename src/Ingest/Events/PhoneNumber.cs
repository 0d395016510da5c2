using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

/// <summary>Normalizes phone numbers to E.164 digits held in a <see cref="ulong"/> and masks them for logs.</summary>
public static class PhoneNumber
{
    private const int MaxDigits = 15;

    /// <summary>
    /// Normalizes a phone number written in UTF-8 to its E.164 digits, in this order of rules:
    /// spaces, <c>-</c>, <c>(</c>, <c>)</c> and <c>.</c> are ignored; <c>+CC...</c> or <c>00CC...</c> gives the
    /// international digits as written (7 to 15 digits, not starting with 0); a single leading <c>0</c> (national trunk
    /// prefix, <c>010-12345678</c>) is replaced by the default country code (at least 6 digits after it); exactly
    /// <see cref="ParserOptions.NationalNumberLength"/> digits get the default country code prefixed; 3 to 6 digits are
    /// a short code kept as is; 12 to 15 digits already starting with the default country code are kept.
    /// Anything else (letters, a misplaced <c>+</c>, more than 15 digits, fewer than 3, empty) fails.
    /// </summary>
    /// <param name="utf8">The number as written.</param>
    /// <param name="options">Supplies the default country code and national number length.</param>
    /// <param name="e164">The E.164 digits as a number (8613800138000), or 0 on failure.</param>
    /// <returns>Whether the number normalized.</returns>
    public static bool TryNormalize(ReadOnlySpan<byte> utf8, ParserOptions options, out ulong e164)
    {
        ArgumentNullException.ThrowIfNull(options);
        e164 = 0;

        // Digits are collected as a number plus a count; 19 digits still fit a ulong, 17 is all "00" + 15 needs.
        ulong value = 0;
        int digits = 0;
        int leadingZeros = 0;
        bool plus = false;
        bool any = false;
        foreach (byte b in utf8)
        {
            if (b is >= (byte)'0' and <= (byte)'9')
            {
                if (digits == 17)
                {
                    return false;
                }

                if (value == 0 && b == (byte)'0' && leadingZeros == digits)
                {
                    leadingZeros++;
                }

                value = (value * 10) + (uint)(b - '0');
                digits++;
                any = true;
            }
            else if (b == (byte)'+' && !any && !plus)
            {
                plus = true;
                any = true;
            }
            else if (b is not ((byte)' ' or (byte)'-' or (byte)'(' or (byte)')' or (byte)'.'))
            {
                return false;
            }
        }

        if (plus)
        {
            return TryInternational(value, digits, leadingZeros, out e164);
        }

        if (leadingZeros >= 2)
        {
            return TryInternational(value, digits - 2, leadingZeros - 2, out e164);
        }

        ulong cc = (ulong)options.DefaultCountryCode;
        int ccDigits = CountDigits(cc);
        if (leadingZeros == 1)
        {
            int rest = digits - 1;
            if (rest < 6 || rest + ccDigits > MaxDigits || options.DefaultCountryCode <= 0)
            {
                return false;
            }

            e164 = (cc * Pow10(rest)) + value;
            return true;
        }

        if (digits == options.NationalNumberLength && digits + ccDigits <= MaxDigits && options.DefaultCountryCode > 0)
        {
            e164 = (cc * Pow10(digits)) + value;
            return true;
        }

        if (digits is >= 3 and <= 6)
        {
            e164 = value;
            return true;
        }

        if (digits is >= 12 and <= MaxDigits && options.DefaultCountryCode > 0 && value / Pow10(digits - ccDigits) == cc)
        {
            e164 = value;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Reads E.164 digits as the event topics' record keys carry them (1 to 15 digits, nothing else: no <c>+</c>, no
    /// separators); anything else fails with 0.
    /// </summary>
    /// <param name="digits">The key.</param>
    /// <param name="e164">The number, or 0.</param>
    /// <returns>Whether the key is such digits.</returns>
    public static bool TryParseE164Digits(ReadOnlySpan<byte> digits, out ulong e164)
    {
        e164 = 0;
        return digits.Length is > 0 and <= MaxDigits && JsonRead.TryParseDigits(digits, out e164);
    }

    /// <summary>
    /// Writes the masked form of a number: the first 3 and last 4 digits kept (8613800138000 → <c>861******8000</c>);
    /// numbers of 7 digits or fewer keep only the last 2.
    /// </summary>
    /// <param name="e164">The E.164 digits.</param>
    /// <param name="destination">Where to write; 20 characters always suffice.</param>
    /// <returns>The number of characters written, or 0 when <paramref name="destination"/> is too short.</returns>
    public static int FormatMasked(ulong e164, Span<char> destination)
    {
        int n = CountDigits(e164);
        if (destination.Length < n)
        {
            return 0;
        }

        ulong v = e164;
        for (int i = n - 1; i >= 0; i--)
        {
            destination[i] = (char)('0' + (int)(v % 10));
            v /= 10;
        }

        if (n > 7)
        {
            destination[3..(n - 4)].Fill('*');
        }
        else if (n > 2)
        {
            destination[..(n - 2)].Fill('*');
        }

        return n;
    }

    /// <summary>The masked form of a number as a string (see <see cref="FormatMasked"/>); allocates, for logs.</summary>
    /// <param name="e164">The E.164 digits.</param>
    /// <returns>The masked text.</returns>
    public static string Mask(ulong e164)
    {
        Span<char> buffer = stackalloc char[20];
        int n = FormatMasked(e164, buffer);
        return new string(buffer[..n]);
    }

    private static bool TryInternational(ulong value, int digits, int leadingZeros, out ulong e164)
    {
        e164 = 0;
        if (digits is < 7 or > MaxDigits || leadingZeros > 0)
        {
            return false;
        }

        e164 = value;
        return true;
    }

    private static int CountDigits(ulong value)
    {
        int n = 1;
        while (value >= 10)
        {
            value /= 10;
            n++;
        }

        return n;
    }

    private static ulong Pow10(int exponent)
    {
        ulong p = 1;
        for (int i = 0; i < exponent; i++)
        {
            p *= 10;
        }

        return p;
    }
}
