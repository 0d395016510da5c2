using System.Text.Json;

namespace FraudShield.Ingest.Events.Internal;

/// <summary>
/// The part of <see cref="Utf8JsonReader"/> the event parsers use, so one parse body runs over either
/// <see cref="FastJsonTokens"/> (the fast path) or <see cref="ReaderTokens"/> (the reader itself). The bodies are
/// generic over the implementing ref struct: each instantiation is specialized and the calls inline.
/// </summary>
internal interface IJsonTokens
{
    /// <summary>As <see cref="Utf8JsonReader.TokenType"/>.</summary>
    JsonTokenType TokenType { get; }

    /// <summary>As <see cref="Utf8JsonReader.ValueSpan"/>.</summary>
    ReadOnlySpan<byte> ValueSpan { get; }

    /// <summary>As <see cref="Utf8JsonReader.ValueIsEscaped"/>.</summary>
    bool ValueIsEscaped { get; }

    /// <summary>
    /// True when the current string token is known to hold only ASCII bytes (so it is valid UTF-8 without a check);
    /// false when that is not known.
    /// </summary>
    bool ValueIsAscii { get; }

    /// <summary>As <see cref="Utf8JsonReader.TokenStartIndex"/>.</summary>
    long TokenStartIndex { get; }

    /// <summary>As <see cref="Utf8JsonReader.BytesConsumed"/>.</summary>
    long BytesConsumed { get; }

    /// <summary>As <see cref="Utf8JsonReader.CurrentDepth"/>.</summary>
    int CurrentDepth { get; }

    /// <summary>As <see cref="Utf8JsonReader.Read"/>.</summary>
    bool Read();

    /// <summary>As <see cref="Utf8JsonReader.Skip"/>.</summary>
    void Skip();

    /// <summary>As <see cref="Utf8JsonReader.CopyString(Span{byte})"/>.</summary>
    int CopyString(Span<byte> utf8Destination);

    /// <summary>As <see cref="Utf8JsonReader.TryGetInt64(out long)"/>.</summary>
    bool TryGetInt64(out long value);

    /// <summary>As <see cref="Utf8JsonReader.TryGetInt32(out int)"/>.</summary>
    bool TryGetInt32(out int value);

    /// <summary>As <see cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/>.</summary>
    bool ValueTextEquals(ReadOnlySpan<byte> utf8Text);
}

/// <summary>
/// <see cref="Utf8JsonReader"/> itself behind <see cref="IJsonTokens"/>, with the parsers' options (max depth 64). It
/// decides every message <see cref="FastJsonTokens"/> does not accept, and throws on malformed JSON as the reader does.
/// </summary>
internal ref struct ReaderTokens : IJsonTokens
{
    private Utf8JsonReader _reader;

    public ReaderTokens(ReadOnlySpan<byte> utf8)
    {
        _reader = new Utf8JsonReader(utf8, JsonRead.ReaderOptions);
    }

    public readonly JsonTokenType TokenType => _reader.TokenType;

    public readonly ReadOnlySpan<byte> ValueSpan => _reader.ValueSpan;

    public readonly bool ValueIsEscaped => _reader.ValueIsEscaped;

    public readonly bool ValueIsAscii => false;

    public readonly long TokenStartIndex => _reader.TokenStartIndex;

    public readonly long BytesConsumed => _reader.BytesConsumed;

    public readonly int CurrentDepth => _reader.CurrentDepth;

    public bool Read() => _reader.Read();

    public void Skip() => _reader.Skip();

    public readonly int CopyString(Span<byte> utf8Destination) => _reader.CopyString(utf8Destination);

    public readonly bool TryGetInt64(out long value) => _reader.TryGetInt64(out value);

    public readonly bool TryGetInt32(out int value) => _reader.TryGetInt32(out value);

    public readonly bool ValueTextEquals(ReadOnlySpan<byte> utf8Text) => _reader.ValueTextEquals(utf8Text);
}
