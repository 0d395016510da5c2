using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Rules;
using Microsoft.Extensions.Logging;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// The engine's Kafka consume loop: one consumer-group member on a dedicated thread, reading fs.calls, fs.txns and
/// fs.signals; each message is parsed and run through the rules, bad input goes to fs.dlq with its reason, and the
/// offset is stored only after that verdict (committed in the background), so a restart resumes after the last
/// event handled. The per-event path allocates nothing of its own (Confluent.Kafka allocates its result objects).
/// </summary>
public sealed partial class EngineWorker : IDisposable
{
    private readonly KafkaOptions _kafka;
    private readonly EngineStores _stores;
    private readonly RulePackOptions _rules;
    private readonly ParserOptions _parserOptions;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger _logger;
    private readonly string _groupId;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private long _processed;
    private long _deadLettered;

    /// <summary>Creates the worker; <see cref="Start"/> starts its thread.</summary>
    public EngineWorker(KafkaOptions kafka, EngineStores stores, RulePackOptions rules, IProducer<byte[], byte[]> producer, ILogger logger, ParserOptions? parserOptions = null, string groupId = "fraudshield-engine")
    {
        _kafka = kafka ?? throw new ArgumentNullException(nameof(kafka));
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        _rules = rules ?? throw new ArgumentNullException(nameof(rules));
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _parserOptions = parserOptions ?? ParserOptions.Default;
        _groupId = groupId;
        AlertSink = new KafkaAlertSink(producer, (alert, error) => Log.AlertDeliveryFailed(_logger, alert.AlertId, error.Reason));
        DeadLetters = new DeadLetterWriter(producer);
    }

    /// <summary>Where alerts go.</summary>
    public KafkaAlertSink AlertSink { get; }

    /// <summary>Where bad input goes.</summary>
    public DeadLetterWriter DeadLetters { get; }

    /// <summary>Events read and judged (processed or dead-lettered).</summary>
    public long EventsProcessed => Interlocked.Read(ref _processed);

    /// <summary>Events sent to fs.dlq.</summary>
    public long EventsDeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Completes when the consumer first gets partitions assigned.</summary>
    public Task Assigned => _assigned.Task;

    /// <summary>Starts the consume thread.</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "fraudshield-engine" };
        _thread.Start();
    }

    private void Run()
    {
        using var values = new ReusableBufferDeserializer();
        using var keys = new ReusableBufferDeserializer();
        using var core = new EngineCore(_stores, _rules, AlertSink, _parserOptions);
        var dispatcher = new EventDispatcher(core, new EventParser(_parserOptions));
        using var consumer = new ConsumerBuilder<int, int>(_kafka.CreateConsumerConfig(_groupId))
            .SetKeyDeserializer(keys)
            .SetValueDeserializer(values)
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                Log.PartitionsAssigned(_logger, partitions.Count);
                _assigned.TrySetResult();
            })
            .SetErrorHandler((_, error) => Log.ConsumerError(_logger, error.Code, error.Reason))
            .Build();
        consumer.Subscribe(Topics.EventTopics);
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                ConsumeResult<int, int> result;
                try
                {
                    result = consumer.Consume(token);
                }
                catch (ConsumeException e)
                {
                    // A record the client could not even deserialize; librdkafka moves past it.
                    Log.ConsumeFailed(_logger, e.Error.Code, e.Error.Reason);
                    continue;
                }

                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                Judge(dispatcher, result, keys.Current, values.Current);
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

    private void Judge(EventDispatcher dispatcher, ConsumeResult<int, int> result, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Interlocked.Increment(ref _processed);
        ParseError error;
        if (result.Message.Value < 0)
        {
            error = new ParseError(RejectReason.InvalidJson, string.Empty);
        }
        else if (!EventDispatcher.TryGetTopic(result.Topic, out var topic))
        {
            error = new ParseError(RejectReason.UnknownEventKind, string.Empty);
        }
        else if (dispatcher.TryProcess(topic, value, result.Message.Timestamp.UnixTimestampMs, out error))
        {
            return;
        }

        Interlocked.Increment(ref _deadLettered);
        Log.DeadLettered(_logger, result.Topic, result.Partition.Value, result.Offset.Value, error.Reason, error.Field);
        DeadLetters.Send(result.TopicPartitionOffset, key, value, error);
    }

    /// <summary>Stops the thread after the current event and closes the consumer (leaving the group cleanly).</summary>
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
        [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Engine assigned {Count} partitions")]
        public static partial void PartitionsAssigned(ILogger logger, int count);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Dead-lettered {Topic}[{Partition}]@{Offset}: {Reason} {Field}")]
        public static partial void DeadLettered(ILogger logger, string topic, int partition, long offset, RejectReason reason, string field);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Kafka consumer error {Code}: {Reason}")]
        public static partial void ConsumerError(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Consume failed {Code}: {Reason}")]
        public static partial void ConsumeFailed(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Alert {AlertId} was not acknowledged by Kafka: {Reason}")]
        public static partial void AlertDeliveryFailed(ILogger logger, string alertId, string reason);
    }
}
