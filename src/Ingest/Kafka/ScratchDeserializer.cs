using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// A value deserializer that copies the message bytes, straight from librdkafka's buffer, into one reusable
/// scratch array and returns only their length: no per-message byte[] (Confluent's byte[] deserializer allocates
/// one per message). The bytes stay valid until the next Consume on the same consumer, which is how a single
/// consume loop uses them. A null value (a tombstone) is reported as -1.
/// </summary>
public sealed class ScratchDeserializer : IDeserializer<int>
{
    private byte[] _scratch;

    /// <summary>Starts with <paramref name="initialCapacity"/> bytes; grows to the largest message seen.</summary>
    public ScratchDeserializer(int initialCapacity = 64 * 1024) => _scratch = new byte[initialCapacity];

    /// <summary>The bytes of the last message deserialized (length given by its result).</summary>
    public ReadOnlySpan<byte> Bytes(int length) => length <= 0 ? ReadOnlySpan<byte>.Empty : _scratch.AsSpan(0, length);

    /// <inheritdoc />
    public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (isNull)
        {
            return -1;
        }

        if (data.Length > _scratch.Length)
        {
            _scratch = new byte[Math.Max(data.Length, _scratch.Length * 2)];
        }

        data.CopyTo(_scratch);
        return data.Length;
    }
}
