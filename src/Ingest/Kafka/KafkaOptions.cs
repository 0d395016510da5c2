using Confluent.Kafka;
using FraudShield.Ingest.Kafka.Internal;

namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Where the Kafka cluster is and how FraudShield's clients talk to it: the one place for every Kafka setting we use.
/// The same settings serve the embedded cluster and a real one; a real cluster's security settings go in
/// <see cref="ExtraProperties"/>.
/// </summary>
public sealed record KafkaOptions
{
    /// <summary>The comma-separated host:port list for <c>bootstrap.servers</c>.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The <c>client.id</c> prefix shown in broker logs and metrics; defaults to "fraudshield".</summary>
    public string ClientId { get; init; } = "fraudshield";

    /// <summary>
    /// Extra librdkafka properties applied last, over the defaults of the factory methods (e.g. <c>security.protocol</c>,
    /// <c>ssl.*</c>, <c>sasl.*</c> for a real cluster, or a tuning override). Keys are librdkafka property names.
    /// </summary>
    public IDictionary<string, string> ExtraProperties { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Receives the log lines of librdkafka in every client built with these options (<see cref="KafkaClientLogs"/>):
    /// its warnings and errors, and its debug lines when <see cref="ExtraProperties"/> sets <c>debug</c>. Null leaves
    /// them to librdkafka, which prints them on stderr. A node sends them to its logger.
    /// </summary>
    public Action<LogMessage>? LogHandler { get; init; }

    /// <summary>
    /// The longest a client waits between two attempts to reconnect to a broker: 1 s instead of librdkafka's 10 s, so
    /// the alerts held for a broker that went away flow within about a second of its return (the backoff doubles from
    /// 100 ms while the broker stays away; an attempt a second per client to a down broker costs nothing).
    /// </summary>
    public const int ReconnectBackoffMaxMs = 1_000;

    /// <summary>Options for a cluster reached at <paramref name="bootstrapServers"/> with the default settings.</summary>
    /// <param name="bootstrapServers">The <c>bootstrap.servers</c> list.</param>
    /// <returns>The options.</returns>
    public static KafkaOptions For(string bootstrapServers) => new() { BootstrapServers = bootstrapServers };

    /// <summary>
    /// Producer settings for alerts, dead letters and ingest: no loss and no duplicates from retries
    /// (<c>acks=all</c>, idempotence on, which also keeps per-partition order across retries) with a small
    /// <c>linger.ms</c> of 1 so batches form under load while an idle record waits at most 1 ms (0 with
    /// <paramref name="latencySensitive"/>).
    /// </summary>
    /// <param name="latencySensitive">
    /// True for a producer of rare records that someone waits for (a node's alerts, outcomes, dead letters, rebates):
    /// no linger, so a record goes out as soon as the producer's thread wakes; under load, batches still form behind
    /// the requests in flight (bench/results/2026-12-07-alert-handoff.md). A <c>-X linger.ms=...</c> override still wins.
    /// </param>
    /// <returns>A new config; callers may adjust it before building a producer.</returns>
    public ProducerConfig CreateProducerConfig(bool latencySensitive = false)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = ClientId,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = latencySensitive ? 0 : 1,
            // Small frames go out at once instead of waiting for Nagle's timer.
            SocketNagleDisable = true,
            // Delivery is bounded; a message not acknowledged within 2 minutes is reported as failed.
            MessageTimeoutMs = 120_000,
            ReconnectBackoffMaxMs = ReconnectBackoffMaxMs,
        };
        ApplyExtra(config);
        return config;
    }

    /// <summary>
    /// Consumer settings for a consumer group member: offsets are stored by the application after its verdict
    /// (<c>enable.auto.offset.store=false</c>) and committed in the background (auto commit on), so a restart
    /// resumes after the last processed event and never skips one; what is stored is committed every 200 ms, the
    /// cadence it is stored at (<see cref="PartitionOffsets.DefaultInterval"/>), so a member whose partitions move
    /// without a final commit leaves at most two such intervals to be judged again; a new group starts at the earliest offset;
    /// <c>fetch.wait.max.ms=2</c> bounds the broker's wait for a fetch to fill (measured: demo p50 27 ms at 10, 12 ms at 2,
    /// 8 ms with linger.ms 1; the price is more fetch requests when idle: an idle demo process uses about a third of a core);
    /// the cooperative-sticky assignor keeps partitions in place during rebalances, so adding a process does not
    /// stop every other member.
    /// </summary>
    /// <param name="groupId">The consumer group id.</param>
    /// <returns>A new config; callers may adjust it before building a consumer.</returns>
    public ConsumerConfig CreateConsumerConfig(string groupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = ClientId,
            GroupId = groupId,
            EnableAutoOffsetStore = false,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = (int)PartitionOffsets.DefaultInterval.TotalMilliseconds,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 2,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SocketNagleDisable = true,
            EnablePartitionEof = false,
            ReconnectBackoffMaxMs = ReconnectBackoffMaxMs,
        };
        ApplyExtra(config);
        return config;
    }

    /// <summary>
    /// Settings for a <see cref="TableFollower"/>: a consumer that assigns partitions itself and never joins or
    /// commits to a group (the group id is a unique dummy that only satisfies librdkafka), reads from the beginning,
    /// and reports partition ends so the follower knows where it stands. A reference table (watchlist, register,
    /// cells, rules) waits up to 100 ms per fetch: a change is seen within that, and idle followers do not keep the
    /// brokers busy answering fetches every 2 ms (on the embedded cluster, whose one thread serves every broker, those
    /// idle fetches were what saturated it); a table on the alert path (<paramref name="latencySensitive"/>: dispatch
    /// following fs.alerts) keeps the consumers' 2 ms.
    /// </summary>
    /// <param name="latencySensitive">True for a table whose records must be seen at once.</param>
    /// <returns>A new config.</returns>
    public ConsumerConfig CreateTableFollowerConfig(bool latencySensitive = false)
    {
        var config = CreateConsumerConfig($"{ClientId}-table-{Guid.NewGuid():N}");
        config.EnableAutoCommit = false;
        config.EnablePartitionEof = true;
        if (!latencySensitive)
        {
            config.FetchWaitMaxMs = 100;
            ApplyExtra(config); // an explicit -X fetch.wait.max.ms still wins
        }

        return config;
    }

    /// <summary>Settings for an admin client (topic creation, metadata).</summary>
    /// <returns>A new config.</returns>
    public AdminClientConfig CreateAdminConfig()
    {
        var config = new AdminClientConfig { BootstrapServers = BootstrapServers, ClientId = ClientId };
        ApplyExtra(config);
        return config;
    }

    private void ApplyExtra(ClientConfig config)
    {
        // Every client FraudShield builds starts from these configs: bind the redist librdkafka before the first one.
        LibRdKafkaLoader.EnsureLoaded();
        foreach (KeyValuePair<string, string> property in ExtraProperties)
        {
            config.Set(property.Key, property.Value);
        }
    }
}
