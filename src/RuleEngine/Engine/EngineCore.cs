using System.Runtime.CompilerServices;
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
/// <remarks>
/// Locals are not zeroed on entry (<see cref="SkipLocalsInitAttribute"/>; audited: no stackalloc, no <c>Unsafe.SkipInit</c>, so
/// every local is definitely assigned before it is read): the party state is 536 bytes, read whole from FASTER into a
/// local on every event.
/// </remarks>
[SkipLocalsInit]
public sealed partial class EngineCore : IDisposable
{
    private const long HourMs = 3600_000;

    private readonly EngineStores _stores;
    private readonly RulePackOptions _rules;
    private readonly ParserOptions _parserOptions;
    private readonly IAlertSink _sink;
    private readonly IRebateRouter? _rebates;
    private readonly TimeProvider _time;
    private readonly WatchlistSession _watch;
    private readonly RegisterSession _register;
    private readonly FasterSession<PartyState> _parties;
    private readonly FasterSession<long> _pairs;
    private readonly int _r01Typology;
    private readonly int _defaultTypology;

    // The rule set compiled once: masks, arrays and milliseconds, so the per-event path does no lookups by name.
    private readonly uint _enabled;
    private readonly byte[] _severity;
    private readonly int[] _typology;
    private readonly uint[] _composeMasks;
    private readonly byte[] _composeLevels;
    private readonly ulong[] _hotlines;
    private readonly uint _r06Categories;
    private readonly uint _r06Signals;
    private readonly uint _r17Triggers;
    private readonly uint _r18Signals;
    private readonly uint _r13AppCategories;
    private readonly uint _r13KeywordSenders;
    private readonly int[] _r13Typologies;
    private readonly byte[][] _r13Keywords;
    private readonly long _incidentWindowMs;
    private readonly long _r05WindowMs;
    private readonly long _r06WindowMs;
    private readonly long _r07WindowMs;
    private readonly long _r09WindowMs;
    private readonly long _r09ContextMs;
    private readonly long _r11WindowMs;
    private readonly long _r11ContextMs;
    private readonly long _r12WindowMs;
    private readonly long _r10NewAccountAgeMs;
    private readonly long _r10WindowMs;
    private readonly long _r13WindowMs;
    private readonly long _r14WindowMs;
    private readonly long _r18WindowMs;

    // The firing of the event being judged by OnCall and OnTxn, reused (Reset) instead of a ~480-byte local zeroed per
    // event. Nothing they call starts another event; the rebate completion that OnTxn ends with keeps its own.
    private Firing _firing;

    /// <summary>Opens this thread's sessions on <paramref name="stores"/>.</summary>
    /// <param name="stores">The process's stores.</param>
    /// <param name="rules">The rule set.</param>
    /// <param name="sink">Where alerts go.</param>
    /// <param name="parserOptions">Event parsing options.</param>
    /// <param name="time">The clock for alert creation times.</param>
    /// <param name="rebates">
    /// Where R12's rebates go when the receiver's state may be in another process (fs.rebates through
    /// <see cref="KafkaRebateRouter"/>); null applies them here at once (<see cref="OnRebate"/>), for a process that
    /// holds every party (backtests, tests).
    /// </param>
    public EngineCore(EngineStores stores, RulePackOptions rules, IAlertSink sink, ParserOptions? parserOptions = null, TimeProvider? time = null, IRebateRouter? rebates = null)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(rules);
        _stores = stores;
        _rules = rules;
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _rebates = rebates;
        _parserOptions = parserOptions ?? ParserOptions.Default;
        _time = time ?? TimeProvider.System;
        _watch = stores.Watchlist.NewSession();
        _register = stores.Register.NewSession();
        _parties = stores.Parties.NewSession();
        _pairs = stores.Pairs.NewSession();
        _r01Typology = stores.Strings.Intern(rules.R01Typology);
        _defaultTypology = stores.Strings.Intern(rules.DefaultTypology);

        _enabled = rules.EnabledRules & RuleIds.ImplementedMask;
        _severity = new byte[RuleIds.Count];
        _typology = new int[RuleIds.Count];
        for (var i = 0; i < RuleIds.Count; i++)
        {
            _severity[i] = (byte)Math.Clamp(i < rules.Severities.Count ? rules.Severities[i] : 4, 1, 4);
            var typology = i < rules.Typologies.Count ? rules.Typologies[i] : null;
            _typology[i] = typology is null ? 0 : stores.Strings.Intern(typology);
        }

        _typology[(int)RuleId.R01] = _r01Typology;
        _composeMasks = new uint[rules.Composition.Count];
        _composeLevels = new byte[rules.Composition.Count];
        for (var i = 0; i < rules.Composition.Count; i++)
        {
            foreach (var rule in rules.Composition[i].When)
            {
                _composeMasks[i] |= RuleIds.Bit(rule);
            }

            _composeLevels[i] = (byte)Math.Clamp(rules.Composition[i].Then, 1, 4);
        }

        var hotlines = new List<ulong>();
        foreach (var number in rules.R05Hotlines)
        {
            if (PhoneNumber.TryNormalize(System.Text.Encoding.UTF8.GetBytes(number), _parserOptions, out var e164))
            {
                hotlines.Add(e164);
            }
        }

        _hotlines = [.. hotlines.Distinct().Order()];
        _r06Categories = Mask(rules.R06AppCategories.Select(c => (int)c));
        _r06Signals = Mask(rules.R06Signals.Select(c => (int)c));
        _r17Triggers = Mask(rules.R17Triggers.Select(c => (int)c));
        _r18Signals = Mask(rules.R18Signals.Select(c => (int)c));
        _r13AppCategories = Mask(rules.R13LoanAppCategories.Select(c => (int)c));
        _r13KeywordSenders = Mask(rules.R13KeywordSenders.Select(c => (int)c));
        _r13Typologies = [.. rules.R13LoanTypologies.Select(t => stores.Strings.Intern(t)).Distinct()];
        _r13Keywords = [.. rules.R13LoanKeywords.Select(k => System.Text.Encoding.UTF8.GetBytes(k))];
        _incidentWindowMs = Ms(rules.IncidentWindow);
        _r05WindowMs = Ms(rules.R05Window);
        _r06WindowMs = Ms(rules.R06Window);
        _r07WindowMs = Ms(rules.R07Window);
        _r09WindowMs = Ms(rules.R09Window);
        _r09ContextMs = Ms(rules.R09ContextWindow);
        _r11WindowMs = Ms(rules.R11Window);
        _r11ContextMs = Ms(rules.R11ContextWindow);
        _r12WindowMs = Ms(rules.R12Window);
        _r10NewAccountAgeMs = Ms(rules.R10NewAccountAge);
        _r10WindowMs = Ms(rules.R10Window);
        _r13WindowMs = Ms(rules.R13Window);
        _r14WindowMs = Ms(rules.R14Window);
        _r18WindowMs = Ms(rules.R18Window);
        _latenessMs = Ms(rules.Lateness);
        LoadClock();
    }

    /// <summary>Events processed by this core.</summary>
    public long EventsProcessed { get; private set; }

    /// <summary>Alerts (including updated versions) emitted by this core.</summary>
    public long AlertsEmitted { get; private set; }

    /// <summary>The state of a party, for tests and inspection.</summary>
    public bool TryGetParty(ulong party, out PartyState state) => _parties.TryRead((long)party, out state);

    /// <summary>
    /// Starts a batch of events on this core's store sessions (<see cref="FasterSession{TValue}.BeginBatch"/>): the
    /// stores' epochs are held until <see cref="EndBatch"/> instead of taken per operation. Judge a poll's events in one
    /// batch, and end it before waiting for more or taking a checkpoint.
    /// </summary>
    public void BeginBatch()
    {
        _watch.BeginBatch();
        _register.BeginBatch();
        _parties.BeginBatch();
        _pairs.BeginBatch();
    }

    /// <summary>Ends the batch begun by <see cref="BeginBatch"/> (each session that has one open).</summary>
    public void EndBatch()
    {
        _pairs.EndBatch();
        _parties.EndBatch();
        _register.EndBatch();
        _watch.EndBatch();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _pairs.Dispose();
        _parties.Dispose();
        _register.Dispose();
        _watch.Dispose();
    }

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;

    private static uint Mask(IEnumerable<int> bits)
    {
        var mask = 0u;
        foreach (var bit in bits)
        {
            mask |= 1u << bit;
        }

        return mask;
    }

    private bool On(RuleId rule) => (_enabled & RuleIds.Bit(rule)) != 0;

    private int SeverityOf(RuleId rule) => _severity[(int)rule];

    // The typology a firing reports: the contact's or listing's when known, else the rule's own, else none (0).
    private int TypologyOf(RuleId rule, int fromContext) => fromContext != 0 ? fromContext : _typology[(int)rule];

    // R09/R11 context: a risk signal no older than the window (and not from the future by more than it).
    private static bool HasContext(in PartyState state, long nowMs, long windowMs) =>
        state.LastRiskSignalMs != 0 && Math.Abs(nowMs - state.LastRiskSignalMs) <= windowMs;

    private int AgeOf(ulong party, long nowMs) =>
        _register.TryGetByNumber(party, out var info) ? info.AgeAt(nowMs) : -1;

    // Remembers a suspicious call. An inbound one (caller != 0) also becomes the anchor of R05 and R06; a call-back
    // by the party moves only the R07 window.
    private static void MarkSuspicious(ref PartyState state, long endMs, int seconds, int typology, ReadOnlySpan<byte> eventId, ulong caller = 0, ulong presented = 0)
    {
        if (endMs >= state.LastSuspiciousCallMs)
        {
            state.LastSuspiciousCallMs = endMs;
            state.LastSuspiciousCallSeconds = seconds;
            state.LastSuspiciousTypology = typology;
            state.SetSuspiciousEventId(eventId);
        }

        if (caller != 0 && endMs >= state.InboundSuspiciousEndMs)
        {
            if (endMs != state.InboundSuspiciousEndMs || caller != state.SuspiciousCaller)
            {
                state.CallBackCount = 0;
                state.Flags &= ~(SequenceMarks.R05Fired | SequenceMarks.R06Fired);
                state.InboundSuspiciousSeconds = seconds;
            }
            else
            {
                state.InboundSuspiciousSeconds = Math.Max(seconds, state.InboundSuspiciousSeconds);
            }

            state.InboundSuspiciousEndMs = endMs;
            state.SuspiciousCaller = caller;
            state.SuspiciousPresented = presented != caller ? presented : 0;
        }
    }
}
