using System.Buffers;
using System.Text.Json;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

/// <summary>
/// Parses the JSON events of DOMAIN.md directly over the message bytes, without allocating on the success path: first
/// with a fast tokenizer for compact, escape-free JSON, and with <see cref="Utf8JsonReader"/> for any message the fast
/// pass does not accept (the reader decides every rejection). Unknown fields are skipped; a missing required field, a wrong JSON type, an unknown
/// enum string, a repeated known field or a phone number that does not normalize rejects the message with a
/// <see cref="ParseError"/>. The TryParse methods never throw.
/// </summary>
/// <remarks>
/// <para>Events are <see langword="ref struct"/>s whose text fields are slices of the input: raw JSON string contents,
/// escapes kept. With the <see cref="ReadOnlySequence{T}"/> overloads a multi-segment message is first copied into a
/// scratch buffer owned by this instance (grown up to <see cref="ParserOptions.MaxEventBytes"/> and reused), so an
/// event's spans are valid only until the next parse call on the same instance.</para>
/// <para>An instance is not thread-safe: use one per consumer thread.</para>
/// <para>JSON null is treated as an absent field. Nesting deeper than 64, trailing data after the object and invalid
/// UTF-8 in a kept string are <see cref="RejectReason.InvalidJson"/>.</para>
/// </remarks>
public sealed partial class EventParser
{
    private readonly ParserOptions _options;
    private byte[] _scratch = [];

    /// <summary>Creates a parser.</summary>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ParserOptions.Default"/>.</param>
    public EventParser(ParserOptions? options = null)
    {
        _options = options ?? ParserOptions.Default;
    }

    /// <summary>The options in use.</summary>
    public ParserOptions Options => _options;

    private static bool Fail(RejectReason reason, string field, out ParseError error)
    {
        error = new ParseError(reason, field);
        return false;
    }

    private static bool Succeed(out ParseError error)
    {
        error = default;
        return true;
    }

    /// <summary>The parse of one event kind over a whole message, generic over the token source.</summary>
    private interface IEventBody<TEvent>
        where TEvent : allows ref struct
    {
        static abstract bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out TEvent ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct;
    }

    /// <summary>
    /// The one guard every event kind's span parse goes through: the size limit first, then the body over
    /// <see cref="FastJsonTokens"/>; a message it does not accept whole (it bailed, or the body rejected it) is parsed
    /// again over <see cref="ReaderTokens"/>, which decides every rejection. A reader error on malformed input (bad JSON,
    /// depth over the limit) becomes <see cref="RejectReason.InvalidJson"/>, never an exception out of a TryParse method.
    /// </summary>
    private bool Guarded<TEvent, TBody>(ReadOnlySpan<byte> utf8, out TEvent ev, out ParseError error)
        where TEvent : allows ref struct
        where TBody : IEventBody<TEvent>
    {
        ev = default!;
        if (IsOversized(utf8.Length, out error))
        {
            return false;
        }

        var fast = new FastJsonTokens(utf8);
        if (TBody.Parse(this, utf8, ref fast, out ev, out error) && !fast.Bailed)
        {
            return true;
        }

        try
        {
            var reader = new ReaderTokens(utf8);
            return TBody.Parse(this, utf8, ref reader, out ev, out error);
        }
        catch (JsonException)
        {
            ev = default!;
            return Malformed(out error);
        }
        catch (InvalidOperationException)
        {
            ev = default!;
            return Malformed(out error);
        }
    }

    /// <summary>
    /// The same for a possibly multi-segment message: the single-segment fast path parses in place, the slow path
    /// copies into this parser's scratch buffer first.
    /// </summary>
    private bool Guarded<TEvent, TBody>(in ReadOnlySequence<byte> data, out TEvent ev, out ParseError error)
        where TEvent : allows ref struct
        where TBody : IEventBody<TEvent>
    {
        if (data.IsSingleSegment)
        {
            return Guarded<TEvent, TBody>(data.FirstSpan, out ev, out error);
        }

        ev = default!;
        return TryLinearize(data, out var span, out error) && Guarded<TEvent, TBody>(span, out ev, out error);
    }

    private bool IsOversized(int length, out ParseError error)
    {
        if (length > _options.MaxEventBytes)
        {
            error = new ParseError(RejectReason.Oversized, string.Empty);
            return true;
        }

        error = default;
        return false;
    }

    /// <summary>Cold path for malformed JSON: the reader threw.</summary>
    private static bool Malformed(out ParseError error) => Fail(RejectReason.InvalidJson, string.Empty, out error);

    /// <summary>Reads the first token, which must start an object.</summary>
    private static bool BeginObject<TTokens>(ref TTokens reader, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        if (!reader.Read())
        {
            return Malformed(out error);
        }

        return reader.TokenType == JsonTokenType.StartObject
            ? Succeed(out error)
            : Fail(RejectReason.NotAnObject, string.Empty, out error);
    }

    /// <summary>Checks the reader stopped on the top-level end of object and nothing but whitespace follows.</summary>
    private static bool EndObject<TTokens>(ref TTokens reader, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || reader.Read())
        {
            return Malformed(out error);
        }

        return Succeed(out error);
    }

    /// <summary>
    /// Gives a multi-segment message as one span: checks the size first, then copies into the scratch buffer.
    /// </summary>
    private bool TryLinearize(in ReadOnlySequence<byte> data, out ReadOnlySpan<byte> span, out ParseError error)
    {
        span = default;
        if (IsOversized(data.Length > int.MaxValue ? int.MaxValue : (int)data.Length, out error))
        {
            return false;
        }

        int length = (int)data.Length;
        if (_scratch.Length < length)
        {
            _scratch = new byte[Math.Min(Math.Max(length, _scratch.Length * 2), _options.MaxEventBytes)];
        }

        data.CopyTo(_scratch);
        span = _scratch.AsSpan(0, length);
        return true;
    }
}
