using System.Globalization;
using System.Text;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>One counterparty rule firing with up to six condition values (names are literals: no allocation).</summary>
internal readonly struct CounterpartyHit(
    RuleId rule, long firedMs,
    string name1, long value1, string? name2 = null, long value2 = 0, string? name3 = null, long value3 = 0,
    string? name4 = null, long value4 = 0, string? name5 = null, long value5 = 0, string? name6 = null, long value6 = 0)
{
    public RuleId Rule { get; } = rule;

    /// <summary>The aggregate's event time when the rule fired: with the rule and the key, it makes the alert id.</summary>
    public long FiredMs { get; } = firedMs;

    public void AddTo(RuleHit hit)
    {
        Add(hit, name1, value1);
        Add(hit, name2, value2);
        Add(hit, name3, value3);
        Add(hit, name4, value4);
        Add(hit, name5, value5);
        Add(hit, name6, value6);
    }

    private static void Add(RuleHit hit, string? name, long value)
    {
        if (name is not null)
        {
            hit.Values[name] = value.ToString(CultureInfo.InvariantCulture);
        }
    }
}

public sealed partial class CounterpartyAggregator
{
    /// <summary>Evidence fact naming what the subject is: MSISDN, IMEI or ACCOUNT.</summary>
    public const string SubjectKindFact = "subject_kind";

    /// <summary>Evidence fact with the subject key in full (number, IMEI digits or account).</summary>
    public const string SubjectKeyFact = "subject_key";

    /// <summary>Evidence fact proposing a watchlist entry for the subject, at the level given (SUSPECTED).</summary>
    public const string ProposeWatchlistFact = "propose_watchlist";

    /// <summary>Evidence fact of R15: the payers' numbers, comma-separated, as victims to trace.</summary>
    public const string PayersFact = "payer_msisdns";

    /// <summary>
    /// The alert id of a counterparty rule firing: a hash of the rule, the aggregate key and the event time the rule
    /// fired at, so replaying the same records from the same state gives the same id.
    /// </summary>
    public static string AlertIdOf(RuleId rule, long key, long firedMs) =>
        "A-" + KeyHash.Pair(KeyHash.Of((byte)(0x80 | (int)rule), (ulong)key), firedMs).ToString("x16", CultureInfo.InvariantCulture);

    // Cold path from here: once per alert.
    private void EmitCaller(in CallerAggregate state, long key, in CounterpartyRecord record, long sourceTimestampMs, in CounterpartyHit hit)
    {
        var alert = NewAlert(key, in record, sourceTimestampMs, in hit);
        if (state.Kind == (byte)CounterpartyKind.ImeiCall)
        {
            var imei = state.Subject.ToString(CultureInfo.InvariantCulture);
            alert.Subject = new Subject { MsisdnMasked = "IMEI " + Masking.MaskAccount(Encoding.ASCII.GetBytes(imei)) };
            alert.Evidence.Facts[SubjectKindFact] = "IMEI";
            alert.Evidence.Facts[SubjectKeyFact] = imei;
            alert.Evidence.Facts["counterpart_imei"] = imei;
            var lines = new List<string>();
            for (var i = 0; i < state.NumberCount; i++)
            {
                lines.Add(state.Numbers[i].Number.ToString(CultureInfo.InvariantCulture));
            }

            alert.Evidence.Facts["imei_numbers"] = string.Join(',', lines);
        }
        else
        {
            var number = state.Subject.ToString(CultureInfo.InvariantCulture);
            alert.Subject = new Subject { MsisdnMasked = PhoneNumber.Mask(state.Subject), Msisdn = number };
            alert.Evidence.Facts[SubjectKindFact] = "MSISDN";
            alert.Evidence.Facts[SubjectKeyFact] = number;
            alert.Evidence.Facts["counterpart_msisdn"] = number;
        }

        Emit(alert);
    }

    private void EmitAccount(in AccountAggregate state, long key, in CounterpartyRecord record, long sourceTimestampMs, in CounterpartyHit hit, string? payers)
    {
        var alert = NewAlert(key, in record, sourceTimestampMs, in hit);
        var account = Encoding.UTF8.GetString(((ReadOnlySpan<byte>)state.Account)[..state.AccountLength]);
        alert.Subject = new Subject { MsisdnMasked = "ACCOUNT " + Masking.MaskAccount(Encoding.UTF8.GetBytes(account)) };
        alert.Evidence.Facts[SubjectKindFact] = "ACCOUNT";
        alert.Evidence.Facts[SubjectKeyFact] = account;
        alert.Evidence.Facts["payee_account"] = account;
        if (!string.IsNullOrEmpty(payers))
        {
            alert.Evidence.Facts[PayersFact] = payers;
        }

        Emit(alert);
    }

    private Alert NewAlert(long key, in CounterpartyRecord record, long sourceTimestampMs, in CounterpartyHit hit)
    {
        var rules = _rules;
        var severity = rules.Severity(hit.Rule);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var options = rules.Options;
        var alert = new Alert
        {
            AlertId = AlertIdOf(hit.Rule, key, hit.FiredMs),
            Version = 1,
            CreatedMs = hit.FiredMs,
            Typology = rules.Typology(hit.Rule),
            Severity = (Severity)severity,
            Score = Math.Min(100, ((5 - severity) * 20) + 5),
            Status = AlertStatus.New,
            SourceEventMs = sourceTimestampMs,
            EmittedMs = now,
            AckDueMs = now + (long)options.AckDeadlines[severity - 1].TotalMilliseconds,
            Evidence = new Evidence(),
            // Intelligence on a fraud source, not a protected party: the city centre's queue (analysts, scope "all").
            Home = new Jurisdiction { StationId = options.CityCentreStation, Source = JurisdictionSource.HomeArea },
        };
        alert.RuleIds.Add(RuleIds.Id(hit.Rule));
        var ruleHit = new RuleHit { RuleId = RuleIds.Id(hit.Rule), Name = RuleIds.Name(hit.Rule), Severity = (Severity)severity };
        hit.AddTo(ruleHit);
        alert.Hits.Add(ruleHit);
        alert.Evidence.EventIds.Add(Encoding.UTF8.GetString(record.EventIdBytes));
        alert.Evidence.Facts["event_time_ms"] = hit.FiredMs.ToString(CultureInfo.InvariantCulture);
        alert.Evidence.Facts[ProposeWatchlistFact] = "SUSPECTED";
        return alert;
    }

    private void Emit(Alert alert)
    {
        _sink.Emit(alert);
        AlertsEmitted++;
    }

    // The distinct payer numbers of the window's inflows, for R15's "trace payers as victims".
    private static string PayersOf(in AccountAggregate state, long from, long now)
    {
        var numbers = new SortedSet<ulong>();
        for (var i = 0; i < state.Count; i++)
        {
            var e = state.Txns[(state.Head + i) % CounterpartyParams.MaxPayers];
            if (e.Amount > 0 && e.PayerMsisdn != 0 && e.TimeMs >= from && e.TimeMs <= now)
            {
                numbers.Add(e.PayerMsisdn);
            }
        }

        return string.Join(',', numbers);
    }
}
