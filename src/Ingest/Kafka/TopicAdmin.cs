using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace FraudShield.Ingest.Kafka;

/// <summary>Creates the topics FraudShield needs, through Kafka's admin API (CreateTopics).</summary>
public static class TopicAdmin
{
    private static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Creates every topic that does not exist yet; topics that already exist are left as they are (their partition
    /// count and configs are not checked or changed). Compacted topics get <c>cleanup.policy=compact</c>.
    /// The replication factor is the broker's default (-1).
    /// </summary>
    /// <param name="options">Where the cluster is.</param>
    /// <param name="topics">Name, partition count and whether the topic is a compacted table.</param>
    /// <param name="requestTimeout">How long the brokers may take to answer; 30 s when null.</param>
    /// <param name="cancellationToken">Cancels the wait for the brokers' answer.</param>
    /// <returns>The names of the topics this call created.</returns>
    /// <exception cref="CreateTopicsException">A topic could not be created for a reason other than existing already.</exception>
    /// <remarks>
    /// librdkafka's mock cluster (<see cref="EmbeddedKafkaCluster"/>) does not serve the CreateTopics request: the
    /// call waits for a controller that supports it and fails with a timeout (<see cref="ErrorCode.Local_TimedOut"/>)
    /// after <paramref name="requestTimeout"/>. Embedded setups use <see cref="EnsureTopics(EmbeddedKafkaCluster, IEnumerable{ValueTuple{string, int, bool}})"/>.
    /// </remarks>
    public static async Task<IReadOnlyList<string>> EnsureTopicsAsync(
        KafkaOptions options,
        IEnumerable<(string Name, int Partitions, bool Compacted)> topics,
        TimeSpan? requestTimeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topics);

        var specifications = new List<TopicSpecification>();
        foreach ((string name, int partitions, bool compacted) in topics)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
            var specification = new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = -1 };
            if (compacted)
            {
                specification.Configs = new Dictionary<string, string>(StringComparer.Ordinal) { ["cleanup.policy"] = "compact" };
            }

            specifications.Add(specification);
        }

        if (specifications.Count == 0)
        {
            return [];
        }

        using IAdminClient admin = new AdminClientBuilder(options.CreateAdminConfig()).Build();
        TimeSpan timeout = requestTimeout ?? DefaultRequestTimeout;
        var createOptions = new CreateTopicsOptions { RequestTimeout = timeout, OperationTimeout = timeout };
        try
        {
            await admin.CreateTopicsAsync(specifications, createOptions).WaitAsync(cancellationToken);
            return specifications.ConvertAll(s => s.Name);
        }
        catch (CreateTopicsException e)
        {
            var created = new List<string>();
            foreach (CreateTopicReport report in e.Results)
            {
                if (report.Error.Code == ErrorCode.NoError)
                {
                    created.Add(report.Topic);
                }
                else if (report.Error.Code != ErrorCode.TopicAlreadyExists)
                {
                    throw;
                }
            }

            return created;
        }
    }

    /// <summary>
    /// The embedded counterpart of <see cref="EnsureTopicsAsync"/>: creates the missing topics directly on the mock
    /// cluster (rd_kafka_mock_topic_create), with replication factor min(3, brokers). The mock ignores topic configs,
    /// so a compacted topic is an ordinary one there (it keeps every record, up to the mock's bounded tail).
    /// </summary>
    /// <param name="cluster">The embedded cluster.</param>
    /// <param name="topics">Name, partition count and whether the topic is a compacted table.</param>
    /// <returns>The names of the topics this call created.</returns>
    public static IReadOnlyList<string> EnsureTopics(
        EmbeddedKafkaCluster cluster,
        IEnumerable<(string Name, int Partitions, bool Compacted)> topics)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(topics);
        var created = new List<string>();
        int replicationFactor = Math.Min(3, cluster.BrokerCount);
        foreach ((string name, int partitions, bool _) in topics)
        {
            if (cluster.TryCreateTopic(name, partitions, replicationFactor))
            {
                created.Add(name);
            }
        }

        return created;
    }

    /// <summary>How long <see cref="TryCheckTopic"/> keeps asking by default: a topic just created may take a moment to show.</summary>
    public static readonly TimeSpan CheckPatience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Checks that an internal topic FraudShield produces to exists, and, when <paramref name="partitionsLike"/> is
    /// given, that it has that topic's partition count (a co-partitioned topic with another count would put records
    /// on the wrong partitions). Asks again every second for up to <paramref name="patience"/> while the answer is
    /// no (a topic just created, a broker briefly away). Asked through a consumer handle: a consumer's metadata
    /// request does not auto-create the topic (allow.auto.create.topics is false for consumers), a producer's or
    /// admin client's may.
    /// </summary>
    /// <param name="options">Where the cluster is.</param>
    /// <param name="groupId">A group id for the probe's consumer (it joins no group).</param>
    /// <param name="topic">The topic.</param>
    /// <param name="partitionsLike">The topic whose partition count <paramref name="topic"/> must have; none when null.</param>
    /// <param name="patience">How long to keep asking.</param>
    /// <param name="cancellationToken">Stops asking (the last answer stands).</param>
    /// <param name="problem">What is wrong, or empty.</param>
    /// <param name="partitions">The topic's partition count when it is usable, else 0.</param>
    /// <returns>True when the topic is usable.</returns>
    public static bool TryCheckTopic(KafkaOptions options, string groupId, string topic, string? partitionsLike, TimeSpan patience, CancellationToken cancellationToken, out string problem, out int partitions)
    {
        ArgumentNullException.ThrowIfNull(options);
        var deadline = DateTime.UtcNow + patience;
        using var probe = new ConsumerBuilder<Ignore, Ignore>(options.CreateConsumerConfig(groupId)).Build();
        using var admin = new DependentAdminClientBuilder(probe.Handle).Build();
        while (true)
        {
            (problem, partitions) = Check(admin, topic, partitionsLike);
            if (problem.Length == 0 || DateTime.UtcNow >= deadline || cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                return problem.Length == 0;
            }
        }
    }

    private static (string Problem, int Partitions) Check(IAdminClient admin, string topic, string? partitionsLike)
    {
        try
        {
            var found = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Find(t => t.Topic == topic);
            var problem = found is null ? "no metadata" : found.Error.IsError ? found.Error.Reason : found.Partitions.Count == 0 ? "no partitions" : string.Empty;
            if (problem.Length == 0 && partitionsLike is not null
                && admin.GetMetadata(partitionsLike, TimeSpan.FromSeconds(10)).Topics.Find(t => t.Topic == partitionsLike) is { Error.IsError: false } like
                && like.Partitions.Count != found!.Partitions.Count)
            {
                problem = $"{found.Partitions.Count} partitions, {partitionsLike} has {like.Partitions.Count}";
            }

            return (problem, problem.Length == 0 ? found!.Partitions.Count : 0);
        }
        catch (KafkaException e)
        {
            return (e.Error.Reason, 0);
        }
    }
}
