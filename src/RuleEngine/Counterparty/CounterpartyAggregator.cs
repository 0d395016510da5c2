using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>
/// The counterparty rules R03 (caller fan-out), R04 (SIM bank), R15 (mule pass-through) and R16 (fan-in/fan-out) over
/// fs.counterparty records, for one aggregator thread: reads and updates the key's aggregate in FASTER through this
/// thread's sessions and emits an L4 intelligence alert when a rule fires. Single-threaded, like
/// <see cref="EngineCore"/>: the records of a partition are applied in order by the thread that owns it. The
/// per-record path allocates nothing; building an alert (rare) does.
/// </summary>
/// <remarks>
/// Re-deliveries are dropped: a call already in the key's ring (same callee, start second, duration and answer) or a
/// transaction already in it (same time, other account and signed amount) changes nothing. That also merges the two
/// CDR legs (IN and OUT) of one call.
/// </remarks>
public sealed partial class CounterpartyAggregator : IDisposable
{
    private readonly CounterpartyStores _stores;
    private readonly IAlertSink _sink;
    private readonly TimeProvider _time;
    private readonly FasterSession<CallerAggregate> _callers;
    private readonly FasterSession<AccountAggregate> _accounts;
    private long[] _history = [];
    private CounterpartyRules _rules;

    /// <summary>Opens this thread's sessions on <paramref name="stores"/>.</summary>
    public CounterpartyAggregator(CounterpartyStores stores, RulePackOptions rules, IAlertSink sink, TimeProvider? time = null)
    {
        _stores = stores ?? throw new ArgumentNullException(nameof(stores));
        ArgumentNullException.ThrowIfNull(rules);
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _time = time ?? TimeProvider.System;
        _rules = new CounterpartyRules(rules);
        _callers = stores.Callers.NewSession();
        _accounts = stores.Accounts.NewSession();
    }

    /// <summary>Records applied (including duplicates).</summary>
    public long RecordsApplied { get; private set; }

    /// <summary>Records dropped as re-deliveries of a call or transaction already counted.</summary>
    public long Duplicates { get; private set; }

    /// <summary>Records that were not valid fs.counterparty records.</summary>
    public long Rejected { get; private set; }

    /// <summary>Alerts emitted.</summary>
    public long AlertsEmitted { get; private set; }

    /// <summary>The rule parameters in force.</summary>
    public RulePackOptions Rules => _rules.Options;

    /// <summary>Switches to <paramref name="rules"/> between two records; the aggregates are kept.</summary>
    public void UseRules(RulePackOptions rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = new CounterpartyRules(rules);
    }

    /// <summary>Decodes and applies one fs.counterparty value; false (counted) when it is not a valid record.</summary>
    /// <param name="value">The record bytes.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp (the source event's), carried to the alert for latency.</param>
    /// <param name="partition">The fs.counterparty partition it came from (its history record says how far back state goes).</param>
    public bool TryApply(ReadOnlySpan<byte> value, long sourceTimestampMs, int partition)
    {
        if (!CounterpartyRecord.TryRead(value, out var record))
        {
            Rejected++;
            return false;
        }

        Apply(in record, sourceTimestampMs, partition);
        return true;
    }

    /// <summary>Applies one record.</summary>
    public void Apply(in CounterpartyRecord record, long sourceTimestampMs, int partition)
    {
        RecordsApplied++;
        var historyStart = History(partition, record.TimeMs);
        switch (record.Kind)
        {
            case CounterpartyKind.CallerCall:
            case CounterpartyKind.ImeiCall:
                ApplyCall(in record, sourceTimestampMs);
                break;
            case CounterpartyKind.AccountIn:
            case CounterpartyKind.AccountOut:
                ApplyTxn(in record, sourceTimestampMs, historyStart);
                break;
        }
    }

    /// <summary>The aggregate of a calling number, for tests and inspection.</summary>
    public bool TryGetCaller(ulong number, out CallerAggregate state) => _callers.TryRead(CounterpartyRecord.KeyOfCaller(number), out state);

    /// <summary>The aggregate of a handset, for tests and inspection.</summary>
    public bool TryGetImei(ulong imei, out CallerAggregate state) => _callers.TryRead(CounterpartyRecord.KeyOfImei(imei), out state);

    /// <summary>The aggregate of an account, for tests and inspection.</summary>
    public bool TryGetAccount(ReadOnlySpan<byte> account, out AccountAggregate state) => _accounts.TryRead(CounterpartyRecord.KeyOfAccount(account), out state);

    /// <inheritdoc />
    public void Dispose()
    {
        _accounts.Dispose();
        _callers.Dispose();
    }

    // The earliest event time the partition's state covers: its first record's (kept in FASTER, so it is checkpointed
    // with the aggregates), lowered by an older record. "Never seen" means "not active" only that far back.
    private long History(int partition, long timeMs)
    {
        if (partition >= _history.Length)
        {
            Array.Resize(ref _history, partition + 1);
        }

        var start = _history[partition];
        if (start == 0)
        {
            var key = CounterpartyRecord.KeyOfHistory(partition);
            start = _accounts.TryRead(key, out var stored) ? stored.HistoryStartMs : 0;
        }

        if (start == 0 || timeMs < start)
        {
            start = timeMs;
            _accounts.Upsert(CounterpartyRecord.KeyOfHistory(partition), new AccountAggregate { HistoryStartMs = start });
        }

        _history[partition] = start;
        return start;
    }

    private void ApplyCall(in CounterpartyRecord record, long sourceTimestampMs)
    {
        var rules = _rules;
        var imei = record.Kind == CounterpartyKind.ImeiCall;
        if (!rules.R03 && !(imei && rules.R04))
        {
            return;
        }

        _callers.TryRead(record.Key, out var state);
        if (state.LastMs != 0 && record.TimeMs - state.LastMs > rules.CallerExpiryMs)
        {
            // Everything in the aggregate is older than every window: start over (the fired marks are stale too).
            state = default;
        }

        state.Subject = record.Subject;
        state.Kind = (byte)record.Kind;
        var entry = new CallEntry
        {
            Callee = (ulong)record.Other,
            StartSec = (uint)(Math.Max(0, record.TimeMs) / 1000),
            DurationS = (ushort)Math.Min(record.Value, ushort.MaxValue),
            Answered = (record.Flags & CounterpartyMarks.Answered) != 0 ? (byte)1 : (byte)0,
        };
        if (entry.Callee != 0)
        {
            if (Contains(in state, in entry))
            {
                Duplicates++;
                return;
            }

            Push(ref state, in entry);
        }

        var numbersChanged = imei && record.Line != 0 && AddNumber(ref state, record.Line, record.TimeMs);
        state.LastMs = Math.Max(state.LastMs, record.TimeMs);
        if (entry.Callee == 0 && !numbersChanged)
        {
            // A call received on the handset by a line already seen at that time or later: nothing new.
            Duplicates++;
            return;
        }

        if (rules.R03 && entry.Callee != 0 && (!imei || rules.Options.R03ByImei))
        {
            EvaluateFanout(ref state, record.Key, in record, sourceTimestampMs);
        }

        if (imei && rules.R04)
        {
            EvaluateSimBank(ref state, record.Key, in record, sourceTimestampMs);
        }

        _callers.Upsert(record.Key, state);
    }

    private static bool Contains(in CallerAggregate state, in CallEntry entry)
    {
        for (var i = 0; i < state.Count; i++)
        {
            var e = state.Calls[(state.Head + i) % CounterpartyParams.MaxCallees];
            if (e.Callee == entry.Callee && e.StartSec == entry.StartSec && e.DurationS == entry.DurationS && e.Answered == entry.Answered)
            {
                return true;
            }
        }

        return false;
    }

    private static void Push(ref CallerAggregate state, in CallEntry entry)
    {
        const int capacity = CounterpartyParams.MaxCallees;
        if (state.Count < capacity)
        {
            state.Calls[(state.Head + state.Count) % capacity] = entry;
            state.Count++;
        }
        else
        {
            state.Calls[state.Head] = entry;
            state.Head = (byte)((state.Head + 1) % capacity);
        }
    }

    // The lines seen on a handset: a known line's time moves forward; a new one takes a free slot or the stalest.
    private static bool AddNumber(ref CallerAggregate state, ulong number, long timeMs)
    {
        var stalest = 0;
        for (var i = 0; i < state.NumberCount; i++)
        {
            ref var slot = ref state.Numbers[i];
            if (slot.Number == number)
            {
                if (timeMs <= slot.LastMs)
                {
                    return false;
                }

                slot.LastMs = timeMs;
                return true;
            }

            if (slot.LastMs < state.Numbers[stalest].LastMs)
            {
                stalest = i;
            }
        }

        if (state.NumberCount < CounterpartyParams.MaxNumbers)
        {
            state.Numbers[state.NumberCount++] = new NumberSlot { Number = number, LastMs = timeMs };
            return true;
        }

        if (state.Numbers[stalest].LastMs >= timeMs)
        {
            return false;
        }

        state.Numbers[stalest] = new NumberSlot { Number = number, LastMs = timeMs };
        return true;
    }

    // R03 CALLER_FANOUT: over the calls of the window (the most recent MaxCallees of them), >= min_callees distinct
    // callees, answer rate < max_answer_rate, median duration (unanswered calls count 0 s) < max_median_duration.
    private void EvaluateFanout(ref CallerAggregate state, long key, in CounterpartyRecord record, long sourceTimestampMs)
    {
        var rules = _rules;
        var options = rules.Options;
        var now = state.LastMs;
        if (state.Count < options.R03MinCallees || (state.R03FiredMs != 0 && now - state.R03FiredMs < rules.R03WindowMs))
        {
            return;
        }

        Span<ulong> callees = stackalloc ulong[CounterpartyParams.MaxCallees];
        Span<ushort> durations = stackalloc ushort[CounterpartyParams.MaxCallees];
        var n = 0;
        var answered = 0;
        var from = now - rules.R03WindowMs;
        for (var i = 0; i < state.Count; i++)
        {
            var e = state.Calls[(state.Head + i) % CounterpartyParams.MaxCallees];
            var startMs = e.StartSec * 1000L;
            if (e.Callee == 0 || startMs < from || startMs > now)
            {
                continue;
            }

            callees[n] = e.Callee;
            durations[n] = e.DurationS;
            answered += e.Answered;
            n++;
        }

        if (n < options.R03MinCallees)
        {
            return;
        }

        var distinct = Distinct(callees[..n]);
        if (distinct < options.R03MinCallees || answered * 100L >= (long)options.R03MaxAnswerPercent * n)
        {
            return;
        }

        durations[..n].Sort();
        var twiceMedian = (n & 1) == 1 ? 2 * durations[n / 2] : durations[(n / 2) - 1] + durations[n / 2];
        if (twiceMedian >= 2 * options.R03MaxMedianSeconds)
        {
            return;
        }

        state.R03FiredMs = now;
        var hit = new CounterpartyHit(RuleId.R03, now, "distinct_callees", distinct, "answer_rate_percent", answered * 100L / n, "median_duration_s", twiceMedian / 2, "calls", n);
        EmitCaller(in state, key, in record, sourceTimestampMs, in hit);
    }

    // R04 SIM_BANK: >= min_numbers distinct lines on the handset within the window.
    private void EvaluateSimBank(ref CallerAggregate state, long key, in CounterpartyRecord record, long sourceTimestampMs)
    {
        var rules = _rules;
        var now = state.LastMs;
        if (state.NumberCount < rules.Options.R04MinNumbers || (state.R04FiredMs != 0 && now - state.R04FiredMs < rules.R04WindowMs))
        {
            return;
        }

        var numbers = 0;
        for (var i = 0; i < state.NumberCount; i++)
        {
            if (state.Numbers[i].LastMs >= now - rules.R04WindowMs)
            {
                numbers++;
            }
        }

        if (numbers < rules.Options.R04MinNumbers)
        {
            return;
        }

        state.R04FiredMs = now;
        var hit = new CounterpartyHit(RuleId.R04, now, "numbers_on_imei", numbers, "window_h", rules.R04WindowMs / 3_600_000);
        EmitCaller(in state, key, in record, sourceTimestampMs, in hit);
    }

    private void ApplyTxn(in CounterpartyRecord record, long sourceTimestampMs, long historyStart)
    {
        var rules = _rules;
        if (!rules.R15 && !rules.R16)
        {
            return;
        }

        var t = record.TimeMs;
        var inbound = record.Kind == CounterpartyKind.AccountIn;
        var entry = new TxnEntry { TimeMs = t, Other = record.Other, Amount = inbound ? record.Value : -record.Value, PayerMsisdn = inbound ? record.Line : 0 };
        var known = _accounts.TryRead(record.Key, out var state);
        if (known && ContainsTxn(in state, in entry))
        {
            Duplicates++;
            return;
        }

        if (state.AccountLength == 0 && record.SubjectLength > 0)
        {
            record.SubjectBytes.CopyTo(state.Account);
            state.AccountLength = record.SubjectLength;
        }

        // Activity: a run of activity starts at the first transaction after a gap of at least R15's dormant period.
        if (state.LastMs == 0)
        {
            state.ActiveSinceMs = t;
            state.PreviousActivityMs = 0;
        }
        else if (t - state.LastMs >= rules.R15DormantMs)
        {
            state.PreviousActivityMs = state.LastMs;
            state.ActiveSinceMs = t;
        }

        if (state.LastMs != 0 && t - state.LastMs > rules.AccountExpiryMs)
        {
            // Every transaction in the ring is older than both windows.
            state.Count = 0;
            state.Head = 0;
        }

        if (inbound && (record.Flags & CounterpartyMarks.OpenedKnown) != 0)
        {
            state.OpenedMs = record.OpenedMs;
        }

        if (!inbound && (record.Flags & CounterpartyMarks.BalanceKnown) != 0 && t >= state.BalanceMs)
        {
            state.BalanceAfterMinor = record.BalanceAfterMinor;
            state.BalanceMs = t;
        }

        PushTxn(ref state, in entry);

        // R16's window runs from its first transaction; a transaction later than the window opens a new one.
        if (state.WindowStartMs == 0 || t - state.WindowStartMs > rules.R16WindowMs)
        {
            state.WindowStartMs = t;
            state.InSum = 0;
            state.OutSum = 0;
            state.CounterpartyCount = 0;
        }

        if (inbound)
        {
            state.InSum += record.Value;
        }
        else
        {
            state.OutSum += record.Value;
        }

        AddCounterparty(ref state, record.Other);
        state.LastMs = Math.Max(state.LastMs, t);

        if (rules.R15)
        {
            EvaluatePassThrough(ref state, record.Key, in record, sourceTimestampMs, historyStart);
        }

        if (rules.R16)
        {
            EvaluateFanInFanOut(ref state, record.Key, in record, sourceTimestampMs, historyStart);
        }

        _accounts.Upsert(record.Key, state);
    }

    private static bool ContainsTxn(in AccountAggregate state, in TxnEntry entry)
    {
        for (var i = 0; i < state.Count; i++)
        {
            var e = state.Txns[(state.Head + i) % CounterpartyParams.MaxPayers];
            if (e.TimeMs == entry.TimeMs && e.Other == entry.Other && e.Amount == entry.Amount)
            {
                return true;
            }
        }

        return false;
    }

    private static void PushTxn(ref AccountAggregate state, in TxnEntry entry)
    {
        const int capacity = CounterpartyParams.MaxPayers;
        if (state.Count < capacity)
        {
            state.Txns[(state.Head + state.Count) % capacity] = entry;
            state.Count++;
        }
        else
        {
            state.Txns[state.Head] = entry;
            state.Head = (byte)((state.Head + 1) % capacity);
        }
    }

    private static void AddCounterparty(ref AccountAggregate state, long other)
    {
        for (var i = 0; i < state.CounterpartyCount; i++)
        {
            if (state.Counterparties[i] == other)
            {
                return;
            }
        }

        if (state.CounterpartyCount < CounterpartyParams.MaxCounterparties)
        {
            state.Counterparties[state.CounterpartyCount++] = other;
        }
    }

    // R15 MULE_PASS_THROUGH: within the window, >= min_payers distinct payers paid in, >= min_forwarded of that money
    // left again (outflows from the first inflow of the window on), and the account is young (opened within
    // max_account_age) or newly active (see IsNewlyActive).
    private void EvaluatePassThrough(ref AccountAggregate state, long key, in CounterpartyRecord record, long sourceTimestampMs, long historyStart)
    {
        var rules = _rules;
        var options = rules.Options;
        var now = state.LastMs;
        if (state.R15FiredMs != 0 && now - state.R15FiredMs < rules.R15WindowMs)
        {
            return;
        }

        var young = IsYoung(in state, now);
        var newlyActive = IsNewlyActive(in state, now, historyStart);
        if (!young && !newlyActive)
        {
            return;
        }

        Span<long> payers = stackalloc long[CounterpartyParams.MaxPayers];
        var n = 0;
        long inSum = 0, outSum = 0;
        var from = now - rules.R15WindowMs;
        var firstIn = long.MaxValue;
        for (var i = 0; i < state.Count; i++)
        {
            var e = state.Txns[(state.Head + i) % CounterpartyParams.MaxPayers];
            if (e.Amount > 0 && e.TimeMs >= from && e.TimeMs <= now)
            {
                payers[n++] = e.Other;
                inSum += e.Amount;
                firstIn = Math.Min(firstIn, e.TimeMs);
            }
        }

        if (n < options.R15MinPayers || inSum <= 0)
        {
            return;
        }

        for (var i = 0; i < state.Count; i++)
        {
            var e = state.Txns[(state.Head + i) % CounterpartyParams.MaxPayers];
            if (e.Amount < 0 && e.TimeMs >= firstIn && e.TimeMs <= now)
            {
                outSum -= e.Amount;
            }
        }

        var distinct = Distinct(payers[..n]);
        if (distinct < options.R15MinPayers || (Int128)outSum * 100 < (Int128)inSum * options.R15MinForwardPercent)
        {
            return;
        }

        state.R15FiredMs = now;
        var ageDays = state.OpenedMs != 0 ? (now - state.OpenedMs) / 86_400_000 : -1;
        var hit = new CounterpartyHit(RuleId.R15, now, "payers", distinct, "forwarded_percent", (long)((Int128)outSum * 100 / inSum), "in_minor", inSum, "out_minor", outSum, "account_age_days", ageDays, "newly_active", newlyActive ? 1 : 0);
        EmitAccount(in state, key, in record, sourceTimestampMs, in hit, PayersOf(in state, from, now));
    }

    private bool IsYoung(in AccountAggregate state, long now) => state.OpenedMs != 0 && now - state.OpenedMs <= _rules.R15MaxAgeMs;

    // Newly active: the current run of activity began within `dormant`, after at least `dormant` of silence - or, for
    // an account never seen before it, after at least `dormant` of history on this partition (else "never seen" only
    // means "before FraudShield looked").
    private bool IsNewlyActive(in AccountAggregate state, long now, long historyStart) =>
        now - state.ActiveSinceMs <= _rules.R15DormantMs
        && (state.PreviousActivityMs != 0 || state.ActiveSinceMs - historyStart >= _rules.R15DormantMs);

    // R16 FAN_IN_FAN_OUT: within the window (from its first transaction), >= min_counterparties distinct payers and
    // payees, inflow/outflow within [min_in_out, max_in_out], and the residual - the balance after the latest outflow
    // when the feed carries it, else inflow minus outflow - below max_residual of the inflow; with
    // require_new_account, only for a young or newly active account. Once per window.
    private void EvaluateFanInFanOut(ref AccountAggregate state, long key, in CounterpartyRecord record, long sourceTimestampMs, long historyStart)
    {
        var options = _rules.Options;
        if (state.CounterpartyCount < options.R16MinCounterparties || state.InSum <= 0 || state.OutSum <= 0
            || state.R16FiredMs >= state.WindowStartMs)
        {
            return;
        }

        var young = IsYoung(in state, state.LastMs);
        var newlyActive = IsNewlyActive(in state, state.LastMs, historyStart);
        if (options.R16RequireNewAccount && !young && !newlyActive)
        {
            return;
        }

        var ratio = (long)((Int128)state.InSum * 1000 / state.OutSum);
        if (ratio < options.R16MinInOutPermille || ratio > options.R16MaxInOutPermille)
        {
            return;
        }

        var balanceKnown = state.BalanceMs != 0 && state.BalanceMs >= state.WindowStartMs;
        var residual = Math.Max(0, balanceKnown ? state.BalanceAfterMinor : state.InSum - state.OutSum);
        if ((Int128)residual * 100 >= (Int128)state.InSum * options.R16MaxResidualPercent)
        {
            return;
        }

        state.R16FiredMs = state.LastMs;
        var hit = new CounterpartyHit(RuleId.R16, state.LastMs, "counterparties", state.CounterpartyCount, "in_out_ratio_permille", ratio, "residual_percent", (long)((Int128)residual * 100 / state.InSum), "in_minor", state.InSum, "out_minor", state.OutSum, "new_account", young || newlyActive ? 1 : 0);
        EmitAccount(in state, key, in record, sourceTimestampMs, in hit, null);
    }

    // Distinct values of a small span, sorted in place.
    private static int Distinct<T>(Span<T> values)
        where T : IEquatable<T>, IComparable<T>
    {
        if (values.Length == 0)
        {
            return 0;
        }

        values.Sort();
        var distinct = 1;
        for (var i = 1; i < values.Length; i++)
        {
            if (!values[i].Equals(values[i - 1]))
            {
                distinct++;
            }
        }

        return distinct;
    }
}
