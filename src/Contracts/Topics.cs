namespace FraudShield.Contracts;

/// <summary>The Kafka topics of ARCHITECTURE.md, in one place.</summary>
public static class Topics
{
    /// <summary>Call detail records, keyed by the protected party (the callee).</summary>
    public const string Calls = "fs.calls";

    /// <summary>Bank transactions, keyed by the payer.</summary>
    public const string Txns = "fs.txns";

    /// <summary>App and SMS signals (sms and device events), keyed by the device owner.</summary>
    public const string Signals = "fs.signals";

    /// <summary>Watchlist entries; compacted, keyed by key type and key.</summary>
    public const string Watchlist = "fs.watchlist";

    /// <summary>The resident register (subject -> station, beat, grid); compacted, keyed by person id.</summary>
    public const string Registry = "fs.registry";

    /// <summary>Serving cells (cell id -> station, grid, area); compacted, keyed by cell id.</summary>
    public const string Cells = "fs.cells";

    /// <summary>Alerts, protobuf-encoded, keyed by home station.</summary>
    public const string Alerts = "fs.alerts";

    /// <summary>Dead letters: the original bytes with a reason header.</summary>
    public const string DeadLetter = "fs.dlq";

    /// <summary>The deployed rule set (JSON, see <c>RuleDeployment</c>); compacted, key "active".</summary>
    public const string Rules = "fs.rules";

    /// <summary>Acks and outcomes reported by consoles.</summary>
    public const string Outcomes = "fs.outcomes";

    /// <summary>
    /// Internal repartition topic: fixed-layout binary records derived from fs.calls and fs.txns, keyed by the
    /// counterparty (calling number, IMEI, payee or payer account), for the counterparty aggregates (R03, R04, R15, R16).
    /// Same partition count as the event topics.
    /// </summary>
    public const string Counterparty = "fs.counterparty";

    /// <summary>
    /// Internal topic: R12's rebates (a stranger's small transfer into a registered resident), fixed-layout binary
    /// records sent by the engine that judged the transfer, keyed by the receiver's number like the event topics (same
    /// partition count), so the engine holding the receiver's state applies them.
    /// </summary>
    public const string Rebates = "fs.rebates";

    /// <summary>The event topics: what producers outside FraudShield write, keyed by the protected party.</summary>
    public static readonly string[] EventTopics = [Calls, Txns, Signals];

    /// <summary>
    /// What the engine's consumer group reads: the event topics and fs.rebates, all co-partitioned (keyed by the party,
    /// equal partition counts), so the range assignor gives one process every input of a party.
    /// </summary>
    public static readonly string[] EngineInputs = [Calls, Txns, Signals, Rebates];

    /// <summary>The table topics every engine process reads whole.</summary>
    public static readonly string[] TableTopics = [Watchlist, Registry, Cells, Rules];

    /// <summary>Every topic, for creating them on a new cluster.</summary>
    public static readonly string[] All = [Calls, Txns, Signals, Watchlist, Registry, Cells, Rules, Alerts, DeadLetter, Outcomes, Counterparty, Rebates];
}
