using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using Microsoft.Extensions.Logging;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The aggregation stage: a consumer-group member (its own group) reading fs.counterparty on one thread and applying
/// each record to the <see cref="CounterpartyAggregator"/>; alerts go to fs.alerts through a <see cref="KafkaAlertSink"/>.
/// Records are read in place through <see cref="NativeConsumeLoop"/>; the offsets of applied records are stored once
/// per partition every 200 ms (and before a revoke and on stop). With checkpoints, the FASTER aggregates are
/// snapshotted together with the fs.counterparty positions they reflect (after every alert so far was acknowledged),
/// and a restart recovers both, so the records after the checkpoint are applied again to the same state and re-emit
/// the same alert ids.
/// Deployed rule sets (fs.rules) switch the thresholds at the record whose timestamp reaches their effective time.
/// </summary>
public sealed partial class CounterpartyWorker : IDisposable
{
    // How long Stop waits for the thread: longer than its stop path takes (the flush before the last checkpoint,
    // bounded at 30 s; the checkpoint's writing of the two stores; the consumer's close), so the stores are not
    // disposed under it. Past it the thread is reported, and the stores are disposed regardless.
    private static readonly TimeSpan StopPatience = TimeSpan.FromMinutes(2);
    private readonly KafkaOptions _kafka;
    private readonly CounterpartyStores _stores;
    private readonly RulePackOptions _rules;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger _logger;
    private readonly string _groupId;
    private readonly CounterpartyCheckpoints? _checkpoints;
    private readonly OutputLedger _outputs;
    private readonly ReplayBounds _replay;
    private readonly TimeSpan _checkpointInterval;
    private readonly RuleSchedule? _schedule;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private int _partitions;
    private volatile bool _checkpointRequested;
    private volatile bool _skipFinalCheckpoint;
    private long[] _next = [];
    private DateTime _nextCheckpoint;
    private long _applied;
    private long _rejected;
    private long _replayed;
    private readonly CheckpointCycle? _cycle;

    /// <summary>Creates the stage; <see cref="Start"/> starts its thread.</summary>
    /// <param name="kafka">The cluster.</param>
    /// <param name="stores">The aggregator's FASTER stores.</param>
    /// <param name="rules">The rule set it starts with.</param>
    /// <param name="producer">Shared producer for alerts (not owned).</param>
    /// <param name="logger">Where the loop logs.</param>
    /// <param name="groupId">The stage's consumer group.</param>
    /// <param name="checkpoints">Where checkpoints live; null runs without (state starts empty, input resumes at committed offsets).</param>
    /// <param name="checkpointInterval">Time between checkpoints (default 10 s); one is also taken on stop.</param>
    /// <param name="schedule">Rule sets deployed on fs.rules (this stage's own schedule); none when null.</param>
    /// <param name="rebuildWindow">How far back a partition new to this process is replayed, at most (null: no limit; <see cref="ReplayBounds"/>).</param>
    public CounterpartyWorker(KafkaOptions kafka, CounterpartyStores stores, RulePackOptions rules, IProducer<byte[], byte[]> producer, ILogger logger, string groupId = "fraudshield-counterparty", CounterpartyCheckpoints? checkpoints = null, TimeSpan? checkpointInterval = null, RuleSchedule? schedule = null, TimeSpan? rebuildWindow = null)
    {
        _replay = new ReplayBounds([Topics.Counterparty], rebuildWindow);
        _kafka = kafka ?? throw new ArgumentNullException(nameof(kafka));
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        _rules = rules ?? throw new ArgumentNullException(nameof(rules));
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _groupId = groupId;
        _checkpoints = checkpoints;
        _cycle = checkpoints is null ? null : new CheckpointCycle(manifest => checkpoints.Commit(manifest, stores), reason => Log.CheckpointSkipped(_logger, reason));
        _checkpointInterval = checkpointInterval ?? TimeSpan.FromSeconds(10);
        _schedule = schedule;
        _outputs = new OutputLedger(producer);
        AlertSink = new KafkaAlertSink(producer, (alert, error) => Log.AlertDeliveryFailed(_logger, alert.AlertId, error.Reason), _outputs);
    }

    /// <summary>Where alerts go.</summary>
    public KafkaAlertSink AlertSink { get; }

    /// <summary>Records read and applied (or rejected).</summary>
    public long RecordsApplied => Interlocked.Read(ref _applied);

    /// <summary>Records that were not valid fs.counterparty records (skipped).</summary>
    public long RecordsRejected => Interlocked.Read(ref _rejected);

    /// <summary>
    /// Records applied only to rebuild state (also in <see cref="RecordsApplied"/>): records of a newly assigned
    /// partition before the group's committed offset, whose alerts are already in the cluster (<see cref="ReplayBounds"/>).
    /// </summary>
    public long RecordsReplayed => Interlocked.Read(ref _replayed);

    /// <summary>Checkpoints taken.</summary>
    public long CheckpointsTaken => _cycle?.Taken ?? 0;

    /// <summary>The last 256 checkpoints committed, oldest first: when each began and how long it took.</summary>
    public IReadOnlyList<CheckpointWindow> RecentCheckpoints => _cycle?.Recent ?? [];

    /// <summary>The checkpoint recovered at start, or the last one taken.</summary>
    public CheckpointManifest? LastCheckpoint => _cycle?.Last;

    /// <summary>Input partitions currently assigned to this member.</summary>
    public int AssignedPartitions => Volatile.Read(ref _partitions);

    /// <summary>Completes when the consumer first gets partitions assigned.</summary>
    public Task Assigned => _assigned.Task;

    /// <summary>Starts the consume thread.</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "fraudshield-counterparty" };
        _thread.Start();
    }

    private void Run()
    {
        // State that cannot be trusted refuses the start rather than be aggregated on.
        if (_cycle is not null && !_cycle.TryRecover(
                () => _checkpoints!.Recover(_stores, (sequence, reason) => Log.CheckpointPassedOver(_logger, sequence, reason)),
                e =>
                {
                    Log.RecoveryFailed(_logger, e.Message);
                    _assigned.TrySetException(e);
                },
                m => Log.Recovered(_logger, m.Sequence, m.Positions.Count)))
        {
            return;
        }

        using var aggregator = new CounterpartyAggregator(_stores, _rules, AlertSink);
        _nextCheckpoint = DateTime.UtcNow + _checkpointInterval;
        NativeConsumeLoop.Run(CounterpartyKafka.ConsumerConfig(_kafka, _groupId), [Topics.Counterparty], new LoopHandler(this, aggregator), _stop.Token, outputs: _outputs, replay: _replay, log: _kafka.LogHandler);

        // The consumer is closed; the state and the positions it reflects are this thread's.
        if (_cycle is not null && !_skipFinalCheckpoint)
        {
            BeginCheckpoint();
            _cycle.Finish();
        }
    }

    // Between two batches: a due or requested checkpoint, taken whole on this thread (begun, written, committed). Unlike
    // the engine's, it does not run on while FASTER writes: measured at 57,851 events/s, aggregating through its own
    // checkpoints made the process allocate 2-3 times as much (FASTER's checkpoint state machine allocates on every
    // session refresh while a checkpoint runs) and its p99 worse, while its alerts are few and not in a hurry.
    private void OnPass()
    {
        if (_cycle is not null && (DateTime.UtcNow >= _nextCheckpoint || _checkpointRequested))
        {
            _checkpointRequested = false;
            BeginCheckpoint();
            _cycle.Finish();
            _nextCheckpoint = DateTime.UtcNow + _checkpointInterval;
        }
    }

    // One fs.counterparty message: one or more records (CounterpartyRecord), each applied at its own source timestamp.
    private void OnRecord(CounterpartyAggregator aggregator, in NativeMessage message)
    {
        var timestamp = message.TimestampMs;
        var partition = message.Partition;
        var value = message.ValueIsNull ? default : message.Value;
        var malformed = value.Length == 0 || value.Length % CounterpartyRecord.Size != 0;
        var records = malformed ? 1 : value.Length / CounterpartyRecord.Size;
        var replayed = _replay.IsReplay(Topics.Counterparty, partition, message.Offset);
        if (replayed)
        {
            // Applied before by this group (its alerts are in the cluster): state only.
            Interlocked.Add(ref _replayed, records);
            AlertSink.Muted = true;
        }

        try
        {
            var rejected = malformed ? 1 : 0;
            for (var at = 0; !malformed && at < value.Length; at += CounterpartyRecord.Size)
            {
                var record = value.Slice(at, CounterpartyRecord.Size);
                var sourceMs = timestamp + CounterpartyRecord.SourceDeltaOf(record);
                SwitchRulesIfDue(aggregator, sourceMs);
                if (!aggregator.TryApply(record, sourceMs, partition))
                {
                    rejected++;
                }
            }

            Interlocked.Add(ref _applied, records);

            if (rejected > 0)
            {
                Interlocked.Add(ref _rejected, rejected);
                if (!replayed)
                {
                    Log.Rejected(_logger, partition, message.Offset);
                }
            }
        }
        finally
        {
            AlertSink.Muted = false;
        }

        Advance(partition, message.Offset + 1);
    }

    private void SwitchRulesIfDue(CounterpartyAggregator aggregator, long timestampMs)
    {
        if (_schedule is not null && timestampMs >= _schedule.NextDueMs && _schedule.TryTakeDue(timestampMs, out var due))
        {
            aggregator.UseRules(due!.RuleSet.Options);
            Log.RulesSwitched(_logger, due.Version, due.EffectiveFromMs, timestampMs);
        }
    }

    private void Advance(int partition, long next) => PartitionSlots.Set(ref _next, partition, next);

    private TopicPartitionOffset StartPosition(TopicPartition partition) =>
        CheckpointManifest.StartOf(partition, PartitionSlots.Get(_next, partition.Partition.Value), LastCheckpoint, _checkpoints is not null);

    // Between two records: every alert so far acknowledged, then both stores cut their version; the manifest with the
    // positions they reflect is committed once FASTER has written them (CheckpointCycle.Finish). A failure leaves the
    // previous checkpoint in force.
    private void BeginCheckpoint()
    {
        try
        {
            if (_producer.Flush(TimeSpan.FromSeconds(30)) > 0)
            {
                Log.CheckpointSkipped(_logger, "alerts not yet acknowledged by the cluster");
                return;
            }

            var previous = LastCheckpoint;
            var positions = new List<PartitionPosition>();
            for (var p = 0; p < _next.Length; p++)
            {
                if (_next[p] >= 0)
                {
                    positions.Add(new PartitionPosition(Topics.Counterparty, p, _next[p]));
                }
            }

            foreach (var old in previous?.Positions ?? [])
            {
                if (!positions.Exists(p => p.Partition == old.Partition))
                {
                    positions.Add(old);
                }
            }

            var manifest = new CheckpointManifest
            {
                Sequence = (previous?.Sequence ?? 0) + 1,
                CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Parties = default,
                Pairs = default,
                Positions = positions,
            };
            _cycle!.Begin(manifest, _stores.Callers.BeginCheckpoint, _stores.Accounts.BeginCheckpoint);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or KafkaException)
        {
            Log.CheckpointSkipped(_logger, e.Message);
        }
    }

    /// <summary>Asks the thread for a checkpoint between the next two records (tests; production checkpoints on a timer).</summary>
    internal void RequestCheckpoint() => _checkpointRequested = true;

    /// <summary>Stops like a crash would, as far as state goes: no final checkpoint (tests).</summary>
    internal void StopWithoutCheckpoint()
    {
        _skipFinalCheckpoint = true;
        Stop();
    }

    /// <summary>Stops the thread after the current record, checkpoints (when configured) and closes the consumer.</summary>
    public void Stop()
    {
        _stop.Cancel();
        if (_thread is { } thread && thread != Thread.CurrentThread && !thread.Join(StopPatience))
        {
            Log.StopTimedOut(_logger, StopPatience.TotalSeconds);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    // The loop's callbacks (a struct, so the loop's generic code is specialized for it).
    private readonly struct LoopHandler(CounterpartyWorker owner, CounterpartyAggregator aggregator) : INativeConsumeHandler
    {
        public IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
        {
            Interlocked.Add(ref owner._partitions, partitions.Count);
            Log.PartitionsAssigned(owner._logger, partitions.Count);
            owner._assigned.TrySetResult();
            return partitions.Select(owner.StartPosition);
        }

        public void OnRevoked(List<TopicPartitionOffset> partitions, bool lost) => Interlocked.Add(ref owner._partitions, -partitions.Count);

        public void OnPass() => owner.OnPass();

        public void OnRecord(in NativeMessage message) => owner.OnRecord(aggregator, in message);

        public void OnConsumerError(Error consumerError) => Log.ConsumerError(owner._logger, consumerError.Code, consumerError.Reason);

        public void OnConsumeFailed(ErrorCode code, string reason) => Log.ConsumeFailed(owner._logger, code, reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1111, Level = LogLevel.Information, Message = "Counterparty aggregator assigned {Count} partitions")]
        public static partial void PartitionsAssigned(ILogger logger, int count);

        [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "Kafka consumer error {Code}: {Reason}")]
        public static partial void ConsumerError(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(EventId = 1113, Level = LogLevel.Warning, Message = "Consume failed {Code}: {Reason}")]
        public static partial void ConsumeFailed(ILogger logger, ErrorCode code, string reason);

        [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Skipped an invalid fs.counterparty record at [{Partition}]@{Offset}")]
        public static partial void Rejected(ILogger logger, int partition, long offset);

        [LoggerMessage(EventId = 1115, Level = LogLevel.Error, Message = "Alert {AlertId} was not acknowledged by Kafka: {Reason}")]
        public static partial void AlertDeliveryFailed(ILogger logger, string alertId, string reason);

        [LoggerMessage(EventId = 1116, Level = LogLevel.Information, Message = "Counterparty aggregator recovered checkpoint {Sequence} with {Partitions} input positions")]
        public static partial void Recovered(ILogger logger, long sequence, int partitions);

        [LoggerMessage(EventId = 1117, Level = LogLevel.Warning, Message = "Counterparty checkpoint skipped: {Reason}")]
        public static partial void CheckpointSkipped(ILogger logger, string reason);

        [LoggerMessage(EventId = 1118, Level = LogLevel.Information, Message = "Counterparty rules {Version} active from event time {EffectiveFromMs} (switched before the record at {TimestampMs})")]
        public static partial void RulesSwitched(ILogger logger, string version, long effectiveFromMs, long timestampMs);

        [LoggerMessage(EventId = 1119, Level = LogLevel.Error, Message = "The counterparty stage's thread did not stop within {Seconds} s")]
        public static partial void StopTimedOut(ILogger logger, double seconds);

        [LoggerMessage(EventId = 1120, Level = LogLevel.Warning, Message = "Counterparty checkpoint {Sequence} not recovered: {Reason}; trying the one before")]
        public static partial void CheckpointPassedOver(ILogger logger, long sequence, string reason);

        [LoggerMessage(EventId = 1121, Level = LogLevel.Critical, Message = "The counterparty stage's state cannot be recovered: {Reason}")]
        public static partial void RecoveryFailed(ILogger logger, string reason);
    }
}
