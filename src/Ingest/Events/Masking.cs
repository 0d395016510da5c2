namespace FraudShield.Ingest.Events;

/// <summary>Masks identifiers for logs and operator screens.</summary>
public static class Masking
{
    /// <summary>
    /// Masks an account number keeping its last 4 characters: <c>6222021234</c> → <c>****1234</c>. The prefix is always
    /// four stars, whatever the length, so the length does not leak; 4 characters or fewer give <c>****</c>, and a
    /// non-ASCII byte among the kept ones shows as <c>*</c>.
    /// </summary>
    /// <param name="account">The account as UTF-8 bytes.</param>
    /// <returns>The masked text.</returns>
    public static string MaskAccount(ReadOnlySpan<byte> account)
    {
        if (account.Length <= 4)
        {
            return "****";
        }

        Span<char> buffer = stackalloc char[8];
        buffer[..4].Fill('*');
        ReadOnlySpan<byte> tail = account[^4..];
        for (int i = 0; i < 4; i++)
        {
            byte b = tail[i];
            buffer[4 + i] = b is >= 0x20 and < 0x7F ? (char)b : '*';
        }

        return new string(buffer);
    }
}
