using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    private const byte AccountPartyKind = 201;

    /// <summary>Applies R07 (call then large transfer) and R08 (pay to a listed account) to a transaction.</summary>
    /// <param name="txn">The parsed transaction.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message, carried to the alert for latency.</param>
    public void OnTxn(in TxnEvent txn, long sourceTimestampMs)
    {
        EventsProcessed++;
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
        var firing = default(Firing);

        var pairKey = KeyHash.Pair(partyKey, KeyHash.Of(AccountPartyKind, txn.PayeeAccount));
        var firstTime = !_pairs.TryRead(pairKey, out _);

        // R07 CALL_THEN_LARGE_TRANSFER: >= max(50,000, 3 x the payer's 90-day max) to a first-time payee within 2 h
        // after a suspicious call. L1.
        if (txn.Type == TxnType.Transfer && firstTime && state.LastSuspiciousCallMs != 0)
        {
            // A transfer made while the victim is still on the line counts too: the window opens at the call's start.
            var sinceCall = t - state.LastSuspiciousCallMs;
            var callStartOffset = -1000L * state.LastSuspiciousCallSeconds;
            var threshold = Math.Max(_rules.R07MinAmountMinor, _rules.R07MaxMultiple * state.Max90Days(t));
            if (sinceCall >= callStartOffset && sinceCall <= (long)_rules.R07Window.TotalMilliseconds && txn.AmountMinor >= threshold)
            {
                firing.Add(RuleId.R07, 1, "amount_minor", txn.AmountMinor, "threshold_minor", threshold, "minutes_after_call", sinceCall / 60_000);
                firing.Typology = state.LastSuspiciousTypology;
                firing.CitesSuspiciousCall = true;
            }
        }

        // R08 PAY_TO_WATCHLISTED_ACCOUNT: the payee account is listed; L1 from 10,000, else L2.
        if (_watch.TryLookup(WatchKeyType.Account, txn.PayeeAccount, t, out var hit))
        {
            var severity = txn.AmountMinor >= _rules.R08L1AmountMinor ? 1 : 2;
            firing.Add(RuleId.R08, severity, "amount_minor", txn.AmountMinor, "confirmed", hit.Level == WatchLevel.Confirmed ? 1 : 0);
            if (hit.Typology != 0 && (firing.Typology == 0 || firing.Typology == _defaultTypology))
            {
                firing.Typology = hit.Typology;
            }
        }

        if (firing.Count > 0)
        {
            firing.AmountMinor = txn.AmountMinor;
            EmitIncident(ref state, party != 0 ? party : (ulong)partyKey, t, sourceTimestampMs, txn.TxnId, ref firing);
        }

        state.RecordOutgoing(t, txn.AmountMinor);
        _parties.Upsert(partyKey, state);
        if (firstTime)
        {
            _pairs.Upsert(pairKey, t);
        }
    }
}
