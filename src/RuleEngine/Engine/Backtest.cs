using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Counterparty;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Runs the same recorded input through two rule sets, the deployed one and a candidate, each on its own temporary
/// FASTER stores, and compares the alerts per rule. Single-threaded: tables first, then events in timestamp order.
/// An alert counts for a rule when any version of it lists the rule; alert ids are deterministic (party, incident
/// number, lineage = the first event's time), so the same incident has the same id in both runs and "added" / "removed" compare ids.
/// </summary>
public sealed class Backtest : IDisposable
{
    private readonly Side _deployed;
    private readonly Side _candidate;
    private readonly EventParser _parser;

    /// <summary>Opens both sides on temporary stores.</summary>
    public Backtest(RulePackOptions deployed, RulePackOptions candidate, ParserOptions? parserOptions = null, FasterStoreOptions? stores = null)
    {
        ArgumentNullException.ThrowIfNull(deployed);
        ArgumentNullException.ThrowIfNull(candidate);
        var options = stores ?? new FasterStoreOptions { IndexBuckets = 1 << 16, MemorySizeBits = 26, PageSizeBits = 22 };
        _parser = new EventParser(parserOptions ?? ParserOptions.Default);
        _deployed = new Side(deployed, options, parserOptions);
        try
        {
            _candidate = new Side(candidate, options, parserOptions);
        }
        catch
        {
            _deployed.Dispose();
            throw;
        }
    }

    /// <summary>Events fed.</summary>
    public long Events { get; private set; }

    /// <summary>Events the parser refused (counted once, not per side).</summary>
    public long Rejected { get; private set; }

    /// <summary>Table records the parser refused.</summary>
    public long TableRejected { get; private set; }

    /// <summary>Applies one fs.watchlist record to both sides.</summary>
    public void ApplyWatchlist(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone)
    {
        var ok = _deployed.Tables.ApplyWatchlist(key, value, tombstone, out _);
        _candidate.Tables.ApplyWatchlist(key, value, tombstone, out _);
        TableRejected += ok ? 0 : 1;
    }

    /// <summary>Applies one fs.registry record to both sides.</summary>
    public void ApplyRegistry(ReadOnlySpan<byte> value, bool tombstone)
    {
        var ok = _deployed.Tables.ApplyRegistry(value, tombstone, out _);
        _candidate.Tables.ApplyRegistry(value, tombstone, out _);
        TableRejected += ok ? 0 : 1;
    }

    /// <summary>
    /// Judges one event on both sides: the per-party engine, and for calls and transfers the counterparty stage
    /// (R03/R04/R15/R16: the same mapping the repartitioner puts on fs.counterparty, applied in process).
    /// </summary>
    public void Feed(EventTopic topic, ReadOnlySpan<byte> value, long timestampMs)
    {
        Events++;
        var ok = _deployed.Dispatcher.TryProcess(topic, value, timestampMs, out _);
        _candidate.Dispatcher.TryProcess(topic, value, timestampMs, out _);
        Rejected += ok ? 0 : 1;
        if (!ok || topic == EventTopic.Signals)
        {
            return;
        }

        Span<CounterpartyRecord> records = stackalloc CounterpartyRecord[CounterpartyMapper.MaxRecords];
        var count = 0;
        if (topic == EventTopic.Calls && _parser.TryParseCall(value, out var call, out _))
        {
            count = CounterpartyMapper.Map(in call, records);
        }
        else if (topic == EventTopic.Txns && _parser.TryParseTxn(value, out var txn, out _))
        {
            count = CounterpartyMapper.Map(in txn, records);
        }

        for (var i = 0; i < count; i++)
        {
            _deployed.Counterparty.Apply(in records[i], timestampMs, partition: 0);
            _candidate.Counterparty.Apply(in records[i], timestampMs, partition: 0);
        }
    }

    /// <summary>
    /// The comparison: one row per rule with an evaluator in this build, plus the totals.
    /// </summary>
    /// <param name="outcomes">
    /// Known outcomes by alert id: true for a confirmed case (dissuaded, already defrauded), false for a false
    /// positive; alerts without an entry do not count in precision.
    /// </param>
    public BacktestResult Compare(IReadOnlyDictionary<string, bool>? outcomes = null)
    {
        outcomes ??= new Dictionary<string, bool>();
        var rows = new List<BacktestRow>();
        for (var i = 0; i < RuleIds.Count; i++)
        {
            var rule = (RuleId)i;
            if (RuleIds.IsImplemented(rule))
            {
                rows.Add(Row(RuleIds.Id(rule), _deployed.ByRule[i], _candidate.ByRule[i], outcomes));
            }
        }

        return new BacktestResult(Events, Rejected, rows, Row("total", _deployed.All, _candidate.All, outcomes));
    }

    private static BacktestRow Row(string rule, HashSet<string> deployed, HashSet<string> candidate, IReadOnlyDictionary<string, bool> outcomes) =>
        new(rule, deployed.Count, candidate.Count, candidate.Count(id => !deployed.Contains(id)), deployed.Count(id => !candidate.Contains(id)),
            Precision(deployed, outcomes), Precision(candidate, outcomes));

    private static Precision Precision(HashSet<string> ids, IReadOnlyDictionary<string, bool> outcomes)
    {
        int known = 0, confirmed = 0;
        foreach (var id in ids)
        {
            if (outcomes.TryGetValue(id, out var ok))
            {
                known++;
                confirmed += ok ? 1 : 0;
            }
        }

        return new Precision(known, confirmed);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _candidate.Dispose();
        _deployed.Dispose();
    }

    private sealed class Side : IAlertSink, IDisposable
    {
        public Side(RulePackOptions rules, FasterStoreOptions options, ParserOptions? parserOptions)
        {
            Stores = new EngineStores(options with { Directory = null });
            Tables = new TableApplier(Stores, parserOptions);
            Core = new EngineCore(Stores, rules, this, parserOptions);
            Dispatcher = new EventDispatcher(Core, new EventParser(parserOptions ?? ParserOptions.Default));
            CounterpartyStores = new CounterpartyStores(options with { Directory = null });
            Counterparty = new CounterpartyAggregator(CounterpartyStores, rules, this);
            for (var i = 0; i < ByRule.Length; i++)
            {
                ByRule[i] = [];
            }
        }

        public EngineStores Stores { get; }

        public TableApplier Tables { get; }

        public EngineCore Core { get; }

        public EventDispatcher Dispatcher { get; }

        public CounterpartyStores CounterpartyStores { get; }

        public CounterpartyAggregator Counterparty { get; }

        public HashSet<string>[] ByRule { get; } = new HashSet<string>[RuleIds.Count];

        public HashSet<string> All { get; } = [];

        public void Emit(Alert alert)
        {
            All.Add(alert.AlertId);
            foreach (var id in alert.RuleIds)
            {
                if (RuleIds.TryParse(id, out var rule))
                {
                    ByRule[(int)rule].Add(alert.AlertId);
                }
            }
        }

        public void Dispose()
        {
            Counterparty.Dispose();
            CounterpartyStores.Dispose();
            Core.Dispose();
            Tables.Dispose();
            Stores.Dispose();
        }
    }
}

/// <summary>The outcome of a <see cref="Backtest"/>.</summary>
/// <param name="Events">Events judged.</param>
/// <param name="Rejected">Events refused as bad input.</param>
/// <param name="Rules">One row per implemented rule.</param>
/// <param name="Total">All alerts, whatever the rule.</param>
public sealed record BacktestResult(long Events, long Rejected, IReadOnlyList<BacktestRow> Rules, BacktestRow Total);

/// <summary>One rule's alerts (distinct alert ids) under the deployed and the candidate set.</summary>
/// <param name="Rule">The rule id, or "total".</param>
/// <param name="Deployed">Alerts of the deployed set that list the rule.</param>
/// <param name="Candidate">Alerts of the candidate set that list the rule.</param>
/// <param name="Added">Candidate alerts the deployed set did not raise (for this rule).</param>
/// <param name="Removed">Deployed alerts the candidate did not raise (for this rule).</param>
/// <param name="DeployedPrecision">Precision of the deployed set's alerts with a known outcome.</param>
/// <param name="CandidatePrecision">Precision of the candidate's alerts with a known outcome.</param>
public sealed record BacktestRow(string Rule, int Deployed, int Candidate, int Added, int Removed, Precision DeployedPrecision, Precision CandidatePrecision);

/// <summary>Precision over the alerts whose outcome is known.</summary>
/// <param name="Known">Alerts with a known outcome (confirmed or false positive).</param>
/// <param name="Confirmed">Of those, confirmed cases.</param>
public readonly record struct Precision(int Known, int Confirmed)
{
    /// <summary>Confirmed / known, or null (unknown) when no outcome is known.</summary>
    public double? Value => Known == 0 ? null : (double)Confirmed / Known;
}
