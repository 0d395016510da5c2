using System.Buffers;

namespace FraudShield.Tests.Shared;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s for parser tests (split anywhere, one byte per segment).</summary>
public static class Sequences
{
    /// <summary>Splits <paramref name="data"/> at the given ascending offsets (0 and the length give empty segments).</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> data, params int[] offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        var parts = new List<ReadOnlyMemory<byte>>();
        int start = 0;
        foreach (int offset in offsets)
        {
            parts.Add(data[start..offset]);
            start = offset;
        }

        parts.Add(data[start..]);
        return FromSegments(parts);
    }

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlyMemory<byte> data)
    {
        var parts = new List<ReadOnlyMemory<byte>>(data.Length);
        for (int i = 0; i < data.Length; i++)
        {
            parts.Add(data.Slice(i, 1));
        }

        return FromSegments(parts);
    }

    /// <summary>A sequence over the given segments, in order.</summary>
    public static ReadOnlySequence<byte> FromSegments(IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0], 0);
        var last = first;
        for (int i = 1; i < parts.Count; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
