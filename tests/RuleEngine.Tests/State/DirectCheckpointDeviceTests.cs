using System.Runtime.InteropServices;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.State;

// The checkpoint files' device: aligned writes straight to the disk, others through the page cache and a flush, every
// one read back as written, completions on the checkpoint writer thread, and an operation a completion asks for run
// there at once. The folder is beside the test assembly (a disk file system; tmpfs refuses O_DIRECT).
public sealed class DirectCheckpointDeviceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _folder = Path.Combine(AppContext.BaseDirectory, "direct-device-tests", Guid.NewGuid().ToString("N"));
    private readonly IntPtr _memory = AlignedAlloc(8192);

    [Fact]
    public async Task Write_AlignedPage_GoesStraightToTheDiskAndReadsBack()
    {
        using var device = new DirectCheckpointDevice(Path.Combine(_folder, "snapshot.dat"));
        Fill(4096, seed: 7);

        var (error, bytes, thread) = await WriteAsync(device, _memory, destination: 4096, length: 4096);

        Assert.Equal(0u, error);
        Assert.Equal(4096u, bytes);
        Assert.Equal("fs-checkpoint-io", thread);
        Assert.Equal(1, device.DirectWrites);
        Assert.Equal(0, device.BufferedWrites);
        Assert.Equal(Expected(4096, seed: 7), File.ReadAllBytes(Path.Combine(_folder, "snapshot.dat.0"))[4096..8192]);
    }

    [Fact]
    public async Task Write_Unaligned_GoesThroughThePageCacheAndReadsBack()
    {
        using var device = new DirectCheckpointDevice(Path.Combine(_folder, "info.dat"));
        Fill(100, seed: 3);

        var (error, bytes, _) = await WriteAsync(device, _memory + 1, destination: 10, length: 99);

        Assert.Equal(0u, error);
        Assert.Equal(99u, bytes);
        Assert.Equal(0, device.DirectWrites);
        Assert.Equal(1, device.BufferedWrites);
        Assert.Equal(Expected(100, seed: 3)[1..], File.ReadAllBytes(Path.Combine(_folder, "info.dat.0"))[10..109]);

        // And the device reads it back, into FASTER's memory.
        Memory(0, 8192).Clear();
        var read = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.ReadAsync(0, 10, _memory, 99, (e, n, _) => read.SetResult(e == 0 ? n : uint.MaxValue), null!);
        Assert.Equal(99u, await read.Task.WaitAsync(Patience));
        Assert.Equal(Expected(100, seed: 3)[1..], Memory(0, 99).ToArray());
    }

    [Fact]
    public async Task Write_AskedForByACompletion_RunsThereAtOnce()
    {
        using var device = new DirectCheckpointDevice(Path.Combine(_folder, "delta.dat"));
        Fill(8192, seed: 11);
        var second = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondDone = false;

        device.WriteAsync(_memory, 0, 0, 4096, (_, _, _) =>
        {
            // A completion that writes again (FASTER's serial page flush does) and relies on it having run.
            device.WriteAsync(_memory + 4096, 0, 4096, 4096, (_, _, _) => secondDone = true, null!);
            second.SetResult(secondDone ? Thread.CurrentThread.Name : null);
        }, null!);

        Assert.Equal("fs-checkpoint-io", await second.Task.WaitAsync(Patience));
        Assert.Equal(Expected(8192, seed: 11), File.ReadAllBytes(Path.Combine(_folder, "delta.dat.0")));
    }

    [Fact]
    public async Task Write_FolderGone_CompletesWithAnError()
    {
        using var device = new DirectCheckpointDevice(Path.Combine(_folder, "gone", "snapshot.dat"));
        Directory.Delete(Path.Combine(_folder, "gone"));

        var (error, bytes, _) = await WriteAsync(device, _memory, destination: 0, length: 4096);

        Assert.NotEqual(0u, error);
        Assert.Equal(0u, bytes);
    }

    public void Dispose()
    {
        FreeAligned(_memory);
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static async Task<(uint Error, uint Bytes, string? Thread)> WriteAsync(DirectCheckpointDevice device, IntPtr source, ulong destination, uint length)
    {
        var done = new TaskCompletionSource<(uint, uint, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        device.WriteAsync(source, 0, destination, length, (e, n, _) => done.SetResult((e, n, Thread.CurrentThread.Name)), null!);
        return await done.Task.WaitAsync(Patience);
    }

    private static byte[] Expected(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 31) + seed))];

    private void Fill(int length, int seed) => Expected(length, seed).CopyTo(Memory(0, length));

    private unsafe Span<byte> Memory(int offset, int length) => new((byte*)_memory + offset, length);

    private static unsafe IntPtr AlignedAlloc(int bytes) => (IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, DirectCheckpointDevice.Alignment);

    private static unsafe void FreeAligned(IntPtr memory) => NativeMemory.AlignedFree((void*)memory);
}
