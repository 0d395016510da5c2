using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Sends bad input to fs.dlq: the original key and bytes untouched, with the reason, the field and where the
/// record came from in headers (<c>fs-reason</c>, <c>fs-field</c>, <c>fs-source-topic</c>, <c>fs-source-partition</c>,
/// <c>fs-source-offset</c>), so an analyst can see why and replay it after a fix. Cold path: allocations are fine.
/// </summary>
public sealed class DeadLetterWriter
{
    /// <summary>Header names of a dead letter.</summary>
    public static class Headers
    {
        /// <summary>The <see cref="RejectReason"/> name.</summary>
        public const string Reason = "fs-reason";

        /// <summary>The offending field, when known.</summary>
        public const string Field = "fs-field";

        /// <summary>Topic the record was read from.</summary>
        public const string SourceTopic = "fs-source-topic";

        /// <summary>Partition it was read from.</summary>
        public const string SourcePartition = "fs-source-partition";

        /// <summary>Offset it was read from.</summary>
        public const string SourceOffset = "fs-source-offset";
    }

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly OutputLedger? _outputs;
    private long _sent;
    private long _failed;

    /// <summary>Writes through <paramref name="producer"/> (shared; not owned), counting each dead letter in <paramref name="outputs"/>.</summary>
    public DeadLetterWriter(IProducer<byte[], byte[]> producer, OutputLedger? outputs = null)
    {
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _outputs = outputs;
    }

    /// <summary>Dead letters handed to the producer.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Dead letters the cluster did not acknowledge.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Sends one dead letter.</summary>
    public void Send(TopicPartitionOffset source, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ParseError error)
    {
        ArgumentNullException.ThrowIfNull(source);
        var headers = new Confluent.Kafka.Headers
        {
            { Headers.Reason, Encoding.UTF8.GetBytes(error.Reason.ToString()) },
            { Headers.Field, Encoding.UTF8.GetBytes(error.Field ?? string.Empty) },
            { Headers.SourceTopic, Encoding.UTF8.GetBytes(source.Topic) },
            { Headers.SourcePartition, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
            { Headers.SourceOffset, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
        };
        Interlocked.Increment(ref _sent);
        _outputs?.OnProduced();
        _producer.Produce(
            Topics.DeadLetter,
            new Message<byte[], byte[]> { Key = key.ToArray(), Value = value.ToArray(), Headers = headers },
            report =>
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref _failed);
                }
                else
                {
                    _outputs?.OnAcknowledged();
                }
            });
    }
}
