using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using Microsoft.Extensions.Logging;

namespace FraudShield.Host.Bench;

/// <summary>
/// Deletes, on the embedded cluster, the records every consumer group reading a partition has committed, as Kafka
/// Streams purges its repartition topics. A real broker finds a fetch offset through an index; the embedded cluster
/// walks the partition's whole list of message sets from the oldest on every fetch (librdkafka's
/// <c>rd_kafka_mock_msgset_find</c>), so with the default retention (5 MiB per partition) its one thread spends most of
/// its time walking lists. Trimming what is consumed keeps those lists to the last second or so and the walk to what
/// a real broker's lookup costs. For benchmark runs only: a checkpoint recovery replays from the checkpoint's
/// offsets, which may be older than the committed ones, and a trimmed partition no longer holds them.
/// </summary>
internal sealed partial class ConsumedLogTrimmer : IAsyncDisposable
{
    private readonly EmbeddedKafkaCluster _cluster;
    private readonly IAdminClient _admin;
    private readonly IReadOnlyList<(string Group, string[] Topics)> _readers;
    private readonly int _partitions;
    private readonly TimeSpan _period;
    private readonly ILogger _logger;
    /// <summary>How often the bench trims: as often as the consumers commit (<see cref="PartitionOffsets.DefaultInterval"/>).</summary>
    public static readonly TimeSpan Period = PartitionOffsets.DefaultInterval;

    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<TopicPartition, long> _trimmed = [];
    private Task? _loop;
    private long _deletions;

    /// <summary>Creates the trimmer; <see cref="Start"/> starts its rounds.</summary>
    /// <param name="cluster">The embedded cluster whose logs are trimmed.</param>
    /// <param name="kafka">Where to ask for the groups' committed offsets.</param>
    /// <param name="readers">Every consumer group and the topics it reads: a partition is trimmed to the lowest
    /// committed offset of the groups reading it, and not at all while one of them has committed none.</param>
    /// <param name="partitions">The partition count of every topic read.</param>
    /// <param name="period">How often <see cref="Start"/> trims.</param>
    /// <param name="logger">Where a failed round is logged.</param>
    public ConsumedLogTrimmer(EmbeddedKafkaCluster cluster, KafkaOptions kafka, IReadOnlyList<(string Group, string[] Topics)> readers, int partitions, TimeSpan period, ILogger logger)
    {
        _cluster = cluster;
        _readers = readers;
        _partitions = partitions;
        _period = period;
        _logger = logger;
        _admin = new AdminClientBuilder(kafka.CreateAdminConfig()).Build();
    }

    /// <summary>Starts a round every period, until disposed.</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>How many partition trims were made.</summary>
    public long Deletions => Interlocked.Read(ref _deletions);

    /// <summary>One round: the lowest committed offset per partition over its readers, and the records before it deleted.</summary>
    internal async Task TrimOnceAsync(CancellationToken cancellationToken)
    {
        var lowest = new Dictionary<TopicPartition, long>();
        var blocked = new HashSet<TopicPartition>();
        foreach (var (group, topics) in _readers)
        {
            var wanted = topics.SelectMany(t => Enumerable.Range(0, _partitions).Select(p => new TopicPartition(t, p))).ToList();
            var results = await _admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, wanted)]).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var tpoe in results.SelectMany(r => r.Partitions))
            {
                if (tpoe.Error.IsError || tpoe.Offset.IsSpecial)
                {
                    blocked.Add(tpoe.TopicPartition);
                    continue;
                }

                lowest[tpoe.TopicPartition] = lowest.TryGetValue(tpoe.TopicPartition, out var seen) ? Math.Min(seen, tpoe.Offset.Value) : tpoe.Offset.Value;
            }
        }

        foreach (var (tp, offset) in lowest)
        {
            if (blocked.Contains(tp) || (_trimmed.TryGetValue(tp, out var done) && done >= offset))
            {
                continue;
            }

            _cluster.DeleteRecordsBefore(tp.Topic, tp.Partition.Value, offset);
            _trimmed[tp] = offset;
            Interlocked.Increment(ref _deletions);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await TrimOnceAsync(_stop.Token).ConfigureAwait(false);
                await Task.Delay(_period, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is KafkaException or InvalidOperationException or TimeoutException)
            {
                TrimFailed(_logger, ex);
                await Task.Delay(_period).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _admin.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Trimming the embedded cluster's consumed records failed; trying again next round")]
    private static partial void TrimFailed(ILogger logger, Exception exception);
}
