using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using Microsoft.Extensions.Logging;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The repartition stage: a consumer-group member (its own group) reading fs.calls and fs.txns, parsing each event
/// with the engine's <see cref="EventParser"/> and producing the <see cref="CounterpartyRecord"/>s it maps to onto
/// fs.counterparty, keyed by the counterparty, with the source record's timestamp. A source offset is stored only
/// after its records were handed to the producer (idempotent, acks=all), so a restart re-reads at most what was not
/// yet handed over; records produced twice that way are dropped by the aggregator. Bad input is skipped and counted
/// (the engine dead-letters it). The per-event path allocates nothing of its own: one reused key buffer, value buffer
/// and message (the producer copies the bytes during Produce).
/// </summary>
public sealed partial class CounterpartyRepartitioner : IDisposable
{
    private readonly KafkaOptions _kafka;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger _logger;
    private readonly EventParser _parser;
    private readonly string _groupId;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CounterpartyRecord[] _records = new CounterpartyRecord[CounterpartyMapper.MaxRecords];
    private readonly byte[] _key = new byte[8];
    private readonly byte[] _value = new byte[CounterpartyRecord.Size];
    private readonly Message<byte[], byte[]> _message;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private Thread? _thread;
    private int _partitions;
    private long _events;
    private long _produced;
    private long _rejected;
    private long _failed;

    /// <summary>Creates the stage; <see cref="Start"/> starts its thread.</summary>
    /// <param name="kafka">The cluster.</param>
    /// <param name="producer">Shared producer (not owned).</param>
    /// <param name="logger">Where the loop logs.</param>
    /// <param name="parserOptions">Event parsing options (the engine's).</param>
    /// <param name="groupId">The stage's consumer group.</param>
    public CounterpartyRepartitioner(KafkaOptions kafka, IProducer<byte[], byte[]> producer, ILogger logger, ParserOptions? parserOptions = null, string groupId = "fraudshield-counterparty-repartition")
    {
        _kafka = kafka ?? throw new ArgumentNullException(nameof(kafka));
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _parser = new EventParser(parserOptions);
        _groupId = groupId;
        _message = new Message<byte[], byte[]> { Key = _key, Value = _value };
        _onDelivery = report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref _failed);
                Log.DeliveryFailed(_logger, report.Error.Code, report.Error.Reason);
            }
        };
    }

    /// <summary>Source events read.</summary>
    public long EventsRead => Interlocked.Read(ref _events);

    /// <summary>Records handed to the producer.</summary>
    public long RecordsProduced => Interlocked.Read(ref _produced);

    /// <summary>Source events that did not parse (skipped here; the engine dead-letters them).</summary>
    public long EventsRejected => Interlocked.Read(ref _rejected);

    /// <summary>Records the cluster did not acknowledge.</summary>
    public long DeliveriesFailed => Interlocked.Read(ref _failed);

    /// <summary>Input partitions currently assigned to this member.</summary>
    public int AssignedPartitions => Volatile.Read(ref _partitions);

    /// <summary>Completes when the consumer first gets partitions assigned.</summary>
    public Task Assigned => _assigned.Task;

    /// <summary>Starts the consume thread.</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "fraudshield-repartition" };
        _thread.Start();
    }

    private void Run()
    {
        if (!OutputTopicExists(out var problem))
        {
            // Without the topic every record would fail after the producer's message timeout: refuse to start instead.
            Log.OutputTopicMissing(_logger, Topics.Counterparty, problem);
            _assigned.TrySetException(new InvalidOperationException($"The counterparty stage needs the topic {Topics.Counterparty} ({problem}); create it with the event topics' partition count (fraudshield run --create-topics N creates every topic)."));
            return;
        }

        using var values = new ReusableBufferDeserializer();
        using var consumer = new ConsumerBuilder<Ignore, int>(CounterpartyKafka.ConsumerConfig(_kafka, _groupId))
            .SetValueDeserializer(values)
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                Interlocked.Add(ref _partitions, partitions.Count);
                Log.PartitionsAssigned(_logger, partitions.Count);
                _assigned.TrySetResult();
            })
            .SetPartitionsRevokedHandler((_, partitions) => Interlocked.Add(ref _partitions, -partitions.Count))
            .SetPartitionsLostHandler((_, partitions) => Interlocked.Add(ref _partitions, -partitions.Count))
            .SetErrorHandler((_, error) => Log.ConsumerError(_logger, error.Code, error.Reason))
            .Build();
        consumer.Subscribe([Topics.Calls, Topics.Txns]);
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                ConsumeResult<Ignore, int> result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException e)
                {
                    Log.ConsumeFailed(_logger, e.Error.Code, e.Error.Reason);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                Interlocked.Increment(ref _events);
                if (result.Message.Value >= 0)
                {
                    Repartition(result.Topic, values.Current, result.Message.Timestamp);
                }
                else
                {
                    Interlocked.Increment(ref _rejected);
                }

                consumer.StoreOffset(result);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        finally
        {
            consumer.Close();
        }
    }

    private bool OutputTopicExists(out string problem)
    {
        try
        {
            // Asked through a consumer handle: a consumer's metadata request does not auto-create the topic
            // (allow.auto.create.topics is false for consumers), a producer's or admin client's may.
            using var probe = new ConsumerBuilder<Ignore, Ignore>(_kafka.CreateConsumerConfig(_groupId)).Build();
            using var admin = new DependentAdminClientBuilder(probe.Handle).Build();
            var topic = admin.GetMetadata(Topics.Counterparty, TimeSpan.FromSeconds(10)).Topics.Find(t => t.Topic == Topics.Counterparty);
            problem = topic is null ? "no metadata" : topic.Error.IsError ? topic.Error.Reason : topic.Partitions.Count == 0 ? "no partitions" : string.Empty;
        }
        catch (KafkaException e)
        {
            problem = e.Error.Reason;
        }

        return problem.Length == 0;
    }

    private void Repartition(string topic, ReadOnlySpan<byte> value, Timestamp timestamp)
    {
        int n;
        ParseError error;
        if (topic == Topics.Calls)
        {
            if (!_parser.TryParseCall(value, out var call, out error))
            {
                Interlocked.Increment(ref _rejected);
                return;
            }

            n = CounterpartyMapper.Map(in call, _records);
        }
        else
        {
            if (!_parser.TryParseTxn(value, out var txn, out error))
            {
                Interlocked.Increment(ref _rejected);
                return;
            }

            n = CounterpartyMapper.Map(in txn, _records);
        }

        for (var i = 0; i < n; i++)
        {
            _records[i].WriteKey(_key);
            _records[i].Write(_value);
            _message.Timestamp = timestamp;
            _producer.Produce(Topics.Counterparty, _message, _onDelivery);
            Interlocked.Increment(ref _produced);
        }
    }

    /// <summary>Stops the thread after the current event and closes the consumer.</summary>
    public void Stop()
    {
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(30));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Counterparty repartitioner assigned {Count} partitions")]
        public static partial void PartitionsAssigned(ILogger logger, int count);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Kafka consumer error {Code}: {Reason}")]
        public static partial void ConsumerError(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Consume failed {Code}: {Reason}")]
        public static partial void ConsumeFailed(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "Topic {Topic} is missing ({Problem}): the counterparty stage does not start")]
        public static partial void OutputTopicMissing(ILogger logger, string topic, string problem);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "A counterparty record was not acknowledged by Kafka {Code}: {Reason}")]
        public static partial void DeliveryFailed(ILogger logger, ErrorCode code, string reason);
    }
}
