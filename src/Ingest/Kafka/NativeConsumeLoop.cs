using System.Diagnostics;
using Confluent.Kafka;

namespace FraudShield.Ingest.Kafka;

/// <summary>What a <see cref="NativeConsumeLoop"/> calls, all on the loop's thread.</summary>
public interface INativeConsumeHandler
{
    /// <summary>Partitions were assigned; returns where each starts (<see cref="Offset.Unset"/>: the group's committed offset).</summary>
    IEnumerable<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions);

    /// <summary>
    /// Partitions were revoked (their done offsets are stored by then) or, with <paramref name="lost"/>, lost (nothing
    /// can be stored for them any more).
    /// </summary>
    void OnRevoked(List<TopicPartitionOffset> partitions, bool lost);

    /// <summary>Between two batches: time for periodic work (checkpoints) and nothing of a record in hand.</summary>
    void OnPass();

    /// <summary>
    /// A record, read in place (valid during the call only). When this returns the record is done: its offset may be
    /// stored. An exception ends the loop (the record's offset is not stored).
    /// </summary>
    void OnRecord(in NativeMessage message);

    /// <summary>A consumer-level error (the client retries by itself).</summary>
    void OnConsumerError(Error consumerError);

    /// <summary>A message-level error from the poll (a record it could not fetch).</summary>
    void OnConsumeFailed(ErrorCode code, string reason);
}

/// <summary>
/// A consumer-group member's read loop that allocates nothing per record: the consumer is built by Confluent.Kafka
/// (group membership, cooperative rebalances, offset storage, background commits, <c>Close</c>), records are read in
/// place through <see cref="NativePoller"/>, drained up to a batch per pass (the first poll waits, the rest do not), and
/// their offsets are stored through <see cref="PartitionOffsets"/> once per partition per interval, before a revoke
/// and on stop, and only for records the handler returned from (with an <see cref="OutputLedger"/>: and whose outputs
/// are acknowledged). Serves the counterparty stage's repartitioner and aggregator.
/// </summary>
public static class NativeConsumeLoop
{
    /// <summary>Records drained per pass without waiting (bounds the time between two <see cref="INativeConsumeHandler.OnPass"/>).</summary>
    public const int DefaultMaxBatch = 512;

    /// <summary>
    /// Subscribes to <paramref name="topics"/> with a consumer built from <paramref name="config"/> (which should have
    /// <c>enable.auto.offset.store=false</c>) and runs until <paramref name="stop"/> is cancelled; then stores the done
    /// offsets and closes the consumer (leaving the group).
    /// </summary>
    /// <param name="config">The consumer's settings.</param>
    /// <param name="topics">The topics to subscribe to.</param>
    /// <param name="handler">What handles assignments, records and errors.</param>
    /// <param name="stop">Ends the loop after the current record.</param>
    /// <param name="pollWait">The longest a pass waits for its first record (default 100 ms).</param>
    /// <param name="maxBatch">Records drained per pass (default <see cref="DefaultMaxBatch"/>).</param>
    /// <param name="offsetStoreInterval">Time between offset stores (default <see cref="PartitionOffsets.DefaultInterval"/>).</param>
    /// <param name="outputs">
    /// What the handler produces while judging records: offsets are stored only once those outputs are acknowledged
    /// (before a revoke and on stop the loop waits up to 10 s for them, and leaves the offsets where they were if they
    /// are not). Null when the handler's outputs need no waiting for.
    /// </param>
    /// <param name="replay">
    /// Told where each assigned partition starts (the handler's answer), so the handler can tell the records before
    /// the group's committed offset (<see cref="ReplayBounds.IsReplay"/>).
    /// </param>
    /// <param name="log">Receives the consumer's librdkafka log lines (<see cref="KafkaOptions.LogHandler"/>); null leaves them on stderr.</param>
    public static void Run<THandler>(ConsumerConfig config, IEnumerable<string> topics, THandler handler, CancellationToken stop, TimeSpan? pollWait = null, int maxBatch = DefaultMaxBatch, TimeSpan? offsetStoreInterval = null, OutputLedger? outputs = null, ReplayBounds? replay = null, Action<LogMessage>? log = null)
        where THandler : INativeConsumeHandler
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var waitMs = (int)(pollWait ?? TimeSpan.FromMilliseconds(100)).TotalMilliseconds;
        var offsets = new PartitionOffsets(offsetStoreInterval);
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config)
            .WithLogs(log)
            .SetPartitionsAssignedHandler((c, partitions) =>
            {
                var starts = handler.OnAssigned(partitions).ToList();
                if (replay?.Assign(c, starts) is { } error)
                {
                    handler.OnConsumerError(new Error(ErrorCode.Local_TimedOut, $"committed offsets of the assigned partitions unknown ({error}): their replayed records produce their outputs again"));
                }

                return starts;
            })
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                offsets.StoreAcknowledged(c, outputs);
                foreach (var p in partitions)
                {
                    offsets.Forget(p.Topic, p.Partition.Value);
                }

                handler.OnRevoked(partitions, lost: false);
            })
            .SetPartitionsLostHandler((_, partitions) =>
            {
                foreach (var p in partitions)
                {
                    offsets.Forget(p.Topic, p.Partition.Value);
                }

                handler.OnRevoked(partitions, lost: true);
            })
            .SetErrorHandler((_, error) => handler.OnConsumerError(error))
            .Build();
        consumer.Subscribe(topics);

        // Records are read in place (no per-record objects); the consumer keeps the group, offsets and commits.
        using var poller = new NativePoller(consumer);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                handler.OnPass();
                for (var taken = 0; taken < maxBatch; taken++)
                {
                    if (!poller.TryPoll(taken == 0 ? waitMs : 0, out var message))
                    {
                        break;
                    }

                    using (message)
                    {
                        if (message.IsPartitionEof)
                        {
                            continue;
                        }

                        if (message.Error != ErrorCode.NoError)
                        {
                            handler.OnConsumeFailed(message.Error, message.ErrorReason);
                            continue;
                        }

                        handler.OnRecord(in message);
                        offsets.MarkDone(message.Topic, message.Partition, message.Offset + 1);
                    }
                }

                offsets.StoreIfDue(consumer, Stopwatch.GetTimestamp(), outputs);
            }
        }
        finally
        {
            offsets.StoreAcknowledged(consumer, outputs);
            consumer.Close();
        }
    }
}
