using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;

namespace FraudShield.Ingest.Events.Internal;

/// <summary>
/// Field readers shared by the event parsers. Each one expects the reader on the field's value (never JSON null: the
/// parsers treat null as absent before calling) and returns <see cref="RejectReason.None"/> or the reason to reject.
/// None of them allocates.
/// </summary>
/// <remarks>
/// Locals are not zeroed on entry (<see cref="SkipLocalsInitAttribute"/>; audited: the stack buffers for unescaped
/// text are only read as far as <see cref="IJsonTokens.CopyString"/> wrote them).
/// </remarks>
[SkipLocalsInit]
internal static class JsonRead
{
    /// <summary>Longest escaped property name or phone number that is unescaped into a stack buffer.</summary>
    public const int MaxUnescaped = 64;

    public static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Moves from a property name to its value and returns the index of the field in <typeparamref name="TFields"/>,
    /// or -1 for an unknown field. Returns -2 (reader unmoved) at the end of the object.
    /// </summary>
    public static int NextField<TFields, TTokens>(ref TTokens reader)
        where TFields : struct, IFieldSet
        where TTokens : IJsonTokens, allows ref struct
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
        {
            return -2;
        }

        int field;
        if (!reader.ValueIsEscaped)
        {
            field = TFields.Match(reader.ValueSpan);
        }
        else if (reader.ValueSpan.Length > MaxUnescaped)
        {
            field = -1;
        }
        else
        {
            Span<byte> buffer = stackalloc byte[MaxUnescaped];
            field = TFields.Match(Unescape(in reader, buffer));
        }

        reader.Read();
        return field;
    }

    public static RejectReason String<TTokens>(scoped ref TTokens reader, out ReadOnlySpan<byte> value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        // Utf8JsonReader does not validate UTF-8 inside strings without escapes; spans handed out must be valid. The
        // fast tokenizer knows when a string is all ASCII (the producers' ids, codes and cells are).
        if (!reader.ValueIsAscii && !Utf8.IsValid(reader.ValueSpan))
        {
            return RejectReason.InvalidJson;
        }

        value = reader.ValueSpan;
        return RejectReason.None;
    }

    public static RejectReason Int64<TTokens>(scoped ref TTokens reader, out long value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return RejectReason.WrongType;
        }

        return TryParseInteger(reader.ValueSpan, 18, out value) || reader.TryGetInt64(out value) ? RejectReason.None : RejectReason.InvalidValue;
    }

    public static RejectReason NonNegativeInt64<TTokens>(scoped ref TTokens reader, out long value)
        where TTokens : IJsonTokens, allows ref struct
    {
        var r = Int64(ref reader, out value);
        return r == RejectReason.None && value < 0 ? RejectReason.InvalidValue : r;
    }

    public static RejectReason Int32<TTokens>(scoped ref TTokens reader, out int value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return RejectReason.WrongType;
        }

        if (TryParseInteger(reader.ValueSpan, 9, out long small))
        {
            value = (int)small;
            return RejectReason.None;
        }

        return reader.TryGetInt32(out value) ? RejectReason.None : RejectReason.InvalidValue;
    }

    public static RejectReason NonNegativeInt32<TTokens>(scoped ref TTokens reader, out int value)
        where TTokens : IJsonTokens, allows ref struct
    {
        var r = Int32(ref reader, out value);
        return r == RejectReason.None && value < 0 ? RejectReason.InvalidValue : r;
    }

    public static RejectReason Bool<TTokens>(scoped ref TTokens reader, out bool value)
        where TTokens : IJsonTokens, allows ref struct
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True:
                value = true;
                return RejectReason.None;
            case JsonTokenType.False:
                value = false;
                return RejectReason.None;
            default:
                value = false;
                return RejectReason.WrongType;
        }
    }

    /// <summary>A phone number written as a JSON string or a JSON integer, normalized to E.164 digits.</summary>
    public static RejectReason Phone<TTokens>(scoped ref TTokens reader, ParserOptions options, out ulong value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = 0;
        Span<byte> buffer = stackalloc byte[MaxUnescaped];
        if (!TryScalarText(in reader, buffer, out var text, out var reason))
        {
            return reason == RejectReason.WrongType ? reason : RejectReason.InvalidPhoneNumber;
        }

        return PhoneNumber.TryNormalize(text, options, out value) ? RejectReason.None : RejectReason.InvalidPhoneNumber;
    }

    /// <summary>
    /// An SMS sender as a JSON string or integer: <paramref name="raw"/> is always the text as sent and
    /// <paramref name="e164"/> its normalized number, or 0 for an alphanumeric sender id that does not normalize.
    /// </summary>
    public static RejectReason Sender<TTokens>(scoped ref TTokens reader, ParserOptions options, out ReadOnlySpan<byte> raw, out ulong e164)
        where TTokens : IJsonTokens, allows ref struct
    {
        raw = default;
        e164 = 0;
        if (reader.TokenType == JsonTokenType.Number)
        {
            raw = reader.ValueSpan;
        }
        else
        {
            var r = String(ref reader, out raw);
            if (r != RejectReason.None)
            {
                return r;
            }
        }

        Span<byte> buffer = stackalloc byte[MaxUnescaped];
        if (TryScalarText(in reader, buffer, out var text, out _) && PhoneNumber.TryNormalize(text, options, out var number))
        {
            e164 = number;
        }

        return RejectReason.None;
    }

    /// <summary>An identifier made of 1 to 19 decimal digits (IMEI, IMSI) as a JSON string or integer; "" is absent (0).</summary>
    public static RejectReason Digits<TTokens>(scoped ref TTokens reader, out ulong value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = 0;
        Span<byte> buffer = stackalloc byte[MaxUnescaped];
        if (!TryScalarText(in reader, buffer, out var text, out var reason))
        {
            return reason;
        }

        return TryParseDigits(text, out value) ? RejectReason.None : RejectReason.InvalidValue;
    }

    /// <summary>The two numeric readings of a watchlist key string: as a phone number and as plain digits.</summary>
    public static void KeyNumbers<TTokens>(scoped ref TTokens reader, ParserOptions options, out bool isPhone, out ulong phone, out bool isDigits, out ulong digits)
        where TTokens : IJsonTokens, allows ref struct
    {
        Span<byte> buffer = stackalloc byte[MaxUnescaped];
        if (!TryScalarText(in reader, buffer, out var text, out _))
        {
            isPhone = isDigits = false;
            phone = digits = 0;
            return;
        }

        isPhone = PhoneNumber.TryNormalize(text, options, out phone);
        isDigits = TryParseDigits(text, out digits);
    }

    /// <summary>
    /// The common case of a JSON integer, <c>-?[0-9]{1,maxDigits}</c>, parsed inline; false for anything else (more
    /// digits, a fraction, an exponent), which the caller hands to the reader's general number parser. Up to 18 digits
    /// cannot overflow a <see cref="long"/>; the reader guarantees the token is a valid JSON number. Measured: the
    /// general parser (<c>Utf8Parser.TryParseInt64D</c> behind <c>TryGetInt64</c>) took 3-4 % of a call event's parse.
    /// </summary>
    public static bool TryParseInteger(ReadOnlySpan<byte> text, int maxDigits, out long value)
    {
        value = 0;
        int start = !text.IsEmpty && text[0] == (byte)'-' ? 1 : 0;
        int digits = text.Length - start;
        if (digits < 1 || digits > maxDigits)
        {
            return false;
        }

        long v = 0;
        for (int i = start; i < text.Length; i++)
        {
            uint d = (uint)(text[i] - '0');
            if (d > 9)
            {
                return false;
            }

            v = (v * 10) + d;
        }

        value = start == 0 ? v : -v;
        return true;
    }

    /// <summary>Parses 0 to 19 ASCII digits; the empty text gives 0.</summary>
    public static bool TryParseDigits(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.Length > 19)
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                value = 0;
                return false;
            }

            value = (value * 10) + (uint)(b - '0');
        }

        return true;
    }

    /// <summary>
    /// The text of a string or integer token, unescaped into <paramref name="buffer"/> when needed. Fails with
    /// <see cref="RejectReason.WrongType"/> for other tokens and <see cref="RejectReason.InvalidValue"/> for a
    /// non-integer number or a string longer than the buffer.
    /// </summary>
    public static bool TryScalarText<TTokens>(scoped in TTokens reader, Span<byte> buffer, out ReadOnlySpan<byte> text, out RejectReason reason)
        where TTokens : IJsonTokens, allows ref struct
    {
        text = default;
        reason = RejectReason.None;
        if (reader.TokenType == JsonTokenType.Number)
        {
            foreach (byte b in reader.ValueSpan)
            {
                if (b is < (byte)'0' or > (byte)'9')
                {
                    reason = RejectReason.InvalidValue;
                    return false;
                }
            }

            text = reader.ValueSpan;
            return true;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            reason = RejectReason.WrongType;
            return false;
        }

        if (!reader.ValueIsEscaped)
        {
            text = reader.ValueSpan;
            return true;
        }

        if (reader.ValueSpan.Length > buffer.Length)
        {
            reason = RejectReason.InvalidValue;
            return false;
        }

        text = Unescape(in reader, buffer);
        return true;
    }

    /// <summary>
    /// The current string unescaped into <paramref name="buffer"/>, which must be long enough. The reader is passed
    /// <see langword="in"/> so a stack buffer may be given with it (no callee could store the buffer in the reader); the
    /// compiler copies the reader for the call, which is on the cold path only (escaped text).
    /// </summary>
    public static ReadOnlySpan<byte> Unescape<TTokens>(scoped in TTokens reader, Span<byte> buffer)
        where TTokens : IJsonTokens, allows ref struct
    {
        int n = reader.CopyString(buffer);
        return buffer[..n];
    }

    /// <summary>
    /// An array of strings kept raw (see <see cref="StringArray"/>). With <paramref name="phoneOptions"/> set, every item
    /// must also normalize as a phone number.
    /// </summary>
    public static RejectReason StringArray<TTokens>(ReadOnlySpan<byte> utf8, scoped ref TTokens reader, ParserOptions? phoneOptions, out StringArray value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return RejectReason.WrongType;
        }

        int start = checked((int)reader.TokenStartIndex);
        int count = 0;
        Span<byte> buffer = stackalloc byte[MaxUnescaped];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var r = String(ref reader, out _);
            if (r != RejectReason.None)
            {
                return r;
            }

            if (phoneOptions is not null)
            {
                if (!TryScalarText(in reader, buffer, out var text, out _) || !PhoneNumber.TryNormalize(text, phoneOptions, out _))
                {
                    return RejectReason.InvalidPhoneNumber;
                }
            }

            count++;
        }

        int end = checked((int)reader.BytesConsumed);
        value = new StringArray(utf8[start..end], count);
        return RejectReason.None;
    }
}

/// <summary>
/// The known fields of one JSON object, matched by their unescaped UTF-8 names. Implementations switch on the name's
/// length first and compare only the names of that length (a chain of comparisons over every name took 4 % of a call
/// event's parse).
/// </summary>
internal interface IFieldSet
{
    /// <summary>The index of the field called <paramref name="name"/>, or -1.</summary>
    static abstract int Match(ReadOnlySpan<byte> name);
}
