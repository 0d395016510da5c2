using Confluent.Kafka;
using FraudShield.AlertDispatch;
using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FraudShield.Host.Runtime;

/// <summary>
/// One FraudShield process: the engine (table followers, consume loop, FASTER stores) and/or dispatch (alert feed,
/// hub, gRPC server), wired to one Kafka cluster. The demo, `run` and the end-to-end tests all start this.
/// </summary>
internal sealed partial class FraudShieldNode : IAsyncDisposable
{
    private readonly ILogger _logger;
    private IProducer<byte[], byte[]>? _producer;

    // The repartitioner's own producer: its steady stream to fs.counterparty must not be in the queue the engine
    // flushes (waits to be acknowledged) before each checkpoint, which holds only alerts and dead letters.
    private IProducer<byte[], byte[]>? _repartitionProducer;
    private EngineStores? _stores;
    private readonly List<TableFollower> _tables = [];
    private readonly List<TableApplier> _appliers = [];
    private EngineWorker? _engine;
    private CounterpartyStores? _counterpartyStores;
    private CounterpartyRepartitioner? _repartitioner;
    private CounterpartyWorker? _counterparty;
    private AlertHub? _hub;
    private AlertFeed? _feed;
    private DispatchServer? _server;
    private ICaseStore? _caseStore;
    private CaseService? _cases;
    private EscalationService? _escalation;
    private string? _caseFolder;
    private long _tableRejects;
    private long _ruleSetsRefused;
    private readonly RuleSchedule _ruleSchedule = new();
    private readonly RuleSchedule _counterpartySchedule = new();

    private FraudShieldNode(NodeOptions options, ILogger logger)
    {
        Options = options;
        _logger = logger;
    }

    public NodeOptions Options { get; }

    /// <summary>The gRPC address, when dispatch runs.</summary>
    public Uri? GrpcAddress => _server?.Address;

    public EngineWorker? Engine => _engine;

    /// <summary>The counterparty repartitioner, when the engine runs with the counterparty stage.</summary>
    public CounterpartyRepartitioner? Repartitioner => _repartitioner;

    /// <summary>The counterparty aggregator (R03, R04, R15, R16), when the engine runs with the counterparty stage.</summary>
    public CounterpartyWorker? Counterparty => _counterparty;

    /// <summary>The engine's stores (tables and per-party state), when the engine runs.</summary>
    public EngineStores? Stores => _stores;

    public AlertHub? Hub => _hub;

    /// <summary>The dispatch's case service (cases of the alerts this node published), when the dispatch runs.</summary>
    public CaseService? Cases => _cases;

    /// <summary>The dispatch's reader of fs.alerts, which also takes this process's engine alerts once acknowledged.</summary>
    public AlertFeed? Feed => _feed;

    public long TableRejects => Interlocked.Read(ref _tableRejects);

    public IReadOnlyList<TableFollower> Tables => _tables;

    /// <summary>fs.rules records refused (invalid rule set); the engine kept the set it ran.</summary>
    public long RuleSetsRefused => Interlocked.Read(ref _ruleSetsRefused);

    public static async Task<FraudShieldNode> StartAsync(NodeOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var node = new FraudShieldNode(options, loggers.CreateLogger("FraudShield.Node"));
        try
        {
            await node.StartCoreAsync(loggers, cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Thread-pool threads kept ready whatever the core count. FASTER's managed storage device writes checkpoint and
    /// log pages with blocking <c>pwrite</c>s on pool threads; with the default floor of one thread per core (two here)
    /// a checkpoint occupied them and dispatch's gRPC continuations waited for the pool to grow (measured at
    /// 4,000 events/s: engine-to-console p99 731-854 ms with checkpoints, 48 ms with this floor).
    /// </summary>
    internal const int MinPoolThreads = 32;

    private async Task StartCoreAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < MinPoolThreads)
        {
            ThreadPool.SetMinThreads(MinPoolThreads, completionPorts);
        }

        // librdkafka's own lines (a broker gone, a connection refused) go to the node's log, not to stderr.
        var kafka = Options.Kafka.LogHandler is null ? Options.Kafka with { LogHandler = KafkaClientLogs.To(loggers.CreateLogger(KafkaClientLogs.Category)) } : Options.Kafka;
        _producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig(latencySensitive: true)).WithLogs(kafka).Build();
        if (Options.RunEngine)
        {
            _stores = new EngineStores(Options.Stores, Options.Capacity);

            // Table snapshots: restore each table's newest usable one before any session is opened, then read on from it.
            var snapshots = Options.Checkpoints && Options.Stores.Directory is { } tableData
                ? new TableSnapshots(Path.Combine(tableData, "tables"), _stores, loggers.CreateLogger<TableSnapshots>()) { Interval = Options.TableSnapshotInterval }
                : null;
            snapshots?.Restore(table => TableFollower.QueryWatermarks(kafka, TopicOf(table), TimeSpan.FromSeconds(10)));
            var watchApplier = new TableApplier(_stores, Options.Parser);
            var registerApplier = new TableApplier(_stores, Options.Parser);
            var cellApplier = new TableApplier(_stores, Options.Parser);
            _appliers.Add(watchApplier);
            _appliers.Add(registerApplier);
            _appliers.Add(cellApplier);
            var tableLogger = loggers.CreateLogger<TableFollower>();
            _tables.Add(TableFollower.Start(kafka, Topics.Watchlist, (key, value, tombstone, _) =>
            {
                if (!watchApplier.ApplyWatchlist(key, value, tombstone, out var error))
                {
                    Interlocked.Increment(ref _tableRejects);
                    Log.TableRecordRejected(_logger, Topics.Watchlist, error.Reason.ToString(), error.Field);
                }
            }, tableLogger, start: snapshots?.StartOf(SnapshotTable.Watchlist)));
            _tables.Add(TableFollower.Start(kafka, Topics.Registry, (_, value, tombstone, _) =>
            {
                if (!registerApplier.ApplyRegistry(value, tombstone, out var error))
                {
                    Interlocked.Increment(ref _tableRejects);
                    Log.TableRecordRejected(_logger, Topics.Registry, error.Reason.ToString(), error.Field);
                }
            }, tableLogger, start: snapshots?.StartOf(SnapshotTable.Register)));
            _tables.Add(TableFollower.Start(kafka, Topics.Cells, (key, value, tombstone, _) =>
            {
                if (!cellApplier.ApplyCell(key, value, tombstone, out var error))
                {
                    Interlocked.Increment(ref _tableRejects);
                    Log.TableRecordRejected(_logger, Topics.Cells, error.Reason.ToString(), error.Field);
                }
            }, tableLogger, start: snapshots?.StartOf(SnapshotTable.Cells)));
            // Deployed rule sets: each valid one is scheduled for its effective event time; an invalid one is
            // counted and logged, and the engine keeps the set it runs.
            _tables.Add(TableFollower.Start(kafka, Topics.Rules, (_, value, tombstone, _) =>
            {
                if (tombstone)
                {
                    return;
                }

                if (RuleDeployment.TryDecode(value, out var deployment, out var errors))
                {
                    _ruleSchedule.Add(deployment!);
                    _counterpartySchedule.Add(deployment!);
                    Log.RuleSetReceived(_logger, deployment!.Version, deployment.EffectiveFromMs);
                }
                else
                {
                    Interlocked.Increment(ref _ruleSetsRefused);
                    Log.RuleSetRefused(_logger, errors.Count, string.Join(" | ", errors));
                }
            }, tableLogger));
            // Like a Kafka Streams global table: load the tables whole before the first event is judged.
            foreach (var table in _tables)
            {
                try
                {
                    await table.WaitUntilCaughtUpAsync(Options.TableBootstrapTimeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    Log.TableBootstrapSlow(_logger, table.Topic, table.RecordsApplied);
                }
            }

            var checkpoints = Options.Checkpoints && Options.Stores.Directory is { } data ? new EngineCheckpoints(Path.Combine(data, "checkpoints")) : null;
            _engine = new EngineWorker(kafka, _stores, Options.Rules, _producer, loggers.CreateLogger<EngineWorker>(), Options.Parser, Options.EngineGroup, checkpoints, Options.CheckpointInterval, schedule: _ruleSchedule, rebuildWindow: Options.RebuildWindow);
            _engine.Start();

            // The counterparty stage (R03, R04, R15, R16): fs.calls/fs.txns -> fs.counterparty (keyed by the
            // counterparty) -> aggregates in FASTER stores of its own, checkpointed in a folder of its own. They get the
            // per-party stores' memory: with 64 MiB a city of 200,000 (936 B per caller, 1,288 B per account) spilled
            // to disk and every aggregate update became a pending disk read (measured at 31,000 events/s).
            if (Options.RunCounterparty)
            {
                _counterpartyStores = new CounterpartyStores(Options.Stores, Options.Capacity);
                var counterpartyCheckpoints = Options.Checkpoints && Options.Stores.Directory is { } cpData ? new CounterpartyCheckpoints(Path.Combine(cpData, "counterparty-checkpoints")) : null;
                _repartitionProducer = CounterpartyRepartitioner.CreateProducer(kafka, loggers.CreateLogger<CounterpartyRepartitioner>());
                _repartitioner = new CounterpartyRepartitioner(kafka, _repartitionProducer, loggers.CreateLogger<CounterpartyRepartitioner>(), Options.Parser, Options.RepartitionGroup);
                _counterparty = new CounterpartyWorker(kafka, _counterpartyStores, Options.Rules, _producer, loggers.CreateLogger<CounterpartyWorker>(), Options.CounterpartyGroup, counterpartyCheckpoints, Options.CounterpartyCheckpointInterval, _counterpartySchedule, Options.RebuildWindow);
                _repartitioner.Start();
                _counterparty.Start();
            }

            // Ready means judging events: wait for the first partition assignment of the consumer groups.
            await _engine.Assigned.WaitAsync(Options.TableBootstrapTimeout, cancellationToken);
            if (_repartitioner is not null && _counterparty is not null)
            {
                await Task.WhenAll(_repartitioner.Assigned, _counterparty.Assigned).WaitAsync(Options.TableBootstrapTimeout, cancellationToken);
            }
        }

        if (Options.RunDispatch)
        {
            _hub = new AlertHub();

            // Case state: Redis when configured (shared by every dispatch process), else a journal in the data folder.
            if (Options.Redis is { } redis)
            {
                _caseStore = await RedisCaseStore.ConnectAsync(new RedisCaseStoreOptions { Configuration = redis }, cancellationToken);
            }
            else
            {
                _caseFolder = Options.Stores.Directory is { } data ? Path.Combine(data, "cases") : Path.Combine(Path.GetTempPath(), "fraudshield-cases-" + Guid.NewGuid().ToString("N"));
                _caseStore = InProcessCaseStore.Open(_caseFolder);
            }

            _cases = new CaseService(_caseStore, _hub, new KafkaOutcomeSink(_producer), Options.Cases, logger: loggers.CreateLogger<CaseService>());
            _escalation = new EscalationService(_cases, loggers.CreateLogger<EscalationService>());
            await _escalation.StartAsync(cancellationToken);
            _feed = new AlertFeed(kafka, _cases, _hub, loggers.CreateLogger<AlertFeed>());
            _feed.Start();
            HandAcknowledgedAlertsTo(_feed.OfferAcknowledged);
            _server = await DispatchServer.StartAsync(
                Options.Server,
                _hub,
                _cases,
                services => services.AddSingleton(this),
                endpoints => endpoints.MapGrpcService<EngineStatusService>(),
                loggers,
                cancellationToken);
        }
    }

    // The alerts of this process's engine and counterparty stage go to the dispatch's feed as soon as fs.alerts
    // acknowledged them, not when the feed reads them back (null: only through the topic).
    private void HandAcknowledgedAlertsTo(Action<Alert>? feed)
    {
        if (_engine is not null)
        {
            _engine.AlertSink.Acknowledged = feed;
        }

        if (_counterparty is not null)
        {
            _counterparty.AlertSink.Acknowledged = feed;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Alerts acknowledged from here on stay in fs.alerts for the next dispatch to read.
        HandAcknowledgedAlertsTo(null);
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _feed?.Dispose();
        if (_escalation is not null)
        {
            await _escalation.DisposeAsync();
        }

        _cases?.Dispose();
        if (_caseStore is not null)
        {
            await _caseStore.DisposeAsync();
        }

        if (Options.Stores.Directory is null && _caseFolder is not null)
        {
            try
            {
                Directory.Delete(_caseFolder, recursive: true);
            }
            catch (IOException)
            {
                // Temporary; the OS cleans it.
            }
        }

        _engine?.Dispose();
        _repartitioner?.Dispose();
        _counterparty?.Dispose();
        foreach (var table in _tables)
        {
            table.Dispose();
        }

        foreach (var applier in _appliers)
        {
            applier.Dispose();
        }

        _repartitionProducer?.Flush(TimeSpan.FromSeconds(10));
        _repartitionProducer?.Dispose();
        _producer?.Flush(TimeSpan.FromSeconds(10));
        _producer?.Dispose();
        _stores?.Dispose();
        _counterpartyStores?.Dispose();
        _hub?.Dispose();
    }

    private static string TopicOf(SnapshotTable table) => table switch
    {
        SnapshotTable.Watchlist => Topics.Watchlist,
        SnapshotTable.Register => Topics.Registry,
        _ => Topics.Cells,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Rejected a record of {Topic}: {Reason} {Field}")]
        public static partial void TableRecordRejected(ILogger logger, string topic, string reason, string field);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Table {Topic} not caught up at start ({Records} records applied); processing events anyway")]
        public static partial void TableBootstrapSlow(ILogger logger, string topic, long records);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Rule set {Version} received from fs.rules, effective from event time {EffectiveFromMs}")]
        public static partial void RuleSetReceived(ILogger logger, string version, long effectiveFromMs);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Refused a rule set from fs.rules ({Count} errors); the engine keeps its rule set: {Errors}")]
        public static partial void RuleSetRefused(ILogger logger, int count, string errors);
    }
}
