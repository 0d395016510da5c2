using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using Microsoft.Extensions.Logging;

namespace FraudShield.Host.Bench;

/// <summary>
/// Deletes, on the embedded cluster, the records every consumer group reading a partition has committed, as Kafka
/// Streams purges its repartition topics. A real broker finds a fetch offset through an index; the embedded cluster
/// walks the partition's whole list of message sets from the oldest on every fetch (librdkafka's
/// <c>rd_kafka_mock_msgset_find</c>), so with its default retention (5 MiB per partition) its one thread spends most of
/// its time walking lists. Trimming what is consumed keeps those lists to the last half second or so.
/// For benchmark runs only: a checkpoint recovery replays from the checkpoint's offsets, which may be older than the
/// committed ones, and a trimmed partition no longer holds them. Rounds run on a thread of their own, which counts
/// what it allocates (<see cref="AllocatedBytes"/>) so the bench keeps it out of the node's figures.
/// </summary>
internal sealed partial class ConsumedLogTrimmer : IDisposable
{
    /// <summary>How often the bench trims: as often as the consumers commit (<see cref="PartitionOffsets.DefaultInterval"/>).</summary>
    public static readonly TimeSpan Period = PartitionOffsets.DefaultInterval;

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    private readonly EmbeddedKafkaCluster _cluster;
    private readonly (IConsumer<Ignore, Ignore> Consumer, List<TopicPartition> Partitions)[] _readers;
    private readonly Dictionary<TopicPartition, long> _lowest = [];
    private readonly Dictionary<TopicPartition, long> _trimmed = [];
    private readonly HashSet<TopicPartition> _blocked = [];
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _stop = new();
    private Thread? _thread;
    private long _deletions;
    private long _allocated;

    /// <summary>Creates the trimmer; <see cref="Start"/> starts its rounds.</summary>
    /// <param name="cluster">The embedded cluster whose logs are trimmed.</param>
    /// <param name="kafka">Where to ask for the groups' committed offsets.</param>
    /// <param name="readers">Every consumer group and the topics it reads: a partition is trimmed to the lowest
    /// committed offset of the groups reading it, and not at all while one of them has committed none.</param>
    /// <param name="partitions">The partition count of every topic read.</param>
    /// <param name="logger">Where a failed round is logged.</param>
    public ConsumedLogTrimmer(EmbeddedKafkaCluster cluster, KafkaOptions kafka, IReadOnlyList<(string Group, string[] Topics)> readers, int partitions, ILogger logger)
    {
        _cluster = cluster;
        _logger = logger;
        var built = new List<(IConsumer<Ignore, Ignore>, List<TopicPartition>)>(readers.Count);
        try
        {
            foreach (var (group, topics) in readers)
            {
                // A consumer that never subscribes: it only asks its group's coordinator for the committed offsets.
                var config = kafka.CreateConsumerConfig(group);
                config.EnableAutoCommit = false;
                built.Add((new ConsumerBuilder<Ignore, Ignore>(config).Build(), topics.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartition(t, p))).ToList()));
            }
        }
        catch
        {
            // A consumer that fails to build (a bad -X setting) leaves none of the ones built before it open.
            foreach (var (consumer, _) in built)
            {
                consumer.Dispose();
            }

            throw;
        }

        _readers = [.. built];
    }

    /// <summary>How many partition trims were made.</summary>
    public long Deletions => Interlocked.Read(ref _deletions);

    /// <summary>Bytes allocated by the trimming thread so far.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocated);

    /// <summary>Starts a round every <see cref="Period"/> on a thread of its own, until disposed.</summary>
    public void Start()
    {
        if (_thread is not null)
        {
            return;
        }

        _thread = new Thread(Loop) { IsBackground = true, Name = "fs-bench-trim" };
        _thread.Start();
    }

    /// <summary>One round: the lowest committed offset per partition over its readers, and the records before it deleted.</summary>
    internal void TrimOnce()
    {
        _lowest.Clear();
        _blocked.Clear();
        foreach (var (consumer, partitions) in _readers)
        {
            foreach (var committed in consumer.Committed(partitions, QueryTimeout))
            {
                var tp = committed.TopicPartition;
                if (committed.Offset.IsSpecial)
                {
                    _blocked.Add(tp);
                }
                else
                {
                    _lowest[tp] = _lowest.TryGetValue(tp, out var seen) ? Math.Min(seen, committed.Offset.Value) : committed.Offset.Value;
                }
            }
        }

        foreach (var (tp, offset) in _lowest)
        {
            if (_blocked.Contains(tp) || (_trimmed.TryGetValue(tp, out var done) && done >= offset))
            {
                continue;
            }

            _cluster.DeleteRecordsBefore(tp.Topic, tp.Partition.Value, offset);
            _trimmed[tp] = offset;
            Interlocked.Increment(ref _deletions);
        }
    }

    private void Loop()
    {
        var start = GC.GetAllocatedBytesForCurrentThread();
        while (!_stop.Wait(Period))
        {
            try
            {
                TrimOnce();
            }
            catch (Exception ex) when (ex is KafkaException or InvalidOperationException)
            {
                TrimFailed(_logger, ex);
            }

            Interlocked.Exchange(ref _allocated, GC.GetAllocatedBytesForCurrentThread() - start);
        }
    }

    /// <summary>Stops the rounds and closes the consumers.</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        foreach (var (consumer, _) in _readers)
        {
            consumer.Dispose();
        }

        _stop.Dispose();
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Trimming the embedded cluster's consumed records failed; trying again next round")]
    private static partial void TrimFailed(ILogger logger, Exception exception);
}
