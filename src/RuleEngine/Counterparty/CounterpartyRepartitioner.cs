using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using Microsoft.Extensions.Logging;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The repartition stage: a consumer-group member (its own group) reading fs.calls and fs.txns, parsing each event
/// with the engine's <see cref="EventParser"/> and producing the <see cref="CounterpartyRecord"/>s it maps to onto
/// fs.counterparty, on their counterparty's partition, with the source record's timestamp: packed, up to
/// <see cref="CounterpartyPacker.MaxRecords"/> records of one partition in a message, emitted at the end of each
/// poll batch (<see cref="CounterpartyPacker"/>). The partitions are fs.counterparty's count when the stage starts;
/// partitions added later take records from its next start. A source offset is stored only
/// once the records produced up to it are in the cluster: every 200 ms (and before a revoke and on stop) the stage
/// flushes its producer (idempotent, acks=all, retrying until delivered) and stores the positions if the queue emptied
/// (<see cref="OutputLedger.Draining"/>), so a crash or a move re-reads what was not yet delivered and never loses it;
/// records produced twice that way are dropped by the aggregator. Bad input is skipped and counted (the engine
/// dead-letters it). Events are read in place through <see cref="NativeConsumeLoop"/>, and the per-event path
/// allocates nothing: the packer's buffers and one reused message (the producer copies the bytes during Produce),
/// no delivery reports. A full producer queue (the cluster away for long) holds the stage until there is room.
/// </summary>
public sealed partial class CounterpartyRepartitioner : IDisposable
{
    /// <summary>The topics the stage reads: the events that have a counterparty.</summary>
    public static readonly string[] Inputs = [Topics.Calls, Topics.Txns];

    private readonly KafkaOptions _kafka;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger _logger;
    private readonly EventParser _parser;
    private readonly string _groupId;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CounterpartyRecord[] _records = new CounterpartyRecord[CounterpartyMapper.MaxRecords];
    private readonly Message<byte[], byte[]> _message;
    private readonly OutputLedger _outputs;
    private TopicPartition[] _outputPartitions = [];
    private CounterpartyPacker? _packer;
    private Thread? _thread;
    private int _partitions;
    private long _events;
    private long _rejected;
    private long _queueFullWaits;

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
        // Empty headers and the partitions given once: Confluent.Kafka's Produce otherwise allocates a Headers (and its
        // list) and a TopicPartition per message. No key: a pack holds the records of many keys of one partition.
        _message = new Message<byte[], byte[]> { Key = null!, Value = [], Headers = [] };
        _outputs = OutputLedger.Draining(producer, DrainWait, beforeDrain: EmitPacks);
    }

    /// <summary>
    /// How long the stage waits, once per offset interval, for its producer to deliver what it holds before it stores
    /// the source positions (a produce round trip on a healthy cluster; while a broker is away the positions stay).
    /// </summary>
    public static readonly TimeSpan DrainWait = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The producer this stage should be given: the alert producers' settings (acks=all, idempotence) with a batching
    /// linger of 20 ms instead of 1 ms, no message timeout (a record is retried until delivered, which is what lets an
    /// empty queue mean "delivered") and without delivery reports (Confluent.Kafka allocates about ten objects per
    /// report and refuses <c>delivery.report.only.error</c>). What fails is reported through the producer's error
    /// handler, logged with event id 1104: the cluster unreachable (<c>_TRANSPORT</c>, <c>_ALL_BROKERS_DOWN</c>), which is
    /// what precedes records expiring after <c>message.timeout.ms</c>, and fatal producer errors.
    /// </summary>
    /// <param name="kafka">The cluster.</param>
    /// <param name="logger">Where the producer's errors are logged.</param>
    /// <returns>The producer (owned by the caller).</returns>
    public static IProducer<byte[], byte[]> CreateProducer(KafkaOptions kafka, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(logger);
        return new ProducerBuilder<byte[], byte[]>(CounterpartyKafka.ProducerConfig(kafka))
            .WithLogs(kafka)
            .SetErrorHandler((_, error) => Log.ProducerError(logger, error.Code, error.Reason, error.IsFatal))
            .Build();
    }

    /// <summary>Source events read.</summary>
    public long EventsRead => Interlocked.Read(ref _events);

    /// <summary>Records produced (counted as they are packed; their packs go to the producer at the end of the poll batch).</summary>
    public long RecordsProduced => _outputs.Produced;

    /// <summary>Source events that did not parse (skipped here; the engine dead-letters them).</summary>
    public long EventsRejected => Interlocked.Read(ref _rejected);

    /// <summary>Times a record waited for room in the producer's full queue (the cluster away for long).</summary>
    public long QueueFullWaits => Interlocked.Read(ref _queueFullWaits);

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
        if (!TopicAdmin.TryCheckTopic(_kafka, _groupId, Topics.Counterparty, partitionsLike: null, TopicAdmin.CheckPatience, _stop.Token, out var problem, out var partitions))
        {
            // Without the topic every record would fail after the producer's message timeout: refuse to start instead.
            Log.OutputTopicMissing(_logger, Topics.Counterparty, problem);
            _assigned.TrySetException(new InvalidOperationException($"The counterparty stage needs the topic {Topics.Counterparty} ({problem}); create it with the event topics' partition count (fraudshield run --create-topics N creates every topic)."));
            return;
        }

        _outputPartitions = [.. Enumerable.Range(0, partitions).Select(p => new TopicPartition(Topics.Counterparty, p))];
        _packer = new CounterpartyPacker(partitions, Produce);
        try
        {
            NativeConsumeLoop.Run(CounterpartyKafka.ConsumerConfig(_kafka, _groupId), Inputs, new LoopHandler(this), _stop.Token, outputs: _outputs, log: _kafka.LogHandler);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void OnRecord(in NativeMessage message)
    {
        Interlocked.Increment(ref _events);
        if (message.ValueIsNull)
        {
            Interlocked.Increment(ref _rejected);
            return;
        }

        // The records carry the source record's timestamp (a source without one: now).
        var sourceMs = message.TimestampMs is var ms and >= 0 ? ms : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Repartition(message.Topic, message.Value, sourceMs);
    }

    private void Repartition(string topic, ReadOnlySpan<byte> value, long sourceMs)
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
            _outputs.OnProduced();
            _packer!.Add(ref _records[i], sourceMs);
        }
    }

    // The end of a poll batch, and before the source positions are stored: every pack goes to the producer. False when
    // a pack could not be handed over (the stage stopping while the producer's queue is full): nothing is stored then.
    private bool EmitPacks()
    {
        try
        {
            _packer?.EmitAll();
            return true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false;
        }
    }

    // One pack: CreateTime is the only timestamp type a producer may set.
    private void Produce(int partition, long timestampMs, byte[] value)
    {
        _message.Value = value;
        _message.Timestamp = new Timestamp(timestampMs, TimestampType.CreateTime);
        while (true)
        {
            try
            {
                _producer.Produce(_outputPartitions[partition], _message);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The cluster has been away long enough to fill the queue: wait for room rather than drop the record.
                // Stopping meanwhile ends the loop here, before the record is done, so its offset is not stored.
                _stop.Token.ThrowIfCancellationRequested();
                Log.QueueFull(_logger);
                Interlocked.Increment(ref _queueFullWaits);
                _producer.Flush(DrainWait);
            }
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

    // The loop's callbacks (a struct, so the loop's generic code is specialized for it).
    private readonly struct LoopHandler(CounterpartyRepartitioner owner) : INativeConsumeHandler
    {
        public IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
        {
            Interlocked.Add(ref owner._partitions, partitions.Count);
            Log.PartitionsAssigned(owner._logger, partitions.Count);
            owner._assigned.TrySetResult();
            return partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset));
        }

        public void OnRevoked(List<TopicPartitionOffset> partitions, bool lost) => Interlocked.Add(ref owner._partitions, -partitions.Count);

        public void OnPass() => owner.EmitPacks();

        public void OnRecord(in NativeMessage message) => owner.OnRecord(in message);

        public void OnConsumerError(Error consumerError) => Log.ConsumerError(owner._logger, consumerError.Code, consumerError.Reason);

        public void OnConsumeFailed(ErrorCode code, string reason) => Log.ConsumeFailed(owner._logger, code, reason);
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

        [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "The counterparty producer's queue is full: the repartitioner waits for the cluster")]
        public static partial void QueueFull(ILogger logger);

        [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "The counterparty producer reported {Code}: {Reason} (fatal: {Fatal})")]
        public static partial void ProducerError(ILogger logger, ErrorCode code, string reason, bool fatal);
    }
}
