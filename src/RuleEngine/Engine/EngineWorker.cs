using System.Diagnostics;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;
using Microsoft.Extensions.Logging;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// The engine's Kafka consume loop: one consumer-group member on a dedicated thread, reading fs.calls, fs.txns,
/// fs.signals and fs.rebates (<see cref="Topics.EngineInputs"/>); each message is parsed and run through the rules,
/// bad input goes to fs.dlq with its reason, and the offset is stored only after that verdict (committed in the
/// background), so a restart resumes after the last event handled. Messages are read in place through
/// <see cref="NativePoller"/> (the Confluent consumer keeps the group, offsets and commits), so the per-event path
/// allocates nothing.
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
    private readonly EngineCheckpoints? _checkpoints;
    private readonly OutputLedger _outputs;
    private readonly ReplayBounds _replay;
    private readonly TimeSpan _checkpointInterval;
    private readonly TimeSpan _orderWait;
    private readonly RuleSchedule? _schedule;
    private readonly string _rulesVersion;
    private RuleSetSwitch? _ruleSet;
    private Thread? _thread;
    private long _processed;
    private long _rebatesReceived;
    private long _rebatesOfOtherGroups;
    private long _deadLettered;
    private long _replayed;
    private long _late;
    private long _engineThreadAllocated;
    private long _assignedTicks;
    private long _lastJudgedTicks;
    private long _mergeHeldTicks;
    private long _mergeTaken;

    /// <summary>
    /// Records drained from the client per pass without waiting (bounds the time between checks for a checkpoint or
    /// stop), and the most records judged in one batch of the stores' sessions (<see cref="EngineCore.BeginBatch"/>).
    /// </summary>
    public const int MaxBatch = 512;

    // How long Stop waits for the engine thread: longer than the stop path's own bounded waits (a commit still running,
    // 60 s; a checkpoint being written, 60 s; the flush before the last one, 30 s; its writing, 60 s, and 60 more when
    // its second store fails; the consumer's close), so whoever stops the worker does not dispose the stores and the producer under a thread
    // still using them. Past it the thread is reported, and the stores are disposed regardless.
    private static readonly TimeSpan StopPatience = TimeSpan.FromMinutes(5);

    // Its checkpoints: begun here between two events, committed on the thread pool (null without checkpoints).
    private readonly CheckpointCycle? _cycle;

    // Next offset to judge per (input topic, partition), for partitions judged by this process; -1 when none yet.
    // Owned by the engine thread. A partition assigned again after a rebalance resumes here, where the in-memory
    // state is, not at the checkpoint (which would replay events into state that already saw them).
    private readonly long[][] _next = [[], [], [], []];

    /// <summary>Creates the worker; <see cref="Start"/> starts its thread.</summary>
    /// <param name="kafka">The cluster.</param>
    /// <param name="stores">The process's FASTER stores.</param>
    /// <param name="rules">The rule parameters.</param>
    /// <param name="producer">Shared producer for alerts, rebates and dead letters.</param>
    /// <param name="logger">Where the loop logs.</param>
    /// <param name="parserOptions">Event parsing options.</param>
    /// <param name="groupId">The engine's consumer group.</param>
    /// <param name="checkpoints">
    /// Where checkpoints live; null runs without them (state starts empty, input resumes at committed offsets).
    /// With them, the worker recovers the newest checkpoint before it opens its sessions, resumes each partition at
    /// the checkpoint's position (the beginning when it has none), and checkpoints every
    /// <paramref name="checkpointInterval"/> and on stop.
    /// </param>
    /// <param name="checkpointInterval">Time between checkpoints (default 10 s).</param>
    /// <param name="orderWait">
    /// How long a record may wait for a silent input partition before it is judged out of timestamp order
    /// (default 20 ms; see <see cref="TimestampMerge"/>).
    /// </param>
    /// <param name="schedule">
    /// Rule sets deployed on fs.rules; each replaces <paramref name="rules"/> (or the previous set) for the events
    /// whose Kafka timestamp is at or after its effective time. None when null.
    /// </param>
    /// <param name="rulesVersion">The version label of <paramref name="rules"/>, for logs and status.</param>
    /// <param name="rebuildWindow">
    /// How far back a partition new to this process is replayed to rebuild its state, at most (null: from its
    /// checkpoint position or the beginning of what the cluster retains); see <see cref="ReplayBounds"/>.
    /// </param>
    public EngineWorker(KafkaOptions kafka, EngineStores stores, RulePackOptions rules, IProducer<byte[], byte[]> producer, ILogger logger, ParserOptions? parserOptions = null, string groupId = "fraudshield-engine", EngineCheckpoints? checkpoints = null, TimeSpan? checkpointInterval = null, TimeSpan? orderWait = null, RuleSchedule? schedule = null, string rulesVersion = "startup", TimeSpan? rebuildWindow = null)
    {
        _replay = new ReplayBounds(Topics.EngineInputs, rebuildWindow);
        _schedule = schedule;
        _rulesVersion = rulesVersion ?? throw new ArgumentNullException(nameof(rulesVersion));
        _checkpoints = checkpoints;
        _checkpointInterval = checkpointInterval ?? TimeSpan.FromSeconds(10);
        _orderWait = orderWait ?? TimeSpan.FromMilliseconds(20);
        _kafka = kafka ?? throw new ArgumentNullException(nameof(kafka));
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        _rules = rules ?? throw new ArgumentNullException(nameof(rules));
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _parserOptions = parserOptions ?? ParserOptions.Default;
        _groupId = groupId;
        _cycle = checkpoints is null ? null : new CheckpointCycle(
            manifest => checkpoints.Commit(manifest, stores),
            reason => Log.CheckpointSkipped(_logger, reason),
            (committed, pause, total) =>
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    Log.CheckpointTaken(_logger, committed.Sequence, pause.TotalMilliseconds, total.TotalMilliseconds);
                }
            });
        _outputs = new OutputLedger(producer);
        AlertSink = new KafkaAlertSink(producer, (alert, error) => Log.AlertDeliveryFailed(_logger, alert.AlertId, error.Reason), _outputs);
        DeadLetters = new DeadLetterWriter(producer, _outputs);
        Rebates = new KafkaRebateRouter(producer, groupId, _outputs, error => Log.RebateDeliveryFailed(_logger, error.Reason));
    }

    /// <summary>Where alerts go.</summary>
    public KafkaAlertSink AlertSink { get; }

    /// <summary>Where bad input goes.</summary>
    public DeadLetterWriter DeadLetters { get; }

    /// <summary>Where R12's rebates go: fs.rebates, to the engine holding the receiver's partition.</summary>
    public KafkaRebateRouter Rebates { get; }

    /// <summary>
    /// fs.rebates records of this group judged for this process's parties (replayed and refused ones included; not in
    /// <see cref="EventsProcessed"/>).
    /// </summary>
    public long RebatesReceived => Interlocked.Read(ref _rebatesReceived);

    /// <summary>fs.rebates records of other engine groups, skipped.</summary>
    public long RebatesOfOtherGroups => Interlocked.Read(ref _rebatesOfOtherGroups);

    /// <summary>Events sent to fs.dlq because they arrived too late to be applied (reason <c>Late</c>; also in <see cref="EventsDeadLettered"/>).</summary>
    public long EventsLate => Interlocked.Read(ref _late);

    /// <summary>Events read and judged (processed or dead-lettered).</summary>
    public long EventsProcessed => Interlocked.Read(ref _processed);

    /// <summary>Events sent to fs.dlq.</summary>
    public long EventsDeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>
    /// Events judged only to rebuild state (also in <see cref="EventsProcessed"/>): records of a newly assigned
    /// partition before the group's committed offset, whose alerts and dead letters are already in the cluster
    /// (<see cref="ReplayBounds"/>).
    /// </summary>
    public long EventsReplayed => Interlocked.Read(ref _replayed);

    /// <summary>
    /// Managed bytes allocated by the engine thread since its loop started (Confluent.Kafka's per-message result objects,
    /// checkpoints and alerts included; the rules themselves allocate nothing per event). Updated once per pass.
    /// </summary>
    public long EngineThreadAllocatedBytes => Volatile.Read(ref _engineThreadAllocated);

    /// <summary>When the consumer first got partitions (Stopwatch ticks); 0 before.</summary>
    public long AssignedTicks => Volatile.Read(ref _assignedTicks);

    /// <summary>When the last record so far was judged (Stopwatch ticks, per pass); 0 before the first.</summary>
    public long LastJudgedTicks => Volatile.Read(ref _lastJudgedTicks);

    /// <summary>
    /// Stopwatch ticks that the records judged so far spent in the timestamp merge, summed: from the poll that
    /// brought each in to the pass that took it (see <see cref="MergeTaken"/>; their quotient is the mean hold).
    /// </summary>
    public long MergeHeldTicks => Volatile.Read(ref _mergeHeldTicks);

    /// <summary>Records taken from the timestamp merge so far (the count behind <see cref="MergeHeldTicks"/>).</summary>
    public long MergeTaken => Volatile.Read(ref _mergeTaken);

    /// <summary>Checkpoints taken by this worker.</summary>
    public long CheckpointsTaken => _cycle?.Taken ?? 0;

    /// <summary>The last 256 checkpoints committed, oldest first: when each began and how long it took.</summary>
    public IReadOnlyList<CheckpointWindow> RecentCheckpoints => _cycle?.Recent ?? [];

    /// <summary>The checkpoint recovered at start, or the last one taken.</summary>
    public CheckpointManifest? LastCheckpoint => _cycle?.Last;

    /// <summary>The version of the rule set in force on the engine thread.</summary>
    public string ActiveRulesVersion => Volatile.Read(ref _ruleSet)?.ActiveVersion ?? _rulesVersion;

    /// <summary>Rule-set switches made since start.</summary>
    public long RuleSwitches => Volatile.Read(ref _ruleSet)?.Switches ?? 0;

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
        if (!TopicAdmin.TryCheckTopic(_kafka, _groupId, Topics.Rebates, partitionsLike: Topics.Txns, TopicAdmin.CheckPatience, _stop.Token, out var problem, out _))
        {
            // Without it (or with another partition count than the event topics) R12's rebates would be lost or land
            // where no engine holds their receiver: refuse to start instead.
            Log.RebateTopicUnusable(_logger, Topics.Rebates, problem);
            _assigned.TrySetException(new InvalidOperationException($"The engine needs the topic {Topics.Rebates} with the event topics' partition count ({problem}); fraudshield run --create-topics N creates every topic."));
            return;
        }

        // Recovery happens before any session is opened on the stores; state that cannot be trusted refuses the start
        // rather than be judged on.
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

        Log.PartyPrefetch(_logger, _stores.Parties.CanPrefetch ? "on" : "off (FASTER's index table not found)");

        using var rules = new RuleSetSwitch(_stores, _rules, _rulesVersion, AlertSink, _parserOptions, _schedule, (set, at) => Log.RulesSwitched(_logger, set.Version, set.EffectiveFromMs, at), Rebates);
        Volatile.Write(ref _ruleSet, rules);
        Log.RulesActive(_logger, _rulesVersion);
        var merge = new TimestampMerge(_orderWait);
        var hints = new VerdictHints(_stores, _parserOptions);
        var offsets = new PartitionOffsets(PartitionOffsets.DefaultInterval);
        var config = _kafka.CreateConsumerConfig(_groupId);
        config.EnablePartitionEof = true; // the merge needs to know when a partition is caught up

        // A party's calls, transfers and signals are co-partitioned (keyed by the party, equal partition counts): the
        // range assignor gives every member the same partition numbers of every event topic, so one process holds all
        // of a party's state. (Cooperative-sticky balances each topic on its own and would split them.)
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range;
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config)
            .WithLogs(_kafka)
            .SetPartitionsAssignedHandler((c, partitions) =>
            {
                Log.PartitionsAssigned(_logger, partitions.Count);
                foreach (var p in partitions)
                {
                    merge.Assign(p.Topic, p.Partition.Value);
                }

                var starts = partitions.ConvertAll(StartPosition);
                if (_replay.Assign(c, starts) is { } error)
                {
                    Log.ReplayBoundsUnknown(_logger, error);
                }

                if (_assigned.TrySetResult())
                {
                    Volatile.Write(ref _assignedTicks, Stopwatch.GetTimestamp());
                }

                return starts;
            })
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                offsets.StoreAcknowledged(c, _outputs);

                foreach (var p in partitions)
                {
                    offsets.Forget(p.Topic, p.Partition.Value);
                    merge.Revoke(p.Topic, p.Partition.Value);
                }
            })
            .SetPartitionsLostHandler((_, partitions) =>
            {
                foreach (var p in partitions)
                {
                    offsets.Forget(p.Topic, p.Partition.Value);
                    merge.Revoke(p.Topic, p.Partition.Value);
                }
            })
            .SetErrorHandler((_, error) => Log.ConsumerError(_logger, error.Code, error.Reason))
            .Build();
        consumer.Subscribe(Topics.EngineInputs);

        // Messages are read in place (no per-message objects); the consumer keeps the group, offsets and commits.
        using var poller = new NativePoller(consumer);
        var token = _stop.Token;
        var allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
        var nextCheckpoint = DateTime.UtcNow + _checkpointInterval;
        var stoppedCleanly = false;
        try
        {
            while (!token.IsCancellationRequested)
            {
                _cycle?.Poll();
                if (_cycle is { Idle: true } && CheckpointBegins(DateTime.UtcNow, nextCheckpoint, _outputs.AllAcknowledged))
                {
                    BeginCheckpoint();
                    nextCheckpoint = DateTime.UtcNow + _checkpointInterval;
                }

                // Judge every record the merge lets go (timestamp order across the co-partitioned inputs); the
                // offsets are stored once per partition per pass, after the verdicts.
                // The records are judged in batches of the stores' sessions (EngineCore.BeginBatch), opened at the
                // first record and renewed every MaxBatch, so a checkpoint or another thread's write never waits
                // longer than that many verdicts, and after a verdict that read from the disk (below).
                var now = Stopwatch.GetTimestamp();
                var judgedBefore = _processed + _rebatesReceived;
                var inBatch = 0;
                try
                {
                    while (merge.TryTake(now, out var record))
                    {
                        if (inBatch == 0)
                        {
                            rules.BeginBatch();
                        }

                        var (topic, partition, kind) = merge.Describe(record.Source);
                        _mergeHeldTicks += now - record.ArrivedTicks;
                        _mergeTaken++;
                        var diskWaits = StoreDiskWaits.OnThisThread;
                        Judge(rules, topic, kind, partition, in record);
                        Advance(kind, partition, record.Offset + 1);
                        offsets.MarkDone(topic, partition, record.Offset + 1);
                        TimestampMerge.Release(ref record);

                        // A verdict that waited for the disk held every other store's epoch through the wait: the next
                        // one starts a new batch, so the other stores wait through one verdict's disk reads, not 512 verdicts'.
                        if (++inBatch == MaxBatch || StoreDiskWaits.OnThisThread != diskWaits)
                        {
                            rules.EndBatch();
                            inBatch = 0;
                        }
                    }
                }
                finally
                {
                    rules.EndBatch();
                }

                if (_processed + _rebatesReceived != judgedBefore)
                {
                    Volatile.Write(ref _lastJudgedTicks, Stopwatch.GetTimestamp());
                }

                offsets.StoreIfDue(consumer, now, _outputs);

                Volatile.Write(ref _engineThreadAllocated, GC.GetAllocatedBytesForCurrentThread() - allocatedAtStart);

                // Short waits: a held record, a due checkpoint and a stop request are all looked at in between.
                // What the client already holds is then drained without waiting, up to a batch.
                var wait = merge.Buffered > 0 ? TimeSpan.FromMilliseconds(2) : TimeSpan.FromMilliseconds(100);
                var polledAt = now;
                for (var taken = 0; taken < MaxBatch; taken++)
                {
                    if (!poller.TryPoll(taken == 0 ? (int)wait.TotalMilliseconds : 0, out var message))
                    {
                        break;
                    }

                    if (taken == 0)
                    {
                        polledAt = Stopwatch.GetTimestamp(); // after the wait: when this batch arrived
                    }

                    using (message)
                    {
                        if (message.IsPartitionEof)
                        {
                            merge.MarkCaughtUp(merge.SourceOf(message.Topic, message.Partition));
                        }
                        else if (message.Error != ErrorCode.NoError)
                        {
                            // A consumer-level error (the client retries by itself) or a message it could not fetch.
                            Log.ConsumeFailed(_logger, message.Error, message.ErrorReason);
                        }
                        else
                        {
                            // What the verdict after this poll waits for first starts loading now.
                            var source = merge.SourceOf(message.Topic, message.Partition);
                            if (merge.KindOf(source) is { } input)
                            {
                                hints.Give(input, message.Key, message.Value);
                            }

                            // Read in place in the client's buffer; the merge keeps its own copy.
                            merge.Add(source, message.Offset, message.TimestampMs, message.Key, message.KeyIsNull, message.Value, message.ValueIsNull, polledAt);
                        }
                    }
                }

                // The parties' index buckets asked for above have arrived: their records start loading.
                hints.FollowUp();
            }

            stoppedCleanly = true;
        }
        catch (OperationCanceledException)
        {
            // Not the stop (the loop ends by itself when the token is cancelled): thrown from inside a step, so not clean.
        }
        finally
        {
            offsets.StoreAcknowledged(consumer, _outputs);

            // A checkpoint begun in the loop was cut between two verdicts and is whole. A new one only on a clean
            // stop: after an exception inside a verdict the stores may hold part of an event whose position is before
            // it, and a restart from such a checkpoint would take the replayed event for a duplicate and lose the rest
            // of it (an alert, say). Without it the restart replays from the previous checkpoint.
            if (_cycle is not null)
            {
                _cycle.Finish();
                if (stoppedCleanly)
                {
                    BeginCheckpoint();
                    _cycle.Finish();
                }
            }

            consumer.Close();
        }
    }

    private void Advance(EventTopic? kind, int partition, long next)
    {
        if (kind is { } input)
        {
            PartitionSlots.Set(ref _next[(int)input], partition, next);
        }
    }

    private long Next(string topic, int partition) =>
        EventDispatcher.TryGetTopic(topic, out var t) ? PartitionSlots.Get(_next[(int)t], partition) : -1;

    private TopicPartitionOffset StartPosition(TopicPartition partition) =>
        CheckpointManifest.StartOf(partition, Next(partition.Topic, partition.Partition.Value), LastCheckpoint, _checkpoints is not null);

    /// <summary>
    /// How long a due checkpoint waits for a pass of the loop at which every alert and dead letter produced is already
    /// acknowledged, before it begins anyway and waits for them (<see cref="BeginCheckpoint"/>). The wait blocked the
    /// engine thread: librdkafka's flush polls in 10 ms steps while the client's own thread takes the delivery report,
    /// and an alert just produced is often in flight (10 minutes at 28,851 events/s: 5 of the 10 slowest alerts came
    /// within a second of an engine checkpoint's beginning).
    /// </summary>
    internal static readonly TimeSpan CheckpointPatience = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether a pass of the loop at <paramref name="utcNow"/> begins the checkpoint due at <paramref name="due"/>: at
    /// once when every output is acknowledged, otherwise only once <see cref="CheckpointPatience"/> is out (then
    /// <see cref="BeginCheckpoint"/> waits for them), so a steady stream of alerts cannot hold checkpoints off.
    /// </summary>
    internal static bool CheckpointBegins(DateTime utcNow, DateTime due, bool allAcknowledged) =>
        utcNow >= due && (allAcknowledged || utcNow >= due + CheckpointPatience);

    /// <summary>
    /// Begins a checkpoint on the engine thread, between two events: first every alert and dead letter produced so far
    /// is acknowledged by the cluster (so nothing the checkpoint covers can be lost; the loop begins one at a pass where
    /// they already are, waiting for them only once <see cref="CheckpointPatience"/> is out), then both per-party stores cut
    /// their version here (<see cref="FasterStore{TValue}.BeginCheckpoint"/>) and the input positions of that cut are
    /// noted. The engine goes on judging while FASTER writes the snapshots; <see cref="CheckpointCycle"/> then commits the
    /// manifest (atomically, off this thread). A failure leaves the previous checkpoint in force.
    /// </summary>
    private void BeginCheckpoint()
    {
        try
        {
            if (!_outputs.AllAcknowledged && _producer.Flush(TimeSpan.FromSeconds(30)) > 0)
            {
                Log.CheckpointSkipped(_logger, "alerts not yet acknowledged by the cluster");
                return;
            }

            var previous = LastCheckpoint;
            var positions = new List<PartitionPosition>();
            for (var t = 0; t < _next.Length; t++)
            {
                for (var p = 0; p < _next[t].Length; p++)
                {
                    if (_next[t][p] >= 0)
                    {
                        positions.Add(new PartitionPosition(Topics.EngineInputs[t], p, _next[t][p]));
                    }
                }
            }

            // Partitions not judged since the previous checkpoint keep its position.
            foreach (var old in previous?.Positions ?? [])
            {
                if (!positions.Exists(p => p.Topic == old.Topic && p.Partition == old.Partition))
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
            _cycle!.Begin(manifest, _stores.Parties.BeginCheckpoint, _stores.Pairs.BeginCheckpoint);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or KafkaException)
        {
            Log.CheckpointSkipped(_logger, e.Message);
        }
    }

    // The input kind comes mapped from the merge's source (null for a topic that is no engine input).
    private void Judge(RuleSetSwitch rules, string topicName, EventTopic? kind, int partition, in BufferedRecord record)
    {
        var rebate = kind == EventTopic.Rebates;
        if (rebate && RebateRecord.IsFromAnotherGroup(record.Value, Rebates.Origin))
        {
            Interlocked.Increment(ref _rebatesOfOtherGroups);
            return;
        }

        Interlocked.Increment(ref rebate ? ref _rebatesReceived : ref _processed);
        if (_replay.IsReplay(topicName, partition, record.Offset))
        {
            // Judged before by this group (its alerts, rebates and dead letters are in the cluster): state only.
            if (!rebate)
            {
                Interlocked.Increment(ref _replayed);
            }

            AlertSink.Muted = true;
            Rebates.Muted = true;
            try
            {
                if (record.ValueLength >= 0 && kind is { } replayed)
                {
                    rules.TryProcess(replayed, record.Value, record.TimestampMs, out _);
                }
            }
            finally
            {
                AlertSink.Muted = false;
                Rebates.Muted = false;
            }

            return;
        }

        ParseError error;
        if (record.ValueLength < 0)
        {
            error = new ParseError(RejectReason.InvalidJson, string.Empty);
        }
        else if (kind is not { } topic)
        {
            error = new ParseError(RejectReason.UnknownEventKind, string.Empty);
        }
        else if (rules.TryProcess(topic, record.Value, record.TimestampMs, out error))
        {
            return;
        }

        Interlocked.Increment(ref _deadLettered);
        if (error.Reason == RejectReason.Late)
        {
            Interlocked.Increment(ref _late);
        }

        Log.DeadLettered(_logger, topicName, partition, record.Offset, error.Reason, error.Field);
        DeadLetters.Send(new TopicPartitionOffset(topicName, partition, record.Offset), record.Key, record.Value, error);
    }

    /// <summary>Stops the thread after the current event and closes the consumer (leaving the group cleanly).</summary>
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

        [LoggerMessage(EventId = 1015, Level = LogLevel.Information, Message = "Party index prefetch: {State}")]
        public static partial void PartyPrefetch(ILogger logger, string state);

        [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Checkpoint {Sequence} not recovered: {Reason}; trying the one before")]
        public static partial void CheckpointPassedOver(ILogger logger, long sequence, string reason);

        [LoggerMessage(EventId = 1017, Level = LogLevel.Critical, Message = "The engine's state cannot be recovered: {Reason}")]
        public static partial void RecoveryFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1014, Level = LogLevel.Error, Message = "The engine thread did not stop within {Seconds} s")]
        public static partial void StopTimedOut(ILogger logger, double seconds);

        [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "The engine cannot use the topic {Topic}: {Problem}")]
        public static partial void RebateTopicUnusable(ILogger logger, string topic, string problem);

        [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "A rebate for R12 was not acknowledged by Kafka: {Reason}")]
        public static partial void RebateDeliveryFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Recovered checkpoint {Sequence} with {Partitions} input positions")]
        public static partial void Recovered(ILogger logger, long sequence, int partitions);

        [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Committed offsets of newly assigned partitions unknown ({Reason}): their replayed records produce their alerts again")]
        public static partial void ReplayBoundsUnknown(ILogger logger, string reason);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Checkpoint skipped: {Reason}")]
        public static partial void CheckpointSkipped(ILogger logger, string reason);

        [LoggerMessage(EventId = 1010, Level = LogLevel.Debug, Message = "Checkpoint {Sequence} committed: engine paused {PauseMs:F1} ms, written in {TotalMs:F0} ms")]
        public static partial void CheckpointTaken(ILogger logger, long sequence, double pauseMs, double totalMs);

        [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Rule set {Version} active")]
        public static partial void RulesActive(ILogger logger, string version);

        [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Rule set {Version} active from event time {EffectiveFromMs} (switched before the event at {TimestampMs})")]
        public static partial void RulesSwitched(ILogger logger, string version, long effectiveFromMs, long timestampMs);
    }
}
