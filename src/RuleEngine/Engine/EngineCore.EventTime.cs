using System.IO.Hashing;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Event time, lateness and duplicate delivery (docs/rules.md, "Event time and lateness"). Events are judged the
/// moment they arrive, in whatever order; the rules give the same alerts for any order within the lateness because
/// (1) the second step of a sequence rule that arrives before its first step is remembered in <see cref="PartyState"/>
/// and fires when the first step arrives, (2) windows are measured in event time, and (3) the alert id hashes the
/// incident's ordinal, not the time of whichever event happened to open it. An event older than the watermark minus
/// the lateness is not applied (<see cref="RejectReason.Late"/>); an event id seen among the party's recent events
/// is not applied twice.
/// </summary>
public sealed partial class EngineCore
{
    // The engine's own records in the pairs store, checkpointed with the party state so a recovery restores the
    // watermark and lineage that state was judged with. Pair keys are 64-bit hashes: these two values are reserved.
    private const long WatermarkKey = unchecked((long)0xFE5E_0000_0000_0001UL);
    private const long LineageKey = unchecked((long)0xFE5E_0000_0000_0002UL);

    // Seeds of the event-id hashes per kind, so equal ids of two kinds never match.
    private const byte CallHashSeed = 0x31;
    private const byte SmsHashSeed = 0x32;
    private const byte DeviceHashSeed = 0x33;
    private const byte TxnHashSeed = 0x34;

    private readonly long _latenessMs;
    private long _watermarkMs;
    private long _lineage;

    /// <summary>
    /// The watermark: the latest event time this engine's stores have seen, in whole seconds (a call counts by its
    /// start, other events by their time; never more than the lateness past the message's Kafka timestamp).
    /// <see cref="long.MinValue"/> before the first event. Kept in the stores, so it survives a rule-set switch and a checkpoint recovery.
    /// </summary>
    public long WatermarkMs => _watermarkMs;

    /// <summary>Events not applied because they ended more than the lateness before the watermark.</summary>
    public long EventsLate { get; private set; }

    /// <summary>Events not applied because the same event id was already applied to the party.</summary>
    public long DuplicatesIgnored { get; private set; }

    /// <summary>The event time a call record has: its end (the record exists only once the call ended).</summary>
    public static long CallEndMs(in CallEvent call) => call.EndMs ?? (call.AnswerMs ?? call.StartMs) + (call.DurationS * 1000L);

    /// <summary>
    /// Decides whether an event spanning [<paramref name="startMs"/>, <paramref name="endMs"/>] in event time is applied:
    /// false (and counted) when it ended more than the lateness before the watermark; else true, and the watermark
    /// moves to its start (capped at <paramref name="sourceTimestampMs"/> plus the lateness when that is known, so one
    /// event stamped far in the future cannot make every other event late).
    /// </summary>
    public bool Admit(long startMs, long endMs, long sourceTimestampMs)
    {
        if (_watermarkMs != long.MinValue && endMs < _watermarkMs - _latenessMs)
        {
            EventsLate++;
            return false;
        }

        // Whole seconds: the stored watermark changes at most once per second of event time (one small write), and a
        // recovery restores exactly the value the late verdicts use.
        var advance = sourceTimestampMs > 0 ? Math.Min(startMs, sourceTimestampMs + _latenessMs) : startMs;
        advance -= advance % 1000;
        if (advance > _watermarkMs)
        {
            _watermarkMs = advance;
            _pairs.Upsert(WatermarkKey, advance);
        }

        if (_lineage == 0)
        {
            StartLineage(startMs - (startMs % HourMs));
        }

        return true;
    }

    /// <summary>
    /// Sets the lineage of fresh stores (no event admitted yet): the salt of every alert id they will produce. It is
    /// the hour of the first event the stores admit, so stores started again from nothing on input of a later hour
    /// never reuse an alert id, and a replay from the same beginning gives the same ids even when its first few events
    /// come in another order. Tests that compare runs set it up front.
    /// </summary>
    internal void StartLineage(long lineage)
    {
        _lineage = lineage != 0 ? lineage : 1;
        _pairs.Upsert(LineageKey, _lineage);
    }

    private void LoadClock()
    {
        _watermarkMs = _pairs.TryRead(WatermarkKey, out var watermark) ? watermark : long.MinValue;
        _lineage = _pairs.TryRead(LineageKey, out var lineage) ? lineage : 0;
    }

    // The id of the party's incident number `ordinal`: independent of which event opened it.
    private long IncidentIdOf(ulong party, int ordinal) => KeyHash.Pair((long)party, KeyHash.Pair(_lineage, ordinal));

    private static ulong EventHash(byte seed, ReadOnlySpan<byte> eventId) =>
        eventId.IsEmpty ? 0 : XxHash3.HashToUInt64(eventId, seed) | 1;

    private bool IsDuplicate(in PartyState state, ulong eventHash)
    {
        if (!state.HasRecentEvent(eventHash))
        {
            return false;
        }

        DuplicatesIgnored++;
        return true;
    }

    // A call of the party's own (outbound) that R05 may count once its suspicious call arrives: a bank hotline dial,
    // or any call of a party already tracked (a call-back to a caller not yet known as suspicious). Untracked parties
    // get state only for hotline dials: every resident's routine calls would otherwise create a record.
    private bool NoteOutboundCall(in CallEvent call, bool known, ref PartyState state)
    {
        if (!On(RuleId.R05) || call.StartMs < state.OutboundCallMs || !(known || Array.BinarySearch(_hotlines, call.Called) >= 0))
        {
            return false;
        }

        state.OutboundCallMs = call.StartMs;
        state.OutboundCalled = call.Called;
        return true;
    }

    // A call just became the party's latest suspicious contact (R01 or R02 fired on it): the second steps that arrived
    // before it (an earlier dial of the hotline, a screen share during or after the call, a large transfer) fire now,
    // as they would have had the call arrived first.
    private void CompleteAfterSuspiciousCall(bool inbound, long endMs, ref PartyState state, ref Firing firing)
    {
        if (state.LastSuspiciousCallMs != endMs)
        {
            return;
        }

        if (inbound && On(RuleId.R05) && state.InboundSuspiciousEndMs == endMs && state.OutboundCallMs != 0
            && (state.Flags & SequenceMarks.R05Fired) == 0 && state.InboundSuspiciousSeconds >= _rules.R05MinCallSeconds)
        {
            var since = state.OutboundCallMs - endMs;
            var hotline = Array.BinarySearch(_hotlines, state.OutboundCalled) >= 0;
            var callBack = !hotline && (state.OutboundCalled == state.SuspiciousCaller || (state.SuspiciousPresented != 0 && state.OutboundCalled == state.SuspiciousPresented));
            if (since >= 0 && since <= _r05WindowMs && (hotline || callBack))
            {
                if (callBack)
                {
                    state.CallBackCount = Math.Max(state.CallBackCount, (byte)1);
                }

                if (hotline || state.CallBackCount >= _rules.R05MinCallBacks)
                {
                    state.Flags |= SequenceMarks.R05Fired;
                    firing.Add(RuleId.R05, SeverityOf(RuleId.R05), "hotline", hotline ? 1 : 0, "call_backs", state.CallBackCount, "minutes_after_call", since / 60_000);
                    CiteSuspiciousCall(RuleId.R05, in state, ref firing, state.OutboundCallMs);
                }
            }
        }

        if (On(RuleId.R06) && state.ScreenSignalMs != 0 && (state.Flags & SequenceMarks.R06Fired) == 0)
        {
            var since = state.ScreenSignalMs - endMs;
            if (since >= -1000L * state.LastSuspiciousCallSeconds && since <= _r06WindowMs)
            {
                state.Flags |= SequenceMarks.R06Fired;
                state.ScreenShareMs = Math.Max(state.ScreenShareMs, state.ScreenSignalMs);
                firing.Add(RuleId.R06, SeverityOf(RuleId.R06), "minutes_after_call", Math.Max(0, since) / 60_000, "on_call", since < 0 ? 1 : 0, "arrived_first", 1);
                CiteSuspiciousCall(RuleId.R06, in state, ref firing, state.ScreenSignalMs);
            }
        }

        CompleteTransfer(ref state, ref firing);
    }

    // R07's second step that arrived first: the remembered large transfer to a first-time payee fires once its
    // window is open - during or within `window` after the latest suspicious call, or within `window` after R06.
    private void CompleteTransfer(ref PartyState state, ref Firing firing)
    {
        if (!On(RuleId.R07) || (state.Pending & PendingMarks.R07) == 0)
        {
            return;
        }

        var t = state.NewPayeeTransferMs;
        var sinceCall = t - state.LastSuspiciousCallMs;
        var sinceShare = state.ScreenShareMs != 0 ? t - state.ScreenShareMs : -1;
        var afterCall = state.LastSuspiciousCallMs != 0 && sinceCall >= -1000L * state.LastSuspiciousCallSeconds && sinceCall <= _r07WindowMs;
        if (!afterCall && !(sinceShare >= 0 && sinceShare <= _r07WindowMs))
        {
            return;
        }

        state.Pending &= ~PendingMarks.R07;
        firing.Add(RuleId.R07, SeverityOf(RuleId.R07), "amount_minor", state.NewPayeeTransferMinor, "minutes_after_call", afterCall ? sinceCall / 60_000 : sinceShare / 60_000, "arrived_first", 1);
        firing.AmountMinor = Math.Max(firing.AmountMinor, state.NewPayeeTransferMinor);
        CiteSuspiciousCall(RuleId.R07, in state, ref firing, t);
    }

    private void CiteSuspiciousCall(RuleId rule, in PartyState state, ref Firing firing, long factMs)
    {
        if (firing.Typology == 0 || firing.Typology == _defaultTypology)
        {
            firing.Typology = TypologyOf(rule, state.LastSuspiciousTypology);
        }

        firing.CitesSuspiciousCall = true;
        firing.NoteFact(factMs);
    }

    // Remembers a TRANSFER to a first-time payee (the latest in event time) as R07's possible second step; pending
    // when it is large enough (as judged at its own time) and did not fire R07 already.
    private static void NoteNewPayeeTransfer(ref PartyState state, long t, long amountMinor, bool pendingR07)
    {
        if (t < state.NewPayeeTransferMs)
        {
            return;
        }

        state.NewPayeeTransferMs = t;
        state.NewPayeeTransferMinor = amountMinor;
        state.Pending = pendingR07 ? state.Pending | PendingMarks.R07 : state.Pending & ~PendingMarks.R07;
    }

    // A stranger's rebate just recorded on the party: R12's second step that arrived first (the party's latest transfer
    // to a first-time payee, within the window after the rebate and >= `multiple` x it) fires now, consuming the rebate
    // as R12 does; and the rebate, a risk signal, completes a pending R09/R11.
    private void CompleteAfterRebate(in RebateRecord rebate, ref PartyState state)
    {
        var t = rebate.TimeMs;
        var firing = default(Firing);
        var since = state.NewPayeeTransferMs - t;
        if (state.NewPayeeTransferMs != 0 && since >= 0 && since <= _r12WindowMs && state.NewPayeeTransferMinor >= _rules.R12Multiple * rebate.AmountMinor)
        {
            firing.Add(RuleId.R12, SeverityOf(RuleId.R12), "inbound_minor", rebate.AmountMinor, "amount_minor", state.NewPayeeTransferMinor, "minutes_after_inbound", since / 60_000);
            firing.Typology = TypologyOf(RuleId.R12, 0);
            firing.CitesRebate = true;
            firing.AmountMinor = state.NewPayeeTransferMinor;
            firing.NoteFact(state.NewPayeeTransferMs);
        }

        if ((state.Pending & (PendingMarks.R09 | PendingMarks.R11)) != 0)
        {
            CompletePendingContext(ref state, t, ref firing);
        }

        if (firing.Count == 0)
        {
            return;
        }

        SetCounterpart(0, 0);
        EmitIncident(ref state, rebate.Receiver, t, rebate.SourceTimestampMs, rebate.TxnIdBytes, ref firing);
        if (firing.CitesRebate)
        {
            state.RebateMs = 0;
        }
    }

    // R11: a transfer to a new payee that happened before the chain's last one (L) but arrived after it goes where
    // event-time order puts it: between L and the one before L (P) when it escalates from P and L from it; else, if L
    // escalates from it, the chain restarts with it ([x, L]); else it belongs before a restart at L ([L]).
    private void InsertBeforeLastTopup(ref PartyState state, long t, long amount)
    {
        var step = _rules.R11StepPermille;
        var last = state.TopupLastMinor;
        var lastEscalates = last * 1000 >= amount * step;
        if (lastEscalates && (state.TopupCount < 2 || amount * 1000 >= state.TopupPrevMinor * step))
        {
            state.TopupCount = (byte)Math.Min(state.TopupCount + 1, byte.MaxValue);
            state.TopupSumMinor += amount;
            state.TopupPrevMinor = amount;
            state.TopupChainStartMs = Math.Min(state.TopupChainStartMs, t);
            return;
        }

        state.Flags &= ~SequenceMarks.R11Fired;
        state.Pending &= ~PendingMarks.R11;
        if (lastEscalates)
        {
            state.TopupChainStartMs = t;
            state.TopupCount = 2;
            state.TopupSumMinor = amount + last;
            state.TopupPrevMinor = amount;
        }
        else
        {
            state.TopupChainStartMs = state.TopupLastMs;
            state.TopupCount = 1;
            state.TopupSumMinor = last;
            state.TopupPrevMinor = 0;
        }
    }

    // R09 and R11 met their condition on a transaction before any risk signal was known: a signal (an alert on the
    // party, a risky app) that arrives afterwards and is at most the lateness later than that transaction (or before
    // it, within the context window) fires them, as it would have had it arrived first.
    private void CompletePendingContext(ref PartyState state, long signalMs, ref Firing firing)
    {
        if ((state.Pending & PendingMarks.R09) != 0 && On(RuleId.R09)
            && signalMs - state.DrainMetMs <= _latenessMs && state.DrainMetMs - signalMs <= _r09ContextMs)
        {
            state.Pending &= ~PendingMarks.R09;
            state.Flags |= SequenceMarks.R09Fired;
            firing.Add(RuleId.R09, SeverityOf(RuleId.R09), "moved_minor", state.DrainOutMinor, "context_arrived_after", 1);
            if (firing.Typology == 0 || firing.Typology == _defaultTypology)
            {
                firing.Typology = TypologyOf(RuleId.R09, state.LastSuspiciousTypology);
            }
        }

        if ((state.Pending & PendingMarks.R11) != 0 && On(RuleId.R11)
            && signalMs - state.TopupMetMs <= _latenessMs && state.TopupMetMs - signalMs <= _r11ContextMs)
        {
            state.Pending &= ~PendingMarks.R11;
            state.Flags |= SequenceMarks.R11Fired;
            firing.Add(RuleId.R11, SeverityOf(RuleId.R11), "transfers", state.TopupCount, "total_minor", state.TopupSumMinor, "context_arrived_after", 1);
            if (firing.Typology == 0 || firing.Typology == _defaultTypology)
            {
                firing.Typology = TypologyOf(RuleId.R11, 0);
            }
        }
    }

    // R18's signal that arrived before the emission that made the incident L2 or worse: fires when the incident gets
    // hot at `hotMs` and the handset went off within the window after it.
    private bool CompleteUnreachable(in PartyState state, long hotMs, uint mask, ref Firing firing)
    {
        if (!On(RuleId.R18) || state.OffSignalMs == 0 || (mask & RuleIds.Bit(RuleId.R18)) != 0)
        {
            return false;
        }

        var since = state.OffSignalMs - hotMs;
        if (since < 0 || since > _r18WindowMs)
        {
            return false;
        }

        firing.Add(RuleId.R18, SeverityOf(RuleId.R18), "minutes_after_alert", since / 60_000, "arrived_first", 1);
        return true;
    }
}
