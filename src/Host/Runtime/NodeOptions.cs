using FraudShield.AlertDispatch;
using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.Host.Runtime;

/// <summary>What one FraudShield process runs and where: the engine, dispatch, or both.</summary>
internal sealed record NodeOptions
{
    public required KafkaOptions Kafka { get; init; }

    public bool RunEngine { get; init; } = true;

    public bool RunDispatch { get; init; } = true;

    public FasterStoreOptions Stores { get; init; } = new();

    /// <summary>Keys each engine store is sized for (docs/run-config.md, <c>engine.capacity</c>); the defaults are a province's.</summary>
    public StoreCapacity Capacity { get; init; } = new();

    public RulePackOptions Rules { get; init; } = new();

    public ParserOptions Parser { get; init; } = ParserOptions.Default;

    public DispatchServerOptions Server { get; init; } = new() { Port = 50051 };

    /// <summary>How long the engine waits for the watchlist and register to load before it processes events.</summary>
    public TimeSpan TableBootstrapTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Redis configuration string for the shared case store; null keeps cases in-process (journal in the data folder).</summary>
    public string? Redis { get; init; }

    /// <summary>Whether the engine checkpoints (it also needs <see cref="Stores"/> to have a directory).</summary>
    public bool Checkpoints { get; init; } = true;

    /// <summary>Time between engine checkpoints; checkpoints are taken when <see cref="Stores"/> has a directory.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The counterparty stage's default time between checkpoints: 60 s. Its two stores write about three quarters of a
    /// checkpoint's bytes (their records are 1-1.3 KB and most change within seconds), and each checkpoint written
    /// beside the engine lengthened the alerts' tail (10 minutes at 28,851 events/s: end-to-end p99 51-90 ms with
    /// every checkpoint at 10 s, 34 ms with every one at 60 s). The price is replay at a restart: up to this long of
    /// fs.counterparty records, read at several times the live rate, for rules of the L4 intelligence level.
    /// </summary>
    public static readonly TimeSpan DefaultCounterpartyCheckpointInterval = TimeSpan.FromSeconds(60);

    /// <summary>Time between the counterparty stage's checkpoints (<see cref="DefaultCounterpartyCheckpointInterval"/>).</summary>
    public TimeSpan CounterpartyCheckpointInterval { get; init; } = DefaultCounterpartyCheckpointInterval;

    /// <summary>
    /// Least time between two snapshots of a table (watchlist, register, cells) that changed; taken when
    /// <see cref="Checkpoints"/> is on and <see cref="Stores"/> has a directory, and also when the node stops.
    /// </summary>
    public TimeSpan TableSnapshotInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How far back a partition new to an engine process (or its counterparty aggregator) is replayed to rebuild its
    /// state, at most; null: from its checkpoint position or the beginning of what the cluster retains
    /// (<see cref="FraudShield.Ingest.Kafka.ReplayBounds"/>).
    /// </summary>
    public TimeSpan? RebuildWindow { get; init; }

    /// <summary>The dispatch's ack deadlines, escalation and closed-case retention.</summary>
    public CaseOptions Cases { get; init; } = new();

    /// <summary>Consumer group of the engine processes.</summary>
    public string EngineGroup { get; init; } = "fraudshield-engine";

    /// <summary>Whether an engine process also runs the counterparty stage (repartitioner and aggregator: R03, R04, R15, R16).</summary>
    public bool RunCounterparty { get; init; } = true;

    /// <summary>Consumer group of the counterparty repartitioners (fs.calls, fs.txns -> fs.counterparty).</summary>
    public string RepartitionGroup { get; init; } = "fraudshield-counterparty-repartition";

    /// <summary>Consumer group of the counterparty aggregators (fs.counterparty).</summary>
    public string CounterpartyGroup { get; init; } = "fraudshield-counterparty";

    /// <summary>The consumer groups this node's workers join, each with the topics it reads.</summary>
    /// <returns>The engine's group (when it runs), then the counterparty stage's two (when it runs).</returns>
    public IReadOnlyList<(string Group, string[] Topics)> ConsumerGroups()
    {
        var groups = new List<(string, string[])>();
        if (RunEngine)
        {
            groups.Add((EngineGroup, Topics.EngineInputs));
            if (RunCounterparty)
            {
                groups.Add((RepartitionGroup, CounterpartyRepartitioner.Inputs));
                groups.Add((CounterpartyGroup, [Topics.Counterparty]));
            }
        }

        return groups;
    }
}
