using System.Globalization;
using System.Text;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    // The counterpart of the event being judged, set by OnCall for the alert it may emit (0 when none): the number
    // that called the party, or the number the party called back. Presented: the displayed number when it differs.
    private ulong _counterpart;
    private ulong _counterpartPresented;

    // The payee account of the transaction being judged, set by OnTxn only when it emits (null otherwise).
    private string? _payeeAccount;

    // Every On<Kind> sets the counterpart of its event first, so an alert never carries a previous event's.
    private void SetCounterpart(ulong number, ulong presented)
    {
        _counterpart = number;
        _counterpartPresented = presented;
        _payeeAccount = null;
    }

    // Composition (the rule file's table; DOMAIN.md: R01+R06 -> L2, R01+R07 -> L1): every entry whose rules are all
    // in the incident raises it to at least the entry's level.
    private int Compose(uint mask, int severity)
    {
        for (var i = 0; i < _composeMasks.Length; i++)
        {
            if ((mask & _composeMasks[i]) == _composeMasks[i])
            {
                severity = Math.Min(severity, _composeLevels[i]);
            }
        }

        return severity;
    }

    /// <summary>
    /// Opens or updates the party's incident and emits its alert. One open incident per party within the incident
    /// window: later evidence raises the version (and possibly the severity) of the same alert id. The id is a hash
    /// of (party, the incident's ordinal among the party's incidents, the stores' lineage), so a replay of the same
    /// events gives the same ids, in any order within the lateness.
    /// </summary>
    private void EmitIncident(ref PartyState state, ulong party, long eventTimeMs, long sourceTimestampMs, ReadOnlySpan<byte> eventId, ref Firing firing)
    {
        if ((state.Pending & (PendingMarks.R09 | PendingMarks.R11)) != 0)
        {
            // This alert is the risk signal that R09/R11 conditions met earlier were waiting for.
            CompletePendingContext(ref state, firing.EarliestFactMs != 0 ? Math.Min(eventTimeMs, firing.EarliestFactMs) : eventTimeMs, ref firing);
        }

        var open = state.IncidentStartMs != 0 && Math.Abs(eventTimeMs - state.IncidentStartMs) < _incidentWindowMs;

        // R17 ELDERLY_FAMILY_ALERT: a trigger rule (R01/R02/R06) fired for a victim >= 65: L2, and the alert is marked
        // for the family and the grid worker (evidence fact notify_family=1). Once per incident.
        if (On(RuleId.R17) && (firing.Mask & _r17Triggers) != 0 && !(open && (state.IncidentRules & RuleIds.Bit(RuleId.R17)) != 0))
        {
            var age = AgeOf(party, eventTimeMs);
            if (age >= _rules.R17MinAge)
            {
                firing.Add(RuleId.R17, SeverityOf(RuleId.R17), "age", age, "notify_family", 1);
            }
        }

        var severity = firing.Severity;
        var mask = firing.Mask;
        if (open)
        {
            state.IncidentVersion++;
            mask |= state.IncidentRules;
            severity = Math.Min(severity, state.IncidentSeverity);
        }
        else
        {
            state.IncidentStartMs = eventTimeMs;
            state.IncidentOrdinal++;
            state.IncidentId = IncidentIdOf(party, state.IncidentOrdinal);
            state.IncidentVersion = 1;
            state.IncidentAmountMinor = 0;
            state.IncidentHotMs = 0;
            state.IncidentTypology = firing.Typology != 0 ? firing.Typology : _defaultTypology;
            severity = Math.Min(severity, 4);
        }

        if (state.IncidentTypology == _defaultTypology && firing.Typology != 0)
        {
            state.IncidentTypology = firing.Typology;
        }

        severity = Compose(mask, severity);
        if (severity <= _rules.R18MinIncidentSeverity && CompleteUnreachable(in state, Math.Max(state.IncidentHotMs, eventTimeMs), mask, ref firing))
        {
            mask |= RuleIds.Bit(RuleId.R18);
            severity = Compose(mask, Math.Min(severity, SeverityOf(RuleId.R18)));
        }

        state.IncidentSeverity = (byte)severity;
        state.IncidentRules = mask;
        state.IncidentAmountMinor = Math.Max(state.IncidentAmountMinor, firing.AmountMinor);
        state.LastRiskSignalMs = Math.Max(state.LastRiskSignalMs, eventTimeMs);
        if (severity <= 2)
        {
            state.IncidentHotMs = Math.Max(state.IncidentHotMs, eventTimeMs);
        }

        _sink.Emit(BuildAlert(in state, party, eventTimeMs, sourceTimestampMs, eventId, in firing));
        AlertsEmitted++;
    }

    // Cold path: runs once per alert, allocations are fine here.
    private Alert BuildAlert(in PartyState state, ulong party, long eventTimeMs, long sourceTimestampMs, ReadOnlySpan<byte> eventId, in Firing firing)
    {
        var strings = _stores.Strings;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var severity = (Severity)state.IncidentSeverity;
        var alert = new Alert
        {
            AlertId = "A-" + state.IncidentId.ToString("x16", CultureInfo.InvariantCulture),
            Version = state.IncidentVersion,
            CreatedMs = state.IncidentStartMs,
            Typology = strings[state.IncidentTypology],
            Severity = severity,
            Score = Score(state.IncidentSeverity, state.IncidentRules),
            AmountAtRiskMinor = state.IncidentAmountMinor,
            Status = AlertStatus.New,
            SourceEventMs = sourceTimestampMs,
            EmittedMs = now,
            AckDueMs = now + (long)_rules.AckDeadlines[Math.Clamp((int)state.IncidentSeverity, 1, 4) - 1].TotalMilliseconds,
            Subject = new Subject { MsisdnMasked = PhoneNumber.Mask(party), Msisdn = party.ToString(CultureInfo.InvariantCulture) },
            Evidence = new Evidence(),
        };

        for (var i = 0; i < RuleIds.Count; i++)
        {
            if ((state.IncidentRules & (1u << i)) != 0)
            {
                alert.RuleIds.Add(RuleIds.Id((RuleId)i));
            }
        }

        alert.Evidence.EventIds.Add(Encoding.UTF8.GetString(eventId));
        if (firing.CitesSuspiciousCall && state.LastSuspiciousEventIdLength > 0)
        {
            alert.Evidence.EventIds.Add(Encoding.UTF8.GetString(state.SuspiciousEventId));
        }

        if (firing.CitesRebate && state.RebateEventIdLength > 0)
        {
            alert.Evidence.EventIds.Add(Encoding.UTF8.GetString(state.RebateId));
        }

        if ((state.IncidentRules & RuleIds.Bit(RuleId.R17)) != 0)
        {
            alert.Evidence.Facts["notify_family"] = "1";
        }

        alert.Evidence.Facts["event_time_ms"] = eventTimeMs.ToString(CultureInfo.InvariantCulture);

        // The counterpart, for watchlist proposals from the case's outcome: this call's, else the cited suspicious call's.
        var counterpart = _counterpart;
        var presented = _counterpartPresented;
        if (counterpart == 0 && firing.CitesSuspiciousCall && state.SuspiciousCaller != 0)
        {
            counterpart = state.SuspiciousCaller;
            presented = state.SuspiciousPresented;
        }

        if (counterpart != 0)
        {
            alert.Evidence.Facts["counterpart_msisdn"] = counterpart.ToString(CultureInfo.InvariantCulture);
        }

        if (presented != 0 && presented != counterpart)
        {
            alert.Evidence.Facts["counterpart_presented_msisdn"] = presented.ToString(CultureInfo.InvariantCulture);
        }

        if (_payeeAccount is { Length: > 0 })
        {
            alert.Evidence.Facts["payee_account"] = _payeeAccount;
        }

        for (var i = 0; i < firing.Count; i++)
        {
            var hit = firing[i];
            var ruleHit = new RuleHit { RuleId = RuleIds.Id(hit.Rule), Name = RuleIds.Name(hit.Rule), Severity = (Severity)hit.Severity };
            AddValue(ruleHit, hit.Name1, hit.Value1);
            AddValue(ruleHit, hit.Name2, hit.Value2);
            AddValue(ruleHit, hit.Name3, hit.Value3);
            alert.Hits.Add(ruleHit);
        }

        if (_register.TryGetByNumber(party, out var subject))
        {
            alert.Subject.PersonId = strings[subject.Person];
            alert.Subject.BirthYear = subject.BirthYear;
            var family = strings[subject.Family];
            if (family.Length > 0)
            {
                alert.Subject.FamilyMsisdns.AddRange(family.Split(','));
            }

            alert.Home = new Jurisdiction
            {
                StationId = strings[subject.Station],
                BeatId = strings[subject.Beat],
                GridId = strings[subject.Grid],
                GridWorkerId = strings[subject.GridWorker],
                Source = JurisdictionSource.Address,
            };
        }
        else
        {
            alert.Home = new Jurisdiction { StationId = _rules.CityCentreStation, Source = JurisdictionSource.HomeArea };
        }

        alert.Current = CurrentJurisdiction(in state, eventTimeMs, alert.Home.StationId);
        return alert;
    }

    // The current jurisdiction (DOMAIN.md "Jurisdiction"): the station of the serving cell of the party's latest call,
    // when that call is recent (CellTable.MaxAge before the alert's event time, or later) and the cell maps to another
    // station than home. Null when the cell is unknown, stale, or at home: the home station then acts.
    private Jurisdiction? CurrentJurisdiction(in PartyState state, long eventTimeMs, string homeStation)
    {
        var cells = _stores.Cells;
        if (state.ServingCell == 0 || eventTimeMs - state.ServingCellMs > (long)cells.MaxAge.TotalMilliseconds
            || !cells.TryGet(state.ServingCell, out var cell))
        {
            return null;
        }

        var station = _stores.Strings[cell.Station];
        return station.Length == 0 || station == homeStation
            ? null
            : new Jurisdiction { StationId = station, GridId = _stores.Strings[cell.Grid], Source = JurisdictionSource.Cell };
    }

    private static void AddValue(RuleHit hit, string? name, long value)
    {
        if (name is not null)
        {
            hit.Values[name] = value.ToString(CultureInfo.InvariantCulture);
        }
    }

    // A simple, explainable score: the level sets the band, each distinct rule adds to it.
    private static double Score(int severity, uint rules) =>
        Math.Min(100, ((5 - severity) * 20) + (5 * System.Numerics.BitOperations.PopCount(rules)));
}
