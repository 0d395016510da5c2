using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// The device a <see cref="FasterStore{TValue}"/> writes its checkpoint files through (snapshots, index, metadata, delta
/// logs): each write goes straight to the disk (<c>O_DIRECT | O_DSYNC</c>) on one writer thread of the process.
/// </summary>
/// <remarks>
/// FASTER's own device asks for unbuffered write-through files, but .NET on Linux has no unbuffered flag
/// (<c>FILE_FLAG_NO_BUFFERING</c> is ignored), so every page went through the page cache and was written back under
/// <c>O_SYNC</c> before its write returned, on the pool threads FASTER had queued all of a snapshot's pages to at once.
/// Profiled at 28,851 events/s: during a counterparty checkpoint (225 MB) the pool threads took both cores for half a
/// second, in the kernel's copy into the page cache (<c>copy_folio_from_iter_atomic</c>), and every alert meanwhile
/// waited. Measured with <c>dd</c> on the box, 235 MB: through the page cache with a flush, 0.65 s of CPU; direct,
/// 0.04 s. Writes here are direct where they can be (the address, offset and length aligned to
/// <see cref="Alignment"/>, which FASTER's sector-aligned pages and buffers are) and otherwise through the page cache
/// followed by a flush; reads use the page cache. The writer thread takes the operations in order and runs FASTER's
/// completion callbacks; an operation asked of it by a callback runs at once, on it.
/// Elsewhere than Linux x64 (where the flag values below hold) every write takes the page-cache path.
/// </remarks>
internal sealed partial class DirectCheckpointDevice : StorageDeviceBase
{
    /// <summary>The alignment of a direct write's address, offset and length: the disk's logical block size.</summary>
    public const int Alignment = 512;

    private static readonly bool DirectSupported = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    private readonly ConcurrentDictionary<int, Segment> _segments = new();
    private long _directWrites;
    private long _bufferedWrites;

    /// <summary>A device over the files <paramref name="filename"/>.<c>segment</c> (FASTER's naming).</summary>
    public DirectCheckpointDevice(string filename)
        : base(filename, Alignment, Devices.CAPACITY_UNSPECIFIED)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filename))!);
    }

    /// <summary>Writes that went straight to the disk, of this device (tests read it).</summary>
    internal long DirectWrites => Volatile.Read(ref _directWrites);

    /// <summary>Writes that took the page cache and a flush, of this device (tests read it).</summary>
    internal long BufferedWrites => Volatile.Read(ref _bufferedWrites);

    /// <inheritdoc />
    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        HandleCapacity(segmentId);
        CheckpointIo.Run(new CheckpointIo.Operation(this, write: true, segmentId, sourceAddress, destinationAddress, numBytesToWrite, callback, context));
    }

    /// <inheritdoc />
    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
        CheckpointIo.Run(new CheckpointIo.Operation(this, write: false, segmentId, destinationAddress, sourceAddress, readLength, callback, context));

    /// <inheritdoc />
    public override void RemoveSegment(int segment)
    {
        if (_segments.TryRemove(segment, out var handles))
        {
            handles.Dispose();
        }

        File.Delete(GetSegmentFilename(FileName, segment));
    }

    /// <inheritdoc />
    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        RemoveSegment(segment);
        callback(result);
    }

    /// <inheritdoc />
    public override long GetFileSize(int segment) =>
        segmentSize > 0 ? segmentSize : RandomAccess.GetLength(SegmentOf(segment).Buffered);

    /// <inheritdoc />
    public override void Dispose()
    {
        foreach (var segment in _segments.Keys)
        {
            if (_segments.TryRemove(segment, out var handles))
            {
                handles.Dispose();
            }
        }
    }

    // On the writer thread (or a callback's thread): one operation, then its callback.
    private unsafe void Execute(in CheckpointIo.Operation operation)
    {
        uint error = 0;
        var bytes = operation.Length;
        try
        {
            var segment = SegmentOf(operation.Segment);
            var offset = (long)operation.Offset;
            if (operation.Write)
            {
                var source = new ReadOnlySpan<byte>((void*)operation.Memory, (int)operation.Length);
                if (segment.Direct is { } direct && IsAligned(operation.Memory, operation.Offset, operation.Length))
                {
                    RandomAccess.Write(direct, source, offset);
                    _directWrites++;
                }
                else
                {
                    RandomAccess.Write(segment.Buffered, source, offset);
                    RandomAccess.FlushToDisk(segment.Buffered);
                    _bufferedWrites++;
                }
            }
            else
            {
                bytes = (uint)RandomAccess.Read(segment.Buffered, new Span<byte>((void*)operation.Memory, (int)operation.Length), offset);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            error = e is IOException { HResult: var code } && (code & 0xFFFF) != 0 ? (uint)(code & 0xFFFF) : uint.MaxValue;
            bytes = 0;
        }

        operation.Callback(error, bytes, operation.Context);
    }

    private static bool IsAligned(IntPtr memory, ulong offset, uint length) =>
        ((ulong)memory | offset | length) % Alignment == 0;

    private Segment SegmentOf(int segment) => _segments.GetOrAdd(segment, static (id, device) => Segment.Open(device.GetSegmentFilename(device.FileName, id)), this);

    // One segment file: a direct, write-only descriptor (null where the file system refuses O_DIRECT, e.g. tmpfs) and a
    // buffered one for reads and unaligned writes.
    private sealed class Segment : IDisposable
    {
        private const int OWriteOnly = 0x1, OCreate = 0x40, ODataSync = 0x1000, ODirect = 0x4000, OCloseOnExec = 0x80000;

        private Segment(SafeFileHandle buffered, SafeFileHandle? direct)
        {
            Buffered = buffered;
            Direct = direct;
        }

        public SafeFileHandle Buffered { get; }

        public SafeFileHandle? Direct { get; }

        public static Segment Open(string path)
        {
            var buffered = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            SafeFileHandle? direct = null;
            if (DirectSupported)
            {
                var descriptor = OpenFile(path, OWriteOnly | OCreate | ODataSync | ODirect | OCloseOnExec, Convert.ToInt32("644", 8));
                if (descriptor >= 0)
                {
                    direct = new SafeFileHandle(descriptor, ownsHandle: true);
                }
            }

            return new Segment(buffered, direct);
        }

        public void Dispose()
        {
            Buffered.Dispose();
            Direct?.Dispose();
        }
    }

    // int open(const char *pathname, int flags, mode_t mode)
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags, int mode);

    /// <summary>The process's one checkpoint writer thread and its queue.</summary>
    internal static class CheckpointIo
    {
        private static readonly Queue<Operation> Queue = new();
        private static readonly object Gate = new();
        private static Thread? s_thread;

        [ThreadStatic]
        private static bool t_isWriter;

        /// <summary>Queues <paramref name="operation"/> for the writer thread; runs it at once when called on that thread.</summary>
        public static void Run(in Operation operation)
        {
            if (t_isWriter)
            {
                operation.Device.Execute(operation);
                return;
            }

            lock (Gate)
            {
                Queue.Enqueue(operation);
                if (s_thread is null)
                {
                    s_thread = new Thread(Loop) { IsBackground = true, Name = "fs-checkpoint-io" };
                    s_thread.Start();
                }

                Monitor.Pulse(Gate);
            }
        }

        private static void Loop()
        {
            t_isWriter = true;
            while (true)
            {
                Operation operation;
                lock (Gate)
                {
                    while (!Queue.TryDequeue(out operation))
                    {
                        Monitor.Wait(Gate);
                    }
                }

                operation.Device.Execute(operation);
            }
        }

        /// <summary>One read or write of a segment, with FASTER's callback.</summary>
        internal readonly struct Operation(DirectCheckpointDevice device, bool write, int segment, IntPtr memory, ulong offset, uint length, DeviceIOCompletionCallback callback, object context)
        {
            public DirectCheckpointDevice Device { get; } = device;

            public bool Write { get; } = write;

            public int Segment { get; } = segment;

            public IntPtr Memory { get; } = memory;

            public ulong Offset { get; } = offset;

            public uint Length { get; } = length;

            public DeviceIOCompletionCallback Callback { get; } = callback;

            public object Context { get; } = context;
        }
    }
}

/// <summary>
/// FASTER's checkpoint manager asks this for each checkpoint file: a <see cref="DirectCheckpointDevice"/> at the path
/// FASTER's local factory would use, so the folder's layout is unchanged; listing and deleting are that factory's.
/// </summary>
internal sealed class DirectCheckpointDeviceFactory : INamedDeviceFactory
{
    private readonly LocalStorageNamedDeviceFactory _local = new();
    private string _baseName = "";

    /// <inheritdoc />
    public void Initialize(string baseName)
    {
        _baseName = baseName;
        _local.Initialize(baseName);
    }

    /// <inheritdoc />
    public IDevice Get(FileDescriptor fileInfo) =>
        new DirectCheckpointDevice(Path.Combine(_baseName, fileInfo.directoryName, fileInfo.fileName));

    /// <inheritdoc />
    public IEnumerable<FileDescriptor> ListContents(string path) => _local.ListContents(path);

    /// <inheritdoc />
    public void Delete(FileDescriptor fileInfo) => _local.Delete(fileInfo);
}
