using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    /// <summary>
    /// Applies R02 to an SMS: a message from a listed number, or carrying a listed URL domain, is L3. Records a loan
    /// contact for R13: a listed source of a loan typology, or a loan keyword flag from a personal or international sender.
    /// </summary>
    /// <param name="sms">The parsed SMS.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message.</param>
    public void OnSms(in SmsEvent sms, long sourceTimestampMs)
    {
        EventsProcessed++;
        SetCounterpart(sms.Sender, 0);
        var party = sms.Receiver;
        var listed = _watch.TryLookup(WatchKeyType.Msisdn, sms.Sender, sms.TsMs, out var hit);
        if (!listed)
        {
            foreach (var domain in sms.UrlDomains)
            {
                if (_watch.TryLookup(WatchKeyType.Url, domain, sms.TsMs, out hit))
                {
                    listed = true;
                    break;
                }
            }
        }

        var r02 = listed && On(RuleId.R02);
        var loan = On(RuleId.R13) && ((listed && IsLoanTypology(hit.Typology)) || HasLoanKeyword(in sms));
        if (party == 0 || !(r02 || loan))
        {
            return;
        }

        _parties.TryRead((long)party, out var state);
        var eventHash = EventHash(SmsHashSeed, sms.EventId);
        if (IsDuplicate(in state, eventHash))
        {
            return;
        }

        if (loan)
        {
            MarkLoanContact(ref state, sms.TsMs);
        }

        if (r02)
        {
            var firing = default(Firing);
            firing.Add(RuleId.R02, SeverityOf(RuleId.R02), "sms", 1, "confirmed", hit.Level == WatchLevel.Confirmed ? 1 : 0);
            firing.Typology = hit.Typology != 0 ? hit.Typology : _defaultTypology;
            EmitIncident(ref state, party, sms.TsMs, sourceTimestampMs, sms.EventId, ref firing);
        }

        state.AddRecentEvent(eventHash);
        _parties.Upsert((long)party, state);
    }

    // R13: a loan keyword flag (ASCII case-insensitive) on a message from one of the configured sender classes.
    private bool HasLoanKeyword(in SmsEvent sms)
    {
        if (sms.KeywordFlags.IsEmpty || (_r13KeywordSenders & (1u << (int)sms.SenderClass)) == 0)
        {
            return false;
        }

        foreach (var flag in sms.KeywordFlags)
        {
            foreach (var keyword in _r13Keywords)
            {
                if (System.Text.Ascii.EqualsIgnoreCase(flag, keyword))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private bool IsLoanTypology(int typology) => typology != 0 && Array.IndexOf(_r13Typologies, typology) >= 0;

    // R13: a loan contact opens an episode unless one is open (started at most the window ago); a late contact from
    // before the open episode's start (within the window) moves the start back. Fee transfers count within the window
    // after the start, to payees first paid since it.
    private void MarkLoanContact(ref PartyState state, long t)
    {
        var since = t - state.LoanContactMs;
        if (state.LoanContactMs == 0 || since > _r13WindowMs)
        {
            state.LoanContactMs = t;
            state.FeeCount = 0;
            state.FeePayees = 0;
            state.Flags &= ~SequenceMarks.R13Fired;
        }
        else if (since < 0 && -since <= _r13WindowMs)
        {
            state.LoanContactMs = t;
        }
    }

    /// <summary>
    /// Applies R06 (screen share after a suspicious call) and R18 (unreachable after a warning) to a device event,
    /// and records risky app installs (FAKE_INVEST, FAKE_LOAN, UNKNOWN_APK) as a risk signal for R09/R11 and fake-loan
    /// app installs as a loan contact for R13.
    /// </summary>
    /// <param name="device">The parsed device event.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message.</param>
    public void OnDevice(in DeviceEvent device, long sourceTimestampMs)
    {
        EventsProcessed++;
        SetCounterpart(0, 0);
        var party = device.Msisdn;
        var typeBit = 1u << (int)device.Type;
        var install = device.Type == DeviceEventType.Install;
        var r06 = On(RuleId.R06) && ((install && (_r06Categories & (1u << (int)device.AppCategory)) != 0) || (_r06Signals & typeBit) != 0);
        var r18 = On(RuleId.R18) && (_r18Signals & typeBit) != 0;
        var risky = install && device.AppCategory is AppCategory.FakeInvest or AppCategory.FakeLoan or AppCategory.UnknownApk;
        var loan = On(RuleId.R13) && install && (_r13AppCategories & (1u << (int)device.AppCategory)) != 0;
        if (party == 0 || !(r06 || r18 || risky || loan))
        {
            return;
        }

        var t = device.TsMs;
        _parties.TryRead((long)party, out var state);
        var eventHash = EventHash(DeviceHashSeed, device.EventId);
        if (IsDuplicate(in state, eventHash))
        {
            return;
        }

        var firing = default(Firing);

        // R06 SCREENSHARE_AFTER_CALL: a screen-share / remote-control / meeting app installed, or a screen share or
        // remote control started, between the start of a suspicious call and 30 min after its end. L2 (L1 with R07 or
        // R08 through composition), once per inbound suspicious call.
        if (r06 && state.LastSuspiciousCallMs != 0 && (state.Flags & SequenceMarks.R06Fired) == 0)
        {
            var since = t - state.LastSuspiciousCallMs;
            if (since >= -1000L * state.LastSuspiciousCallSeconds && since <= _r06WindowMs)
            {
                state.Flags |= SequenceMarks.R06Fired;
                state.ScreenShareMs = t;
                firing.Add(RuleId.R06, SeverityOf(RuleId.R06), "minutes_after_call", Math.Max(0, since) / 60_000, "on_call", device.OnCall || since < 0 ? 1 : 0, "app_category", (long)device.AppCategory);
                firing.Typology = TypologyOf(RuleId.R06, state.LastSuspiciousTypology);
                firing.CitesSuspiciousCall = true;
                CompleteTransfer(ref state, ref firing);
            }
        }

        if (r06)
        {
            state.ScreenSignalMs = Math.Max(state.ScreenSignalMs, t);
        }

        if (r18)
        {
            state.OffSignalMs = Math.Max(state.OffSignalMs, t);
        }

        // R18 UNREACHABLE_AFTER_WARNING: the handset is switched off or detaches within 15 min after the open incident
        // was emitted at L2 or above. Escalates to L1 (its severity), once per incident.
        if (r18 && state.IncidentStartMs != 0 && state.IncidentHotMs != 0 && state.IncidentSeverity <= _rules.R18MinIncidentSeverity
            && (state.IncidentRules & RuleIds.Bit(RuleId.R18)) == 0)
        {
            var since = t - state.IncidentHotMs;
            if (since >= 0 && since <= _r18WindowMs)
            {
                firing.Add(RuleId.R18, SeverityOf(RuleId.R18), "minutes_after_alert", since / 60_000, "severity_before", state.IncidentSeverity, "signal", (long)device.Type);
                firing.Typology = state.IncidentTypology;
            }
        }

        if (risky)
        {
            state.LastRiskSignalMs = Math.Max(state.LastRiskSignalMs, t);
            CompletePendingContext(ref state, t, ref firing);
        }

        if (loan)
        {
            MarkLoanContact(ref state, t);
        }

        if (firing.Count > 0)
        {
            EmitIncident(ref state, party, t, sourceTimestampMs, device.EventId, ref firing);
        }

        state.AddRecentEvent(eventHash);
        _parties.Upsert((long)party, state);
    }
}
