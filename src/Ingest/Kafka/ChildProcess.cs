using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Starts child processes without handing them this process's sockets. librdkafka's mock cluster (the embedded
/// cluster) accepts its connections without close-on-exec, so a child started while they are open inherits a copy
/// of each. A connection the cluster then closes (a broker taken down, a cluster disposed) stays open until that
/// child exits: its client sees no close, keeps its requests on the dead connection and waits. Found in whole-suite
/// test runs, where other tests start processes (redis-server, python3 gRPC clients, engine processes) while a broker
/// fault test runs: resumes took 5-35 s instead of 1 s (docs/reliability.md).
/// </summary>
public static partial class ChildProcess
{
    private const int GetDescriptorFlags = 1;
    private const int SetDescriptorFlags = 2;
    private const int CloseOnExecFlag = 1;

    /// <summary>
    /// <see cref="Process.Start(ProcessStartInfo)"/> after marking this process's descriptors close-on-exec
    /// (<see cref="SealInheritedHandles"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The process did not start.</exception>
    public static Process Start(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        SealInheritedHandles();
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
    }

    /// <summary>
    /// Marks every open descriptor above stderr close-on-exec (Linux; elsewhere nothing), so a process started next
    /// inherits none of them. A descriptor opened between this call and the start is not covered.
    /// </summary>
    /// <returns>How many descriptors were marked.</returns>
    public static int SealInheritedHandles()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var marked = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var descriptor) && descriptor > 2)
            {
                var flags = Fcntl(descriptor, GetDescriptorFlags, 0);
                if (flags >= 0 && (flags & CloseOnExecFlag) == 0 && Fcntl(descriptor, SetDescriptorFlags, flags | CloseOnExecFlag) == 0)
                {
                    marked++;
                }
            }
        }

        return marked;
    }

    // int fcntl(int fd, int cmd, ... /* int arg */): F_GETFD and F_SETFD take and return plain ints.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int descriptor, int command, int argument);
}
