using System.Globalization;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// Resume token text: <c>1.{epoch:x8}.{sequence}</c>. The epoch is random per hub instance, so a token from an earlier
/// dispatch process (whose sequence numbers restarted) is recognised instead of being taken for a position here.
/// Clients treat the token as opaque.
/// </summary>
internal static class ResumeTokenCodec
{
    private const string Prefix = "1.";

    public static string Format(uint epoch, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{epoch:x8}.{sequence}");

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
