using System.IO.Hashing;

namespace FraudShield.RuleEngine.Internal;

/// <summary>
/// 64-bit keys for FASTER from variable-length ids (accounts, packages, device ids). XxHash3 with a per-kind seed,
/// so the same text under two key kinds never collides by construction; 64 bits keep a collision at 10^7 keys
/// below one in 10^5, and the stored 32-bit check (<see cref="Check"/>) brings it below one in 10^14.
/// </summary>
internal static class KeyHash
{
    public static long Of(byte kind, ReadOnlySpan<byte> text) => (long)XxHash3.HashToUInt64(text, kind);

    public static long Of(byte kind, ulong number)
    {
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, number);
        return (long)XxHash3.HashToUInt64(bytes, kind);
    }

    public static long Pair(long a, long b)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes, a);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], b);
        return (long)XxHash3.HashToUInt64(bytes, 0x5A);
    }

    public static uint Check(ReadOnlySpan<byte> text) => (uint)(XxHash3.HashToUInt64(text, 0x7C) >> 32);
}
