using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// Resume token text: <c>1.{epoch:x8}.{sequence}</c>. The epoch is random per hub instance, so a token from an earlier
/// dispatch process (whose sequence numbers restarted) is recognised instead of being taken for a position here.
/// Clients treat the token as opaque.
/// </summary>
internal static class ResumeTokenCodec
{
    private const string Prefix = "1.";

    /// <summary>The most UTF-8 bytes <see cref="FormatUtf8"/> writes.</summary>
    public const int MaxUtf8Length = 2 + 8 + 1 + 19;

    /// <summary>The token of <see cref="Format"/> as UTF-8 into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int FormatUtf8(uint epoch, long sequence, Span<byte> destination) =>
        Utf8.TryWrite(destination, CultureInfo.InvariantCulture, $"{Prefix}{epoch:x8}.{sequence}", out var written)
            ? written
            : throw new ArgumentException($"The destination holds fewer than the token's {MaxUtf8Length} bytes.", nameof(destination));

    public static string Format(uint epoch, long sequence)
    {
        Span<byte> utf8 = stackalloc byte[MaxUtf8Length];
        return Encoding.ASCII.GetString(utf8[..FormatUtf8(epoch, sequence, utf8)]);
    }

    public static bool TryParse(string token, out uint epoch, out long sequence)
    {
        epoch = 0;
        sequence = 0;
        var span = token.AsSpan();
        if (!span.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        span = span[Prefix.Length..];
        var dot = span.IndexOf('.');
        return dot == 8
            && uint.TryParse(span[..dot], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out epoch)
            && long.TryParse(span[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }
}
