using System.Buffers;
using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Copies each key or value into one reusable pooled buffer instead of allocating a byte[] per record, and returns
/// its length (-1 for null). The span librdkafka hands to a deserializer points into the native message, which is
/// freed when Consume returns, so one copy is the minimum for a handler that also needs the record's timestamp.
/// Single-threaded: used only by the thread that calls Consume, and read before the next Consume.
/// </summary>
public sealed class ReusableBufferDeserializer : IDeserializer<int>, IDisposable
{
    /// <summary>The length returned for a null key or value.</summary>
    public const int Null = -1;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1024);
    private int _length;

    /// <summary>The bytes of the last deserialized key or value; empty when it was null.</summary>
    public ReadOnlySpan<byte> Current => _length <= 0 ? default : _buffer.AsSpan(0, _length);

    /// <inheritdoc />
    public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (isNull)
        {
            _length = Null;
            return Null;
        }

        if (data.Length > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(data.Length);
        }

        data.CopyTo(_buffer);
        _length = data.Length;
        return _length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        byte[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
