using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// The rules applied to parsed events, for one engine thread: reads and updates per-party state in FASTER through
/// this thread's sessions, and emits an alert (new or updated incident) when rules fire. Single-threaded by design:
/// the events of a partition are processed in order by the thread that owns it. The per-event path allocates nothing;
/// building an alert (rare) does.
/// </summary>
public sealed partial class EngineCore : IDisposable
{
    private const long HourMs = 3600_000;

    private readonly EngineStores _stores;
    private readonly RulePackOptions _rules;
    private readonly ParserOptions _parserOptions;
    private readonly IAlertSink _sink;
    private readonly TimeProvider _time;
    private readonly WatchlistSession _watch;
    private readonly RegisterSession _register;
    private readonly FasterSession<PartyState> _parties;
    private readonly FasterSession<long> _pairs;
    private readonly int _r01Typology;
    private readonly int _defaultTypology;

    /// <summary>Opens this thread's sessions on <paramref name="stores"/>.</summary>
    public EngineCore(EngineStores stores, RulePackOptions rules, IAlertSink sink, ParserOptions? parserOptions = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(rules);
        _stores = stores;
        _rules = rules;
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _parserOptions = parserOptions ?? ParserOptions.Default;
        _time = time ?? TimeProvider.System;
        _watch = stores.Watchlist.NewSession();
        _register = stores.Register.NewSession();
        _parties = stores.Parties.NewSession();
        _pairs = stores.Pairs.NewSession();
        _r01Typology = stores.Strings.Intern(rules.R01Typology);
        _defaultTypology = stores.Strings.Intern(rules.DefaultTypology);
    }

    /// <summary>Events processed by this core.</summary>
    public long EventsProcessed { get; private set; }

    /// <summary>Alerts (including updated versions) emitted by this core.</summary>
    public long AlertsEmitted { get; private set; }

    /// <summary>The state of a party, for tests and inspection.</summary>
    public bool TryGetParty(ulong party, out PartyState state) => _parties.TryRead((long)party, out state);

    /// <inheritdoc />
    public void Dispose()
    {
        _pairs.Dispose();
        _parties.Dispose();
        _register.Dispose();
        _watch.Dispose();
    }

    private int AgeOf(ulong party, long nowMs) =>
        _register.TryGetByNumber(party, out var info) ? info.AgeAt(nowMs) : -1;

    private static void MarkSuspicious(ref PartyState state, long endMs, int seconds, int typology, ReadOnlySpan<byte> eventId)
    {
        if (endMs >= state.LastSuspiciousCallMs)
        {
            state.LastSuspiciousCallMs = endMs;
            state.LastSuspiciousCallSeconds = seconds;
            state.LastSuspiciousTypology = typology;
            state.SetSuspiciousEventId(eventId);
        }
    }
}
