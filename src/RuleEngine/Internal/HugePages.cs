using System.Runtime.InteropServices;

namespace FraudShield.RuleEngine.Internal;

/// <summary>
/// Asks Linux to back a large, randomly read memory range with 2 MiB pages (transparent huge pages), so a lookup that
/// lands anywhere in it costs a cache miss but no TLB miss: 4 KiB pages give a 16 MiB index 4,096 TLB entries to
/// cover, more than the CPU has. Best effort: elsewhere, or when the kernel refuses, nothing changes.
/// </summary>
internal static partial class HugePages
{
    private const int MadvHugePage = 14;  // back this range with huge pages on fault, and let khugepaged collapse it
    private const int MadvCollapse = 25;  // collapse the pages already there now (Linux 6.1+)
    private const nint HugePage = 2 << 20;

    /// <summary>
    /// Advises the 2 MiB-aligned part of [<paramref name="start"/>, <paramref name="start"/> + <paramref name="bytes"/>)
    /// and collapses it; returns the bytes now advised (0 when none).
    /// </summary>
    public static long Advise(nint start, long bytes)
    {
        if (!OperatingSystem.IsLinux() || start == 0)
        {
            return 0;
        }

        var first = (start + HugePage - 1) & ~(HugePage - 1);
        var end = (nint)(start + bytes) & ~(HugePage - 1);
        if (end <= first)
        {
            return 0;
        }

        var length = (nuint)(end - first);
        if (Madvise(first, length, MadvHugePage) != 0)
        {
            return 0;
        }

        // A range the allocator already zeroed is in 4 KiB pages; collapsing it now beats waiting for khugepaged.
        _ = Madvise(first, length, MadvCollapse);
        return end - first;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
