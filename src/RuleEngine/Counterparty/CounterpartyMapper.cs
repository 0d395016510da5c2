using FraudShield.Ingest.Events;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The repartition mapping: the fs.counterparty records one parsed event yields (at most <see cref="MaxRecords"/>),
/// keyed by the counterparty whose aggregate they feed. Used by the repartitioner and by tests alike; allocates nothing.
/// </summary>
public static class CounterpartyMapper
{
    /// <summary>Most records one event yields.</summary>
    public const int MaxRecords = 2;

    /// <summary>
    /// A call yields a <see cref="CounterpartyKind.CallerCall"/> record for the calling number (both legs of one call, the
    /// callee's IN record and the caller's OUT record, describe the same call and are merged by the aggregate), and,
    /// when it carries an IMEI, a <see cref="CounterpartyKind.ImeiCall"/> record for the handset: the IMEI, IMSI and
    /// cell of a CDR are those of the record's owner (the callee of an IN record, the caller of an OUT record), so the
    /// handset's line is the owner's number and its callee is set only when the handset placed the call. Records of
    /// other directions (FWD, unknown) have no known owner and yield no handset record.
    /// </summary>
    /// <returns>The number of records written to <paramref name="records"/>.</returns>
    public static int Map(in CallEvent call, Span<CounterpartyRecord> records)
    {
        var n = 0;
        if (call.Calling == 0 || call.Called == 0)
        {
            return 0;
        }

        var flags = call.Answered ? CounterpartyMarks.Answered : CounterpartyMarks.None;
        ref var caller = ref records[n++];
        caller = default;
        caller.Kind = CounterpartyKind.CallerCall;
        caller.Flags = flags;
        caller.Key = CounterpartyRecord.KeyOfCaller(call.Calling);
        caller.Subject = call.Calling;
        caller.Other = (long)call.Called;
        caller.Line = call.Calling;
        caller.TimeMs = call.StartMs;
        caller.Value = Math.Max(0, call.DurationS);
        caller.SetEventId(call.EventId);

        if (call.Imei != 0 && call.Direction is CallDirection.In or CallDirection.Out)
        {
            var placed = call.Direction == CallDirection.Out;
            ref var handset = ref records[n++];
            handset = default;
            handset.Kind = CounterpartyKind.ImeiCall;
            handset.Flags = flags;
            handset.Key = CounterpartyRecord.KeyOfImei(call.Imei);
            handset.Subject = call.Imei;
            handset.Other = placed ? (long)call.Called : 0;
            handset.Line = placed ? call.Calling : call.Called;
            handset.TimeMs = call.StartMs;
            handset.Value = Math.Max(0, call.DurationS);
            handset.SetEventId(call.EventId);
        }

        return n;
    }

    /// <summary>
    /// A TRANSFER yields an <see cref="CounterpartyKind.AccountIn"/> record for the payee account and an
    /// <see cref="CounterpartyKind.AccountOut"/> record for the payer account; a CASH_OUT only the outbound leg.
    /// Deposits, deposit breaks and loan drawdowns move no money between parties and yield nothing, as does a transfer
    /// to the payer's own account.
    /// </summary>
    /// <returns>The number of records written to <paramref name="records"/>.</returns>
    public static int Map(in TxnEvent txn, Span<CounterpartyRecord> records)
    {
        if (txn.Type is not (TxnType.Transfer or TxnType.CashOut) || txn.PayerAccount.SequenceEqual(txn.PayeeAccount))
        {
            return 0;
        }

        var n = 0;
        var payer = CounterpartyRecord.KeyOfAccount(txn.PayerAccount);
        var payee = CounterpartyRecord.KeyOfAccount(txn.PayeeAccount);
        if (txn.Type == TxnType.Transfer)
        {
            ref var inbound = ref records[n++];
            inbound = default;
            inbound.Kind = CounterpartyKind.AccountIn;
            inbound.Key = payee;
            inbound.Other = payer;
            inbound.Line = txn.PayerMsisdn;
            inbound.TimeMs = txn.TsMs;
            inbound.Value = txn.AmountMinor;
            if (txn.PayeeOpenedMs is { } opened)
            {
                inbound.Flags |= CounterpartyMarks.OpenedKnown;
                inbound.OpenedMs = opened;
            }

            inbound.SetSubjectText(txn.PayeeAccount);
            inbound.SetEventId(txn.TxnId);
        }

        ref var outbound = ref records[n++];
        outbound = default;
        outbound.Kind = CounterpartyKind.AccountOut;
        outbound.Key = payer;
        outbound.Other = payee;
        outbound.Line = txn.PayerMsisdn;
        outbound.TimeMs = txn.TsMs;
        outbound.Value = txn.AmountMinor;
        if (txn.PayerBalanceAfterMinor is { } balance)
        {
            outbound.Flags |= CounterpartyMarks.BalanceKnown;
            outbound.BalanceAfterMinor = balance;
        }

        outbound.SetSubjectText(txn.PayerAccount);
        outbound.SetEventId(txn.TxnId);
        return n;
    }
}
