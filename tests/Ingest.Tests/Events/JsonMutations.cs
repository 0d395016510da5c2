namespace FraudShield.Ingest.Tests;

/// <summary>Seeded mutations of JSON messages for the parsers' and the fast tokenizer's fuzz tests.</summary>
internal static class JsonMutations
{
    /// <summary>Bytes that make JSON structure, numbers, literals, escapes and control characters, plus 0xFF.</summary>
    public static readonly byte[] Alphabet = "{}[]\":,\\ \t\r\n0123456789-+.eEtrufalsnx/\u0000\u001f\u00ff"u8.ToArray();

    /// <summary>
    /// One to three edits of <paramref name="source"/>: a random byte, a structural byte replaced or inserted, a byte
    /// removed, the tail cut, or a run of up to 20 bytes copied elsewhere.
    /// </summary>
    public static byte[] Mutate(Random random, byte[] source)
    {
        var bytes = new List<byte>(source);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                case 3:
                    bytes.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    int len = random.Next(1, Math.Min(20, bytes.Count - at) + 1);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, len));
                    break;
            }
        }

        return [.. bytes];
    }
}
