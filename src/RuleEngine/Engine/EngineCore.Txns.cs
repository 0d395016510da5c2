using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    private const byte AccountPartyKind = 201;

    // Pair-store keys of R10 (see EngineStores.Pairs): (party, account the party swept from) -> time of its latest
    // sweep; the new account -> the party key of the one sweeping into it.
    private const byte SweepSourceKind = 202;
    private const byte NewAccountOwnerKind = 203;

    // Pair-store key of R12 (receiver, rebate's transfer key) -> the rebate's time: applied once.
    private const byte RebateMarkKind = 204;

    /// <summary>
    /// Applies the payer-side rules R07 (call then large transfer), R08 (pay to a listed account), R09 (balance drain),
    /// R10 (new card consolidation), R11 (escalating top-ups), R12 (rebate then bigger out), R13 (fee chain) and R14
    /// (boss urgent payment) to a transaction, and records a stranger's small inbound transfer on the payee's state for R12.
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
        if (party == 0 && On(RuleId.R10) && _pairs.TryRead(KeyHash.Of(NewAccountOwnerKind, txn.PayerAccount), out var owner))
        {
            // R10's out leg from a new account whose feed carries no number: the party that swept money into it.
            partyKey = owner;
        }

        var t = txn.TsMs;
        _parties.TryRead(partyKey, out var state);
        var eventHash = EventHash(TxnHashSeed, txn.TxnId);
        if (IsDuplicate(in state, eventHash))
        {
            return;
        }

        ref var firing = ref _firing;
        firing.Reset();

        var pairKey = KeyHash.Pair(partyKey, KeyHash.Of(AccountPartyKind, txn.PayeeAccount));
        var firstTime = !_pairs.TryRead(pairKey, out var firstPaidMs);

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

        if (txn.Type == TxnType.Transfer)
        {
            if (On(RuleId.R10))
            {
                EvaluateConsolidation(in txn, partyKey, t, ref state, ref firing);
            }

            if (On(RuleId.R13) && state.LoanContactMs != 0)
            {
                EvaluateFeeChain(in txn, t, firstTime, firstPaidMs, ref state, ref firing);
            }

            if (On(RuleId.R14))
            {
                EvaluateUrgentPayment(in txn, (ulong)partyKey, t, firstTime, ref state, ref firing);
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

    // R10 NEW_CARD_CONSOLIDATION: the party sweeps money from >= 2 of its own accounts into a newly opened account
    // (payee.opened_ms within 30 days), then, within 48 h of the first sweep, transfers >= 50 % of what it swept out of
    // that account (payer.account = it, on the same party) to a payee that is not its own. L2, once per consolidation.
    // The payer's accounts are the party's own by attribution (its number, or the register); the new account becomes
    // evidently its own when the party pays from it. A sweep into another new account starts a new consolidation.
    private void EvaluateConsolidation(in TxnEvent txn, long partyKey, long t, ref PartyState state, ref Firing firing)
    {
        if (state.NewAccount != 0 && state.NewAccount == PartyState.AccountFingerprint(txn.PayerAccount))
        {
            // The out leg, from the account the party has been sweeping into.
            var since = t - state.SweepStartMs;
            if ((state.Flags & SequenceMarks.R10Fired) == 0 && since >= 0 && since <= _r10WindowMs
                && state.SweepSources >= _rules.R10MinSourceAccounts && state.SweptMinor >= _rules.R10MinSweptMinor
                && txn.AmountMinor * 100 >= _rules.R10MinOutPercent * state.SweptMinor
                && HolderOf(txn.PayeeAccount, partyKey) != Holder.Party && !_pairs.TryRead(SweepSourceKey(partyKey, txn.PayeeAccount), out _))
            {
                state.Flags |= SequenceMarks.R10Fired;
                firing.Add(RuleId.R10, SeverityOf(RuleId.R10), "swept_minor", state.SweptMinor, "source_accounts", state.SweepSources, "minutes_after_first_sweep", since / 60_000);
                if (firing.Typology == 0 || firing.Typology == _defaultTypology)
                {
                    firing.Typology = TypologyOf(RuleId.R10, state.LastSuspiciousTypology);
                }
            }

            return;
        }

        // A sweep: from one of the party's accounts into the account of the open consolidation, or into a newly opened
        // one that is not someone else's, which starts a consolidation.
        var continues = state.NewAccount != 0 && t >= state.SweepStartMs && t - state.SweepStartMs <= _r10WindowMs
            && state.NewAccount == PartyState.AccountFingerprint(txn.PayeeAccount);
        if (!continues)
        {
            if (txn.PayeeOpenedMs is not { } opened || t - opened > _r10NewAccountAgeMs || txn.PayeeAccount.SequenceEqual(txn.PayerAccount)
                || HolderOf(txn.PayeeAccount, partyKey) == Holder.Other)
            {
                return;
            }

            state.NewAccount = PartyState.AccountFingerprint(txn.PayeeAccount);
            state.SweepStartMs = t;
            state.SweptMinor = 0;
            state.SweepSources = 0;
            state.Flags &= ~SequenceMarks.R10Fired;
            _pairs.Upsert(KeyHash.Of(NewAccountOwnerKind, txn.PayeeAccount), partyKey);
        }

        state.SweptMinor += txn.AmountMinor;
        var sourceKey = SweepSourceKey(partyKey, txn.PayerAccount);
        if (!_pairs.TryRead(sourceKey, out var lastSweepMs) || lastSweepMs < state.SweepStartMs)
        {
            state.SweepSources = (byte)Math.Min(state.SweepSources + 1, byte.MaxValue);
        }

        _pairs.Upsert(sourceKey, Math.Max(t, lastSweepMs));
    }

    private static long SweepSourceKey(long partyKey, ReadOnlySpan<byte> account) => KeyHash.Pair(partyKey, KeyHash.Of(SweepSourceKind, account));

    private enum Holder : byte
    {
        Unknown,
        Party,
        Other,
    }

    // Who holds an account according to the register: the party (the same person as the party's number), another
    // resident, or unknown (not registered, or the party is not).
    private Holder HolderOf(ReadOnlySpan<byte> account, long partyKey)
    {
        if (!_register.TryGetByAccount(account, out var holder))
        {
            return Holder.Unknown;
        }

        if (_register.TryGetByNumber((ulong)partyKey, out var self))
        {
            return holder.Person == self.Person ? Holder.Party : Holder.Other;
        }

        return Holder.Other;
    }

    // R13 FEE_CHAIN: within 48 h after a loan contact (a fake-loan app installed, a call or SMS with a listed fake-loan
    // source, a loan keyword in an SMS from a personal or international sender), >= 3 fee-sized transfers (200-20,000)
    // to >= 2 new payees - payees first paid after the contact. L2, once per loan-contact episode.
    private void EvaluateFeeChain(in TxnEvent txn, long t, bool firstTime, long firstPaidMs, ref PartyState state, ref Firing firing)
    {
        var since = t - state.LoanContactMs;
        var amount = txn.AmountMinor;
        if (since < 0 || since > _r13WindowMs || amount < _rules.R13MinFeeMinor || amount > _rules.R13MaxFeeMinor
            || (!firstTime && firstPaidMs < state.LoanContactMs))
        {
            return;
        }

        state.FeeCount = (byte)Math.Min(state.FeeCount + 1, byte.MaxValue);
        if (firstTime)
        {
            state.FeePayees = (byte)Math.Min(state.FeePayees + 1, byte.MaxValue);
        }

        if (state.FeeCount >= _rules.R13MinFees && state.FeePayees >= _rules.R13MinNewPayees && (state.Flags & SequenceMarks.R13Fired) == 0)
        {
            state.Flags |= SequenceMarks.R13Fired;
            firing.Add(RuleId.R13, SeverityOf(RuleId.R13), "fees", state.FeeCount, "new_payees", state.FeePayees, "minutes_after_contact", since / 60_000);
            if (firing.Typology == 0 || firing.Typology == _defaultTypology)
            {
                firing.Typology = TypologyOf(RuleId.R13, 0);
            }
        }
    }

    // R14 BOSS_URGENT_PAYMENT: transfers from a corporate account (its register holder is flagged corporate) to new
    // payees that sum, within 1 h from the first, to >= 100,000 or to >= 5 x the payer's typical transfer (once that
    // has been learnt from >= 5 transfers). L2, once per window. The typical transfer is an exponentially weighted mean
    // of the party's transfers, updated after the check; the window is kept for every party and the register is read
    // only when a sum reaches the threshold.
    private void EvaluateUrgentPayment(in TxnEvent txn, ulong party, long t, bool firstTime, ref PartyState state, ref Firing firing)
    {
        var amount = txn.AmountMinor;
        var typical = state.TypicalOutMinor;
        if (firstTime)
        {
            if (state.UrgentWindowStartMs == 0 || t < state.UrgentWindowStartMs || t - state.UrgentWindowStartMs > _r14WindowMs)
            {
                state.UrgentWindowStartMs = t;
                state.UrgentSumMinor = 0;
                state.Flags &= ~SequenceMarks.R14Fired;
            }

            state.UrgentSumMinor += amount;
            var threshold = _rules.R14MinAmountMinor;
            if (state.TypicalCount >= _rules.R14MinHistory && typical > 0)
            {
                threshold = Math.Min(threshold, _rules.R14TypicalMultiple * typical);
            }

            if (state.UrgentSumMinor >= threshold && (state.Flags & SequenceMarks.R14Fired) == 0 && IsCorporate(txn.PayerAccount, party))
            {
                state.Flags |= SequenceMarks.R14Fired;
                firing.Add(RuleId.R14, SeverityOf(RuleId.R14), "window_sum_minor", state.UrgentSumMinor, "threshold_minor", threshold, "typical_minor", typical);
                if (firing.Typology == 0 || firing.Typology == _defaultTypology)
                {
                    firing.Typology = TypologyOf(RuleId.R14, 0);
                }
            }
        }

        state.TypicalOutMinor = state.TypicalCount == 0 ? amount : typical + ((amount - typical) / 8);
        state.TypicalCount = (byte)Math.Min(state.TypicalCount + 1, byte.MaxValue);
    }

    // A corporate payer: the register holder of the payer account, else of the party's number, is flagged corporate.
    private bool IsCorporate(ReadOnlySpan<byte> payerAccount, ulong party) =>
        (_register.TryGetByAccount(payerAccount, out var holder) || _register.TryGetByNumber(party, out holder))
        && (holder.Flags & SubjectFlags.Corporate) != 0;

    // R12's inbound half, payer side: a small transfer to a registered party from a stranger - a payer that is not a
    // resident of the register (by account or number) - goes to the receiver's state as a rebate (OnRebate), in this
    // process or, through the router, in the one that holds the receiver's partition.
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

        var rebate = default(RebateRecord);
        rebate.Receiver = payee.Msisdn;
        rebate.TimeMs = t;
        rebate.AmountMinor = txn.AmountMinor;
        rebate.PayerAccountKey = KeyHash.Of(AccountPartyKind, txn.PayerAccount);
        rebate.TransferKey = KeyHash.Of(RebateMarkKind, txn.TxnId);
        rebate.SourceTimestampMs = sourceTimestampMs;
        rebate.SetTxnId(txn.TxnId);
        if (_rebates is null)
        {
            OnRebate(in rebate);
        }
        else
        {
            _rebates.Route(in rebate);
        }
    }

    /// <summary>
    /// R12's inbound half, receiver side: a stranger's small transfer into the party (<see cref="RebateRecord"/>, from
    /// this process's <see cref="OnTxn"/> or from fs.rebates) is remembered as the party's latest rebate - unless the
    /// party had paid that account by then - and is a risk signal for R09/R11; an R12 outbound transfer that arrived
    /// first fires now. Each rebate is applied once: its transfer key is marked in the pairs store (checkpointed with
    /// the party), so a record produced again after its producer's crash, however late, changes nothing. Nothing
    /// happens while the rule set in force has R12 off.
    /// </summary>
    /// <param name="rebate">The rebate.</param>
    public void OnRebate(in RebateRecord rebate)
    {
        if (!On(RuleId.R12))
        {
            return;
        }

        var receiverKey = (long)rebate.Receiver;
        var t = rebate.TimeMs;
        if (_pairs.TryRead(KeyHash.Pair(receiverKey, rebate.PayerAccountKey), out var firstPaidMs) && firstPaidMs <= t)
        {
            return;
        }

        var mark = KeyHash.Pair(receiverKey, rebate.TransferKey);
        if (_pairs.TryRead(mark, out _))
        {
            DuplicatesIgnored++;
            return;
        }

        _pairs.Upsert(mark, t);
        _parties.TryRead(receiverKey, out var receiver);
        if (t >= receiver.RebateMs)
        {
            receiver.RebateMs = t;
            receiver.RebateMinor = rebate.AmountMinor;
            receiver.SetRebateEventId(rebate.TxnIdBytes);
        }

        receiver.LastRiskSignalMs = Math.Max(receiver.LastRiskSignalMs, t);
        CompleteAfterRebate(in rebate, ref receiver);
        _parties.Upsert(receiverKey, receiver);
    }
}
