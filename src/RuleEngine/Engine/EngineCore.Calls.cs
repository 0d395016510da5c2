using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    /// <summary>
    /// Applies R01 (overseas long call), R02 (watchlist contact) and R05 (official dial or call-backs) to a call record,
    /// and records an answered call with a listed fake-loan number as a loan contact for R13.
    /// </summary>
    /// <param name="call">The parsed call.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message, carried to the alert for latency.</param>
    public void OnCall(in CallEvent call, long sourceTimestampMs)
    {
        EventsProcessed++;
        var outbound = call.Direction == CallDirection.Out;
        var party = outbound ? call.Calling : call.Called;
        if (party == 0)
        {
            return;
        }

        // The watchlist filter block of the other party, fetched while FASTER reads the party's state.
        if (!outbound && (On(RuleId.R02) || On(RuleId.R13)))
        {
            _watch.Prefetch(WatchKeyType.Msisdn, call.Calling);
        }

        var endMs = CallEndMs(in call);
        var known = _parties.TryRead((long)party, out var state);

        // The event id is hashed only when the party has state to check it against or gets state from this call.
        var eventHash = 0UL;
        if (known)
        {
            eventHash = EventHash(CallHashSeed, call.EventId);
            if (IsDuplicate(in state, eventHash))
            {
                return;
            }
        }

        ref var firing = ref _firing;
        firing.Reset();
        var touched = false;

        if (!outbound && On(RuleId.R01))
        {
            touched |= EvaluateOverseasCall(in call, party, endMs, ref state, ref firing);
        }

        if (outbound && On(RuleId.R05))
        {
            // Before R02: a call-back to a listed number also re-marks the suspicious contact.
            touched |= EvaluateOfficialDial(in call, ref state, ref firing);
        }

        if (On(RuleId.R02) || On(RuleId.R13))
        {
            touched |= EvaluateWatchlistContact(in call, outbound, endMs, ref state, ref firing);
        }

        if ((firing.Mask & (RuleIds.Bit(RuleId.R01) | RuleIds.Bit(RuleId.R02))) != 0)
        {
            CompleteAfterSuspiciousCall(!outbound, endMs, ref state, ref firing);
        }
        else if (outbound)
        {
            touched |= NoteOutboundCall(in call, known, ref state);
        }

        // Jurisdiction: the latest serving cell of a party the engine already tracks (or starts tracking now). Parties
        // without state are not created for it: every resident would get a record for their routine calls.
        if ((known || touched || firing.Count > 0) && !call.CellId.IsEmpty && endMs >= state.ServingCellMs)
        {
            var cell = CellTable.KeyOf(call.CellId);
            touched |= cell != state.ServingCell || endMs != state.ServingCellMs;
            state.ServingCell = cell;
            state.ServingCellMs = endMs;
        }

        if (firing.Count > 0)
        {
            // The counterpart for the alert's evidence: the caller of an inbound call; the number dialled by the party,
            // except a bank hotline (R05), whose counterpart is the suspicious caller being checked.
            SetCounterpart(
                !outbound ? call.Calling : Array.BinarySearch(_hotlines, call.Called) >= 0 ? state.SuspiciousCaller : call.Called,
                !outbound && call.Presented != call.Calling ? call.Presented : 0);
            EmitIncident(ref state, party, endMs, sourceTimestampMs, call.EventId, ref firing);
            SetCounterpart(0, 0);
            touched = true;
        }

        if (touched)
        {
            state.AddRecentEvent(known ? eventHash : EventHash(CallHashSeed, call.EventId));
            _parties.Upsert((long)party, state);
        }
    }

    // R01 OVERSEAS_LONG_CALL: inbound international or gateway (virtual) call, answered, >= 600 s or >= 1,200 s summed
    // in 2 h; the callee had no international calls in the 30 days before the window. L3; L2 when the callee is >= 60.
    private bool EvaluateOverseasCall(in CallEvent call, ulong party, long endMs, ref PartyState state, ref Firing firing)
    {
        if (call.Origin is not (CallOrigin.International or CallOrigin.Virtual))
        {
            return false;
        }

        var t = call.StartMs;
        if (state.IntlWindowStartMs == 0 || t - state.IntlWindowStartMs > (long)_rules.R01SumWindow.TotalMilliseconds)
        {
            state.LastIntlBeforeWindowMs = state.LastIntlCallMs;
            state.IntlWindowStartMs = t;
            state.IntlWindowSeconds = 0;
            state.IntlWindowFired = false;
        }

        if (call.Answered)
        {
            state.IntlWindowSeconds += Math.Max(0, call.DurationS);
        }

        state.LastIntlCallMs = Math.Max(state.LastIntlCallMs, t);
        var quiet = state.LastIntlBeforeWindowMs == 0
            || state.LastIntlBeforeWindowMs < state.IntlWindowStartMs - (long)_rules.R01QuietHistory.TotalMilliseconds;
        if (call.Answered && quiet && !state.IntlWindowFired
            && (call.DurationS >= _rules.R01MinCallSeconds || state.IntlWindowSeconds >= _rules.R01MinSummedSeconds))
        {
            var age = AgeOf(party, t);
            var severity = age >= _rules.R01ElderAge ? _rules.R01ElderSeverity : SeverityOf(RuleId.R01);
            firing.Add(RuleId.R01, severity, "duration_s", call.DurationS, "window_sum_s", state.IntlWindowSeconds, "callee_age", age);
            firing.Typology = _r01Typology;
            state.IntlWindowFired = true;
            MarkSuspicious(ref state, endMs, call.DurationS, _r01Typology, call.EventId, call.Calling, call.Presented);
        }

        return true;
    }

    // R02 WATCHLIST_CONTACT: a call with a listed number: >= 60 s L3; >= 300 s or a call-back (the party dials the
    // listed number and is answered) L2. The same lookup serves R13: any answered call with a listed number of a loan
    // typology is a loan contact.
    private bool EvaluateWatchlistContact(in CallEvent call, bool outbound, long endMs, ref PartyState state, ref Firing firing)
    {
        WatchHit hit;
        var listed = outbound
            ? _watch.TryLookup(WatchKeyType.Msisdn, call.Called, call.StartMs, out hit)
            : _watch.TryLookup(WatchKeyType.Msisdn, call.Calling, call.StartMs, out hit)
              || (call.Presented != call.Calling && _watch.TryLookup(WatchKeyType.Msisdn, call.Presented, call.StartMs, out hit));
        if (!listed || !call.Answered)
        {
            return false;
        }

        var loanContact = On(RuleId.R13) && IsLoanTypology(hit.Typology);
        if (loanContact)
        {
            MarkLoanContact(ref state, call.StartMs);
        }

        var callBack = outbound;
        if (!On(RuleId.R02) || (!callBack && call.DurationS < _rules.R02MinSeconds))
        {
            return loanContact;
        }

        var severity = callBack || call.DurationS >= _rules.R02StrongSeconds ? _rules.R02StrongSeverity : SeverityOf(RuleId.R02);
        var typology = hit.Typology != 0 ? hit.Typology : _defaultTypology;
        firing.Add(RuleId.R02, severity, "duration_s", call.DurationS, "call_back", callBack ? 1 : 0, "confirmed", hit.Level == WatchLevel.Confirmed ? 1 : 0);
        if (firing.Typology == 0 || firing.Typology == _defaultTypology)
        {
            firing.Typology = typology;
        }

        MarkSuspicious(ref state, endMs, call.DurationS, typology, call.EventId, outbound ? 0 : call.Calling, call.Presented);
        return true;
    }

    // R05 CALL_THEN_OFFICIAL_DIAL: within 60 min after an inbound suspicious call of >= 600 s, the party dials a bank
    // hotline (the scripted "verify with your bank" step, or the victim's own doubt), or dials the suspicious caller
    // back >= 3 times (attempts, answered or not). L2, once per suspicious call.
    private bool EvaluateOfficialDial(in CallEvent call, ref PartyState state, ref Firing firing)
    {
        var anchor = state.InboundSuspiciousEndMs;
        if (anchor == 0 || (state.Flags & SequenceMarks.R05Fired) != 0 || state.InboundSuspiciousSeconds < _rules.R05MinCallSeconds)
        {
            return false;
        }

        var since = call.StartMs - anchor;
        if (since < 0 || since > _r05WindowMs)
        {
            return false;
        }

        var hotline = Array.BinarySearch(_hotlines, call.Called) >= 0;
        var callBack = !hotline && (call.Called == state.SuspiciousCaller || (state.SuspiciousPresented != 0 && call.Called == state.SuspiciousPresented));
        if (!hotline && !callBack)
        {
            return false;
        }

        if (callBack && ++state.CallBackCount < _rules.R05MinCallBacks)
        {
            return true;
        }

        state.Flags |= SequenceMarks.R05Fired;
        firing.Add(RuleId.R05, SeverityOf(RuleId.R05), "hotline", hotline ? 1 : 0, "call_backs", state.CallBackCount, "minutes_after_call", since / 60_000);
        firing.Typology = TypologyOf(RuleId.R05, state.LastSuspiciousTypology);
        firing.CitesSuspiciousCall = true;
        return true;
    }
}
