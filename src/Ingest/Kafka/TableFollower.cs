using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Follows a whole table topic (a compacted topic such as fs.watchlist) in this process, like a Kafka Streams
/// GlobalKTable: every partition is assigned directly from the beginning, with no consumer group membership and no
/// commits, and a dedicated thread hands each record to a <see cref="TableRecordHandler"/>.
/// </summary>
/// <remarks>
/// <para>Caught up means: for every partition, the next offset to apply is at least the high watermark the broker
/// reports at the time of the question. Engines call <see cref="WaitUntilCaughtUpAsync"/> before processing events,
/// so rules see the whole table; a status RPC calls <see cref="IsCaughtUp"/>.</para>
/// <para>The partition count is read once, at <see cref="Start"/>; partitions added later are not followed.</para>
/// <para>A handler exception does not stop the thread: it is counted in <see cref="HandlerErrors"/>, logged, and the
/// record is skipped.</para>
/// <para>With a <see cref="TableFollowerStart"/> the follower starts each partition at a saved next offset instead of
/// the beginning (a table restored from a snapshot), and calls <see cref="TableFollowerStart.BetweenRecords"/> on its
/// own thread, between two records, at most once per <see cref="TableFollowerStart.Interval"/> and only when it has
/// moved since the last call, plus once when it stops cleanly: the handler's writes are then quiescent, so the
/// callback can snapshot what the handler built together with the offsets it reflects.</para>
/// </remarks>
public sealed partial class TableFollower : IDisposable
{
    private const int SignalEveryRecords = 256;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HookPollInterval = TimeSpan.FromMilliseconds(250);

    private readonly IConsumer<int, int> _consumer;
    private readonly ReusableBufferDeserializer _keys;
    private readonly ReusableBufferDeserializer _values;
    private readonly TableRecordHandler _handler;
    private readonly ILogger _logger;
    private readonly long[] _nextOffsets;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TableFollowerStart? _start;
    private bool _movedSinceHook;
    private long _hookCalls;
    private TaskCompletionSource _progress = NewProgress();
    private int _waiters;
    private long _recordsApplied;
    private long _handlerErrors;
    private long _consumeErrors;
    private volatile Exception? _fatal;
    private volatile bool _running;
    private int _disposed;

    private TableFollower(
        string topic,
        int partitions,
        IConsumer<int, int> consumer,
        ReusableBufferDeserializer keys,
        ReusableBufferDeserializer values,
        TableRecordHandler handler,
        ILogger logger,
        TableFollowerStart? start)
    {
        Topic = topic;
        _consumer = consumer;
        _keys = keys;
        _values = values;
        _handler = handler;
        _logger = logger;
        _nextOffsets = new long[partitions];
        _start = start;
        _thread = new Thread(Run) { IsBackground = true, Name = $"table:{topic}" };
    }

    /// <summary>The followed topic.</summary>
    public string Topic { get; }

    /// <summary>The number of partitions followed.</summary>
    public int PartitionCount => _nextOffsets.Length;

    /// <summary>Records handed to the handler without an exception.</summary>
    public long RecordsApplied => Interlocked.Read(ref _recordsApplied);

    /// <summary>Records whose handler threw; each was logged and skipped.</summary>
    public long HandlerErrors => Interlocked.Read(ref _handlerErrors);

    /// <summary>Errors reported by Consume (e.g. a broker or partition error); the follower retries through them.</summary>
    public long ConsumeErrors => Interlocked.Read(ref _consumeErrors);

    /// <summary>Completed calls of <see cref="TableFollowerStart.BetweenRecords"/> (a throwing call is logged, not counted).</summary>
    public long BetweenRecordsCalls => Interlocked.Read(ref _hookCalls);

    /// <summary>True while the background thread runs.</summary>
    public bool IsRunning => _running;

    /// <summary>
    /// Discovers the partitions of <paramref name="topic"/> from the cluster metadata, assigns all of them from the
    /// beginning (or from <paramref name="start"/>'s offsets) and starts the background thread.
    /// </summary>
    /// <param name="options">Where the cluster is; the consumer uses <see cref="KafkaOptions.CreateTableFollowerConfig"/>.</param>
    /// <param name="topic">The table topic; it must exist.</param>
    /// <param name="handler">Applies each record, on the follower's thread.</param>
    /// <param name="logger">Receives handler and consume errors; none when null.</param>
    /// <param name="metadataTimeout">How long the metadata request may take; 10 s when null.</param>
    /// <param name="start">Where to start and the between-records callback; from the beginning, no callback, when null.</param>
    /// <param name="latencySensitive">True for a table on the alert path (fetches wait 2 ms instead of 100 ms).</param>
    /// <returns>The running follower.</returns>
    /// <exception cref="InvalidOperationException">The topic does not exist or has no partitions.</exception>
    /// <exception cref="ArgumentException"><paramref name="start"/> has offsets for another number of partitions.</exception>
    public static TableFollower Start(
        KafkaOptions options,
        string topic,
        TableRecordHandler handler,
        ILogger? logger = null,
        TimeSpan? metadataTimeout = null,
        TableFollowerStart? start = null,
        bool latencySensitive = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);

        var keys = new ReusableBufferDeserializer();
        var values = new ReusableBufferDeserializer();
        IConsumer<int, int> consumer = new ConsumerBuilder<int, int>(options.CreateTableFollowerConfig(latencySensitive))
            .WithLogs(options)
            .SetKeyDeserializer(keys)
            .SetValueDeserializer(values)
            .Build();
        try
        {
            int partitions = DiscoverPartitions(consumer, topic, metadataTimeout ?? TimeSpan.FromSeconds(10));
            IReadOnlyList<long>? offsets = start?.Offsets;
            if (offsets is not null && offsets.Count != partitions)
            {
                throw new ArgumentException(
                    $"Table {topic} has {partitions} partitions; the start offsets name {offsets.Count}", nameof(start));
            }

            var follower = new TableFollower(topic, partitions, consumer, keys, values, handler, logger ?? NullLogger.Instance, start);
            var assignment = new List<TopicPartitionOffset>(partitions);
            for (int p = 0; p < partitions; p++)
            {
                if (offsets is null)
                {
                    assignment.Add(new TopicPartitionOffset(topic, p, Offset.Beginning));
                }
                else
                {
                    // Everything below the saved offset is in the restored table already.
                    follower._nextOffsets[p] = offsets[p];
                    assignment.Add(new TopicPartitionOffset(topic, p, new Offset(offsets[p])));
                }
            }

            consumer.Assign(assignment);
            follower._running = true;
            follower._thread.Start();
            if (offsets is null)
            {
                Log.Started(follower._logger, topic, partitions);
            }
            else
            {
                Log.StartedAtOffsets(follower._logger, topic, partitions, offsets);
            }

            return follower;
        }
        catch
        {
            consumer.Dispose();
            keys.Dispose();
            values.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the cluster for the partitions of <paramref name="topic"/> and each one's low and high watermark, with a
    /// short-lived consumer: what a saved start position is checked against before a table is restored.
    /// </summary>
    /// <param name="options">Where the cluster is.</param>
    /// <param name="topic">The table topic; it must exist.</param>
    /// <param name="timeout">The timeout of the metadata request and of each watermark query.</param>
    /// <returns>One entry per partition, in partition order.</returns>
    /// <exception cref="InvalidOperationException">The topic does not exist or has no partitions.</exception>
    /// <exception cref="KafkaException">A watermark query failed.</exception>
    public static IReadOnlyList<PartitionWatermarks> QueryWatermarks(KafkaOptions options, string topic, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        using IConsumer<Ignore, Ignore> consumer = new ConsumerBuilder<Ignore, Ignore>(options.CreateTableFollowerConfig()).WithLogs(options).Build();
        int partitions = DiscoverPartitions(consumer, topic, timeout);
        var result = new PartitionWatermarks[partitions];
        for (int p = 0; p < partitions; p++)
        {
            WatermarkOffsets offsets = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), timeout);
            result[p] = new PartitionWatermarks(p, offsets.Low.Value, offsets.High.Value);
        }

        consumer.Close();
        return result;
    }

    /// <summary>The next offset to apply in <paramref name="partition"/> (0 before the first record).</summary>
    /// <param name="partition">The partition number, 0..<see cref="PartitionCount"/>-1.</param>
    /// <returns>The offset after the last applied (or skipped) record of the partition.</returns>
    public long GetNextOffset(int partition) => Volatile.Read(ref _nextOffsets[partition]);

    /// <summary>
    /// Asks the broker for every partition's high watermark now and tells whether every record below it has been
    /// applied. A failed watermark query counts as not caught up (and is logged).
    /// </summary>
    /// <param name="queryTimeout">The timeout of each partition's watermark query.</param>
    /// <returns>True when the follower has applied the whole table as of this call.</returns>
    public bool IsCaughtUp(TimeSpan queryTimeout)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        long[]? targets = TryQueryHighWatermarks(queryTimeout, out _);
        return targets is not null && FirstBehind(targets) < 0;
    }

    /// <summary>
    /// Waits until every record below the high watermarks queried at the start of this call has been applied:
    /// the table is loaded as of now. Watermark queries that fail are retried until <paramref name="timeout"/>.
    /// </summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when caught up.</returns>
    /// <exception cref="TimeoutException">Not caught up in time; the message names a partition that is behind.</exception>
    /// <exception cref="InvalidOperationException">The follower stopped (disposed or a fatal error).</exception>
    public async Task WaitUntilCaughtUpAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

        long[]? targets = null;
        string lastError = "no answer";
        while (targets is null)
        {
            TimeSpan remaining = Remaining(deadline);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Table {Topic}: watermarks could not be queried within {timeout}: {lastError}");
            }

            TimeSpan queryTimeout = remaining < TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5);
            (targets, lastError) = await Task.Run(
                () => (TryQueryHighWatermarks(queryTimeout, out string error), error), cancellationToken);
        }

        Interlocked.Increment(ref _waiters);
        try
        {
            while (true)
            {
                Task progress = Volatile.Read(ref _progress).Task;
                int behind = FirstBehind(targets);
                if (behind < 0)
                {
                    return;
                }

                if (!_running)
                {
                    throw new InvalidOperationException($"Table follower for {Topic} stopped before catching up", _fatal);
                }

                TimeSpan remaining = Remaining(deadline);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException(
                        $"Table {Topic} not caught up within {timeout}: partition {behind} is at offset " +
                        $"{GetNextOffset(behind)}, high watermark {targets[behind]}");
                }

                try
                {
                    await progress.WaitAsync(remaining, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // The loop reports which partition is behind.
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    /// <summary>Stops the thread, closes the consumer (no commits, no group to leave) and frees buffers. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        TimeSpan stopTimeout = _start is null ? StopTimeout : StopTimeout + _start.FinalCallTimeout;
        if (_thread.IsAlive && !_thread.Join(stopTimeout))
        {
            // The thread is stuck in the handler; the consumer cannot be closed under it.
            return;
        }

        try
        {
            _consumer.Close();
        }
        catch (KafkaException e)
        {
            Log.ConsumeFailed(_logger, Topic, e.Error.Reason, e.Error.Code);
        }

        _consumer.Dispose();
        _keys.Dispose();
        _values.Dispose();
        _stop.Dispose();
        Volatile.Read(ref _progress).TrySetResult();
    }

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TimeSpan Remaining(long deadline) =>
        TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);

    private static int DiscoverPartitions(IClient consumer, string topic, TimeSpan timeout)
    {
        using IAdminClient admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        Metadata metadata = admin.GetMetadata(topic, timeout);
        TopicMetadata? topicMetadata = metadata.Topics.Find(t => t.Topic == topic);
        if (topicMetadata is null || topicMetadata.Error.IsError || topicMetadata.Partitions.Count == 0)
        {
            string reason = topicMetadata is null ? "not in metadata" : topicMetadata.Error.Reason;
            throw new InvalidOperationException($"Table topic {topic} cannot be followed: {reason}");
        }

        return topicMetadata.Partitions.Count;
    }

    private int FirstBehind(long[] highWatermarks)
    {
        for (int p = 0; p < highWatermarks.Length; p++)
        {
            if (GetNextOffset(p) < highWatermarks[p])
            {
                return p;
            }
        }

        return -1;
    }

    private long[]? TryQueryHighWatermarks(TimeSpan queryTimeout, out string error)
    {
        var highs = new long[_nextOffsets.Length];
        for (int p = 0; p < highs.Length; p++)
        {
            try
            {
                WatermarkOffsets offsets = _consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), queryTimeout);
                highs[p] = offsets.High.Value;
            }
            catch (KafkaException e)
            {
                Log.WatermarkQueryFailed(_logger, Topic, p, e.Error.Reason);
                error = e.Error.Reason;
                return null;
            }
        }

        error = string.Empty;
        return highs;
    }

    private void Run()
    {
        CancellationToken token = _stop.Token;
        int sinceSignal = 0;
        TableSnapshotCallback? hook = _start?.BetweenRecords;
        long lastHook = Stopwatch.GetTimestamp();
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (hook is not null && _movedSinceHook && Stopwatch.GetElapsedTime(lastHook) >= _start!.Interval)
                {
                    CallHook(hook);
                    lastHook = Stopwatch.GetTimestamp();
                }

                ConsumeResult<int, int>? result;
                try
                {
                    // With a callback the consume wait is bounded so the callback runs on time while the topic is quiet.
                    result = hook is null ? _consumer.Consume(token) : _consumer.Consume(HookPollInterval);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (ConsumeException e)
                {
                    Interlocked.Increment(ref _consumeErrors);
                    Log.ConsumeFailed(_logger, Topic, e.Error.Reason, e.Error.Code);
                    if (e.Error.IsFatal)
                    {
                        throw;
                    }

                    continue;
                }

                if (result is null)
                {
                    continue;
                }

                int partition = result.Partition.Value;
                if (result.IsPartitionEOF)
                {
                    // Everything below the end offset has been delivered (control records and compacted gaps included).
                    AdvanceTo(partition, result.Offset.Value);
                    Signal();
                    sinceSignal = 0;
                    continue;
                }

                Apply(result);
                AdvanceTo(partition, result.Offset.Value + 1);
                if (++sinceSignal >= SignalEveryRecords)
                {
                    Signal();
                    sinceSignal = 0;
                }
            }

            // A clean stop: one last callback so what was applied since the last one is not read again.
            if (hook is not null && _movedSinceHook)
            {
                CallHook(hook);
            }
        }
        catch (Exception e)
        {
            _fatal = e;
            Log.Fatal(_logger, e, Topic);
        }
        finally
        {
            _running = false;
            Signal();
            Log.Stopped(_logger, Topic, RecordsApplied);
        }
    }

    private void Apply(ConsumeResult<int, int> result)
    {
        bool isTombstone = result.Message.Value == ReusableBufferDeserializer.Null;
        try
        {
            _handler(_keys.Current, _values.Current, isTombstone, result.Message.Timestamp.UnixTimestampMs);
            Interlocked.Increment(ref _recordsApplied);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _handlerErrors);
            Log.HandlerFailed(_logger, e, Topic, result.Partition.Value, result.Offset.Value);
        }
    }

    private void AdvanceTo(int partition, long nextOffset)
    {
        if ((uint)partition < (uint)_nextOffsets.Length && nextOffset > Volatile.Read(ref _nextOffsets[partition]))
        {
            Volatile.Write(ref _nextOffsets[partition], nextOffset);
            _movedSinceHook = true;
        }
    }

    private void CallHook(TableSnapshotCallback hook)
    {
        // Only this thread writes the offsets, so the copy is exactly what the handler has applied.
        var offsets = new long[_nextOffsets.Length];
        for (int p = 0; p < offsets.Length; p++)
        {
            offsets[p] = Volatile.Read(ref _nextOffsets[p]);
        }

        _movedSinceHook = false;
        try
        {
            hook(offsets);
            Interlocked.Increment(ref _hookCalls);
        }
        catch (Exception e)
        {
            // The table keeps being followed; the next call tries again.
            _movedSinceHook = true;
            Log.BetweenRecordsFailed(_logger, e, Topic);
        }
    }

    private void Signal()
    {
        if (Volatile.Read(ref _waiters) > 0)
        {
            Interlocked.Exchange(ref _progress, NewProgress()).TrySetResult();
        }
    }
}

/// <summary>The low and high watermark of one partition of a table topic.</summary>
/// <param name="Partition">The partition number.</param>
/// <param name="Low">The first offset still in the partition.</param>
/// <param name="High">The offset the next record will get.</param>
public readonly record struct PartitionWatermarks(int Partition, long Low, long High);

/// <summary>
/// Called by a <see cref="TableFollower"/> on its own thread between two records (see <see cref="TableFollowerStart"/>).
/// </summary>
/// <param name="nextOffsets">Per partition, the offset after the last record applied: the handler's writes reflect
/// exactly the records below these.</param>
public delegate void TableSnapshotCallback(IReadOnlyList<long> nextOffsets);

/// <summary>Where a <see cref="TableFollower"/> starts and what it calls between records.</summary>
public sealed record TableFollowerStart
{
    /// <summary>
    /// Per partition, the offset to start at (the table already holds everything below it); null starts every partition
    /// from the beginning. The caller checks them against <see cref="TableFollower.QueryWatermarks"/> first.
    /// </summary>
    public IReadOnlyList<long>? Offsets { get; init; }

    /// <summary>Called on the follower's thread between two records; none when null.</summary>
    public TableSnapshotCallback? BetweenRecords { get; init; }

    /// <summary>The least time between two calls of <see cref="BetweenRecords"/>.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How much longer than usual <see cref="TableFollower.Dispose"/> waits for the final call to finish.</summary>
    public TimeSpan FinalCallTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
