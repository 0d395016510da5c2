using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    private const byte AccountPartyKind = 201;

    /// <summary>
    /// Applies the payer-side rules R07 (call then large transfer), R08 (pay to a listed account), R09 (balance drain),
    /// R11 (escalating top-ups) and R12 (rebate then bigger out) to a transaction, and records a stranger's small
    /// inbound transfer on the payee's state for R12.
    /// </summary>
    /// <param name="txn">The parsed transaction.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message, carried to the alert for latency.</param>
    public void OnTxn(in TxnEvent txn, long sourceTimestampMs)
    {
        EventsProcessed++;
        SetCounterpart(0, 0);
        if (txn.Type is TxnType.Deposit)
        {
            return;
        }

        var party = txn.PayerMsisdn;
        if (party == 0 && _register.TryGetByAccount(txn.PayerAccount, out var payer))
        {
            // The bank feed carried no number: the register maps the account to its holder's.
            party = payer.Msisdn;
        }

        var partyKey = party != 0 ? (long)party : KeyHash.Of(AccountPartyKind, txn.PayerAccount);
        var t = txn.TsMs;
        _parties.TryRead(partyKey, out var state);
        var eventHash = EventHash(TxnHashSeed, txn.TxnId);
        if (IsDuplicate(in state, eventHash))
        {
            return;
        }

        var firing = default(Firing);

        var pairKey = KeyHash.Pair(partyKey, KeyHash.Of(AccountPartyKind, txn.PayeeAccount));
        var firstTime = !_pairs.TryRead(pairKey, out _);

        // R07 CALL_THEN_LARGE_TRANSFER: >= max(50,000, 3 x the payer's 90-day max) to a first-time payee within 2 h
        // after a suspicious call (or after R06's screen share). L1.
        if (On(RuleId.R07) && txn.Type == TxnType.Transfer && firstTime && state.LastSuspiciousCallMs != 0)
        {
            // A transfer made while the victim is still on the line counts too: the window opens at the call's start.
            var sinceCall = t - state.LastSuspiciousCallMs;
            var callStartOffset = -1000L * state.LastSuspiciousCallSeconds;
            var sinceShare = state.ScreenShareMs != 0 ? t - state.ScreenShareMs : -1;
            var threshold = Math.Max(_rules.R07MinAmountMinor, _rules.R07MaxMultiple * state.Max90Days(t));
            var inWindow = (sinceCall >= callStartOffset && sinceCall <= _r07WindowMs) || (sinceShare >= 0 && sinceShare <= _r07WindowMs);
            if (inWindow && txn.AmountMinor >= threshold)
            {
                firing.Add(RuleId.R07, SeverityOf(RuleId.R07), "amount_minor", txn.AmountMinor, "threshold_minor", threshold, "minutes_after_call", sinceCall / 60_000);
                firing.Typology = TypologyOf(RuleId.R07, state.LastSuspiciousTypology);
                firing.CitesSuspiciousCall = true;
            }
        }

        if (txn.Type == TxnType.Transfer && firstTime)
        {
            var large = txn.AmountMinor >= Math.Max(_rules.R07MinAmountMinor, _rules.R07MaxMultiple * state.Max90Days(t));
            NoteNewPayeeTransfer(ref state, t, txn.AmountMinor, large && (firing.Mask & RuleIds.Bit(RuleId.R07)) == 0);
        }

        // R08 PAY_TO_WATCHLISTED_ACCOUNT: the payee account is listed; L1 from 10,000, else L2.
        if (On(RuleId.R08) && _watch.TryLookup(WatchKeyType.Account, txn.PayeeAccount, t, out var hit))
        {
            var severity = txn.AmountMinor >= _rules.R08L1AmountMinor ? _rules.R08LargeSeverity : SeverityOf(RuleId.R08);
            firing.Add(RuleId.R08, severity, "amount_minor", txn.AmountMinor, "confirmed", hit.Level == WatchLevel.Confirmed ? 1 : 0);
            if (hit.Typology != 0 && (firing.Typology == 0 || firing.Typology == _defaultTypology))
            {
                firing.Typology = hit.Typology;
            }
        }

        if (On(RuleId.R09))
        {
            EvaluateBalanceDrain(in txn, t, ref state, ref firing);
        }

        if (On(RuleId.R11) && txn.Type == TxnType.Transfer && firstTime)
        {
            EvaluateEscalatingTopups(in txn, t, ref state, ref firing);
        }

        // R12 REBATE_THEN_BIGGER_OUT, outbound half: >= 10 x the rebate to a first-time payee within 24 h of it. L3.
        if (On(RuleId.R12) && txn.Type == TxnType.Transfer && firstTime && state.RebateMs != 0)
        {
            var since = t - state.RebateMs;
            if (since >= 0 && since <= _r12WindowMs && txn.AmountMinor >= _rules.R12Multiple * state.RebateMinor)
            {
                firing.Add(RuleId.R12, SeverityOf(RuleId.R12), "inbound_minor", state.RebateMinor, "amount_minor", txn.AmountMinor, "minutes_after_inbound", since / 60_000);
                if (firing.Typology == 0 || firing.Typology == _defaultTypology)
                {
                    firing.Typology = TypologyOf(RuleId.R12, 0);
                }

                firing.CitesRebate = true;
            }
        }

        if (firing.Count > 0)
        {
            firing.AmountMinor = txn.AmountMinor;
            // Cold path (an alert is built): the payee account, for watchlist proposals from the case's outcome.
            _payeeAccount = System.Text.Encoding.UTF8.GetString(txn.PayeeAccount);
            EmitIncident(ref state, party != 0 ? party : (ulong)partyKey, t, sourceTimestampMs, txn.TxnId, ref firing);
            SetCounterpart(0, 0);
        }

        if (firing.CitesRebate)
        {
            state.RebateMs = 0;
        }

        state.RecordOutgoing(t, txn.AmountMinor);
        state.AddRecentEvent(eventHash);
        _parties.Upsert(partyKey, state);
        if (firstTime)
        {
            _pairs.Upsert(pairKey, t);
        }

        if (On(RuleId.R12) && txn.Type == TxnType.Transfer && txn.AmountMinor > 0 && txn.AmountMinor < _rules.R12MaxInboundMinor)
        {
            RecordRebate(in txn, partyKey, t, sourceTimestampMs);
        }
    }

    // R09 BALANCE_DRAIN: TRANSFER and CASH_OUT outflows within 24 h of the window's first reach >= 80 % of the balance
    // they came from. That balance is the outflows plus the balance left after this one (payer_balance_after_minor),
    // so money made available in between (deposit breaks, loan drawdowns) counts in it. Needs >= 10,000 moved and,
    // by default, a risk signal within 24 h (an alert on the party, a risky app, a stranger's rebate). L1, once per window.
    private void EvaluateBalanceDrain(in TxnEvent txn, long t, ref PartyState state, ref Firing firing)
    {
        if (txn.Type is not (TxnType.Transfer or TxnType.CashOut))
        {
            return;
        }

        if (state.DrainWindowStartMs == 0 || t - state.DrainWindowStartMs > _r09WindowMs || state.DrainWindowStartMs - t > _latenessMs)
        {
            state.DrainWindowStartMs = t;
            state.DrainOutMinor = 0;
            state.Flags &= ~SequenceMarks.R09Fired;
            state.Pending &= ~PendingMarks.R09;
            state.DrainBalanceMs = 0;
        }
        else if (t < state.DrainWindowStartMs)
        {
            // An outflow that arrived after a later one (within the lateness) opens the window it belongs to.
            state.DrainWindowStartMs = t;
        }

        state.DrainOutMinor += txn.AmountMinor;
        if (txn.PayerBalanceAfterMinor is not { } after || (state.Flags & SequenceMarks.R09Fired) != 0)
        {
            return;
        }

        // The balance the outflows came from: theirs plus what the latest of them (in event time) left.
        if (t >= state.DrainBalanceMs)
        {
            state.DrainBalanceMs = t;
            state.DrainBalanceAfterMinor = after;
        }

        var before = state.DrainOutMinor + Math.Max(0, state.DrainBalanceAfterMinor);
        var context = !_rules.R09RequireContext || firing.Count > 0 || HasContext(in state, t, _r09ContextMs);
        var met = before > 0 && state.DrainOutMinor >= _rules.R09MinMovedMinor && state.DrainOutMinor * 100 >= _rules.R09MinPercent * before;
        if (met && !context)
        {
            // Fires if a risk signal turns up after all (EngineCore.EventTime.cs: CompletePendingContext).
            state.Pending |= PendingMarks.R09;
            state.DrainMetMs = t;
        }

        if (met && context)
        {
            state.Pending &= ~PendingMarks.R09;
            state.Flags |= SequenceMarks.R09Fired;
            firing.Add(RuleId.R09, SeverityOf(RuleId.R09), "moved_minor", state.DrainOutMinor, "balance_before_minor", before, "percent", state.DrainOutMinor * 100 / before);
            if (firing.Typology == 0 || firing.Typology == _defaultTypology)
            {
                firing.Typology = TypologyOf(RuleId.R09, state.LastSuspiciousTypology);
            }
        }
    }

    // R11 ESCALATING_TOPUPS: >= 3 transfers in a row to first-time payees, each >= 1.5 x the previous, >= 5,000 in
    // total, within 72 h from the first; by default only with a risk signal within 72 h. A transfer to a new payee
    // that does not escalate starts a new chain. L2, once per chain.
    private void EvaluateEscalatingTopups(in TxnEvent txn, long t, ref PartyState state, ref Firing firing)
    {
        var amount = txn.AmountMinor;
        var extends = state.TopupCount > 0 && t >= state.TopupChainStartMs && t - state.TopupChainStartMs <= _r11WindowMs
            && amount * 1000 >= state.TopupLastMinor * _rules.R11StepPermille;
        if (state.TopupCount > 0 && t < state.TopupLastMs && state.TopupLastMs - t <= _latenessMs)
        {
            // Arrived after the chain's last transfer but happened before it (EngineCore.EventTime.cs).
            InsertBeforeLastTopup(ref state, t, amount);
        }
        else if (extends)
        {
            state.TopupCount = (byte)Math.Min(state.TopupCount + 1, byte.MaxValue);
            state.TopupSumMinor += amount;
        }
        else
        {
            state.TopupChainStartMs = t;
            state.TopupCount = 1;
            state.TopupSumMinor = amount;
            state.Flags &= ~SequenceMarks.R11Fired;
            state.Pending &= ~PendingMarks.R11;
        }

        if (t >= state.TopupLastMs)
        {
            state.TopupPrevMinor = extends ? state.TopupLastMinor : 0;
            state.TopupLastMinor = amount;
            state.TopupLastMs = t;
        }

        var context = !_rules.R11RequireContext || HasContext(in state, t, _r11ContextMs);
        var met = state.TopupCount >= _rules.R11MinCount && state.TopupSumMinor >= _rules.R11MinTotalMinor && (state.Flags & SequenceMarks.R11Fired) == 0;
        if (met && !context)
        {
            state.Pending |= PendingMarks.R11;
            state.TopupMetMs = t;
        }

        if (met && context)
        {
            state.Pending &= ~PendingMarks.R11;
            state.Flags |= SequenceMarks.R11Fired;
            firing.Add(RuleId.R11, SeverityOf(RuleId.R11), "transfers", state.TopupCount, "total_minor", state.TopupSumMinor, "last_minor", amount);
            if (firing.Typology == 0 || firing.Typology == _defaultTypology)
            {
                firing.Typology = TypologyOf(RuleId.R11, 0);
            }
        }
    }

    // R12's inbound half: a small transfer to a registered party from a stranger - a payer that is not a resident of
    // the register (by account or number) and that the party never paid - is remembered as a "rebate", and is a risk
    // signal for R09/R11.
    private void RecordRebate(in TxnEvent txn, long payerKey, long t, long sourceTimestampMs)
    {
        if (!_register.TryGetByAccount(txn.PayeeAccount, out var payee) || payee.Msisdn == 0 || (long)payee.Msisdn == payerKey)
        {
            return;
        }

        if (_register.TryGetByAccount(txn.PayerAccount, out _) || (txn.PayerMsisdn != 0 && _register.TryGetByNumber(txn.PayerMsisdn, out _)))
        {
            return;
        }

        var receiverKey = (long)payee.Msisdn;
        if (_pairs.TryRead(KeyHash.Pair(receiverKey, KeyHash.Of(AccountPartyKind, txn.PayerAccount)), out _))
        {
            return;
        }

        _parties.TryRead(receiverKey, out var receiver);
        if (t >= receiver.RebateMs)
        {
            receiver.RebateMs = t;
            receiver.RebateMinor = txn.AmountMinor;
            receiver.SetRebateEventId(txn.TxnId);
        }

        receiver.LastRiskSignalMs = Math.Max(receiver.LastRiskSignalMs, t);
        CompleteAfterRebate(in txn, payee.Msisdn, t, sourceTimestampMs, ref receiver);
        _parties.Upsert(receiverKey, receiver);
    }
}
