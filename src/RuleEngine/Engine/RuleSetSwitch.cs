using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// The engine thread's rules, switchable between two events: dispatches each event to the current
/// <see cref="EngineCore"/>, and first, when the <see cref="RuleSchedule"/> has a set due at the event's Kafka
/// timestamp, replaces the core by one built with the new set on the same <see cref="EngineStores"/> (new sessions;
/// the per-party FASTER state, open incidents and alert ids are kept). Every engine process applies the same
/// schedule to the same timestamp-ordered input, so all switch at the same input position.
/// </summary>
public sealed class RuleSetSwitch : IDisposable
{
    private readonly EngineStores _stores;
    private readonly IAlertSink _sink;
    private readonly ParserOptions _parserOptions;
    private readonly EventParser _parser;
    private readonly RuleSchedule? _schedule;
    private readonly Action<RuleDeployment, long>? _switched;
    private readonly IRebateRouter? _rebates;
    private EngineCore _core;
    private bool _inBatch;
    private EventDispatcher _dispatcher;
    private string _version;
    private long _switches;

    /// <summary>Opens the first core, with <paramref name="initial"/>.</summary>
    /// <param name="stores">The process's stores.</param>
    /// <param name="initial">The rule set the process starts with.</param>
    /// <param name="initialVersion">Its version label (logs, status).</param>
    /// <param name="sink">Where alerts go.</param>
    /// <param name="parserOptions">Event parsing options.</param>
    /// <param name="schedule">Sets to switch to; none when null.</param>
    /// <param name="switched">Called on the engine thread after each switch, with the set and the event's timestamp.</param>
    /// <param name="rebates">Where R12's rebates go (see <see cref="EngineCore"/>); applied in place when null.</param>
    public RuleSetSwitch(EngineStores stores, RulePackOptions initial, string initialVersion, IAlertSink sink, ParserOptions? parserOptions = null, RuleSchedule? schedule = null, Action<RuleDeployment, long>? switched = null, IRebateRouter? rebates = null)
    {
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        ArgumentNullException.ThrowIfNull(initial);
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _parserOptions = parserOptions ?? ParserOptions.Default;
        _parser = new EventParser(_parserOptions);
        _schedule = schedule;
        _switched = switched;
        _version = initialVersion ?? throw new ArgumentNullException(nameof(initialVersion));
        _rebates = rebates;
        _core = new EngineCore(stores, initial, sink, _parserOptions, rebates: rebates);
        _dispatcher = new EventDispatcher(_core, _parser);
    }

    /// <summary>The version of the set in force.</summary>
    public string ActiveVersion => Volatile.Read(ref _version);

    /// <summary>Switches made.</summary>
    public long Switches => Interlocked.Read(ref _switches);

    /// <summary>The core in force (replaced at each switch).</summary>
    public EngineCore Core => _core;

    /// <summary>
    /// Switches first if a set is due at <paramref name="timestampMs"/>, then parses and processes the event; false
    /// (with the reason) when the event is bad input.
    /// </summary>
    public bool TryProcess(EventTopic topic, ReadOnlySpan<byte> value, long timestampMs, out ParseError error)
    {
        if (_schedule is not null && timestampMs >= _schedule.NextDueMs && _schedule.TryTakeDue(timestampMs, out var due))
        {
            Switch(due!, timestampMs);
        }

        return _dispatcher.TryProcess(topic, value, timestampMs, out error);
    }

    /// <summary>Starts a batch of events on the core in force (<see cref="EngineCore.BeginBatch"/>); a switch inside it moves the batch to the new core.</summary>
    public void BeginBatch()
    {
        _core.BeginBatch();
        _inBatch = true;
    }

    /// <summary>Ends the batch begun by <see cref="BeginBatch"/>.</summary>
    public void EndBatch()
    {
        _inBatch = false;
        _core.EndBatch();
    }

    private void Switch(RuleDeployment due, long timestampMs)
    {
        if (due.Version == _version)
        {
            return;
        }

        // Every FASTER operation of the old core has completed (each is synchronous or completed in place), so its
        // sessions close here and the new core's sessions see the same records. A batch in progress ends on the old
        // core's sessions before the new ones open and goes on with them.
        var inBatch = _inBatch;
        _core.EndBatch();
        var core = new EngineCore(_stores, due.RuleSet.Options, _sink, _parserOptions, rebates: _rebates);
        _core.Dispose();
        _core = core;
        if (inBatch)
        {
            core.BeginBatch();
        }

        _dispatcher = new EventDispatcher(core, _parser);
        Volatile.Write(ref _version, due.Version);
        Interlocked.Increment(ref _switches);
        _switched?.Invoke(due, timestampMs);
    }

    /// <inheritdoc />
    public void Dispose() => _core.Dispose();
}
