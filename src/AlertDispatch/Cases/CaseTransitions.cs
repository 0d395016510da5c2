using System.Globalization;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// The status machine of a case, as pure functions for <see cref="ICaseStore.UpdateAsync"/>:
/// NEW -> DELIVERED -> SIGNED -> CONTACTED -> ON_SITE -> CLOSED (an outcome closes), plus escalation of an
/// unsigned case whose ack deadline passed. Each returns a new state with one history entry appended, or null when
/// nothing changes; a refused step throws <see cref="CaseNotFoundException"/> or <see cref="CaseStateException"/>.
/// </summary>
public static class CaseTransitions
{
    /// <summary>The actor recorded for changes the dispatch makes itself.</summary>
    public const string DispatchActor = "dispatch";

    /// <summary>
    /// Opens the case of a new alert (NEW, tier STATION, deadline from the alert or the level's window), or takes a
    /// newer version of it (a raised level tightens the deadline of an unsigned case). Null for a version already seen,
    /// and for an alert without a case that the engine emitted before the retention horizon
    /// (<see cref="IsPastRetention"/>): its case, if it had one, was retired.
    /// </summary>
    public static CaseState? Open(CaseState? current, Alert alert, long nowMs, CaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);
        if (current is null)
        {
            if (IsPastRetention(alert, nowMs, options))
            {
                return null;
            }

            var window = options.AckWindow(alert.Severity);
            var due = alert.AckDueMs != 0 ? alert.AckDueMs : window > TimeSpan.Zero ? nowMs + (long)window.TotalMilliseconds : 0;
            var opened = new CaseState
            {
                AlertId = alert.AlertId,
                Alert = alert.Clone(),
                Status = AlertStatus.New,
                Tier = EscalationTier.Station,
                OpenedMs = nowMs,
                AckDueMs = due,
                NextEscalationMs = options.TopTier > EscalationTier.Station ? due : 0,
            };
            opened.History.Add(Event(nowMs, DispatchActor, CaseEventKind.Opened, AlertStatus.Unspecified, AlertStatus.New, EscalationTier.Station, $"level {alert.Severity}"));
            return opened;
        }

        if (alert.Version <= (current.Alert?.Version ?? 0))
        {
            return null;
        }

        var next = current.Clone();
        next.Alert = alert.Clone();
        if (IsUnsigned(next.Status) && next.Tier == EscalationTier.Station && alert.AckDueMs != 0
            && (next.AckDueMs == 0 || alert.AckDueMs < next.AckDueMs))
        {
            next.AckDueMs = alert.AckDueMs;
            next.NextEscalationMs = options.TopTier > EscalationTier.Station ? alert.AckDueMs : 0;
        }

        next.History.Add(Event(nowMs, DispatchActor, CaseEventKind.AlertUpdated, current.Status, next.Status, next.Tier, $"version {alert.Version}, level {alert.Severity}"));
        return next;
    }

    /// <summary>
    /// True when the engine emitted <paramref name="alert"/> longer than <see cref="CaseOptions.ClosedCaseRetention"/>
    /// before <paramref name="nowMs"/> (an alert without an emission time never is).
    /// </summary>
    public static bool IsPastRetention(Alert alert, long nowMs, CaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(options);
        return alert.EmittedMs != 0 && alert.EmittedMs < options.RetentionHorizonMs(nowMs);
    }

    /// <summary>NEW -> DELIVERED on the first delivery to a console; null when the case is missing or past NEW.</summary>
    public static CaseState? Deliver(CaseState? current, long nowMs, string actor)
    {
        if (current is null || current.Status != AlertStatus.New)
        {
            return null;
        }

        var next = current.Clone();
        next.Status = AlertStatus.Delivered;
        next.DeliveredMs = nowMs;
        next.History.Add(Event(nowMs, actor, CaseEventKind.Delivered, AlertStatus.New, AlertStatus.Delivered, next.Tier, string.Empty));
        return next;
    }

    /// <summary>Sign for (签收): NEW or DELIVERED -> SIGNED; stops escalation.</summary>
    /// <exception cref="CaseNotFoundException">No case.</exception>
    /// <exception cref="CaseStateException">Already signed for.</exception>
    public static CaseState Sign(CaseState? current, string alertId, long nowMs, string actor, string note = "")
    {
        current = Require(current, alertId);
        if (!IsUnsigned(current.Status))
        {
            throw new CaseStateException(
                $"Alert {alertId} is already signed for (by {current.SignedBy} at {FormatMs(current.SignedMs)}); its status is {current.Status}.");
        }

        var next = current.Clone();
        next.Status = AlertStatus.Signed;
        next.SignedMs = nowMs;
        next.SignedBy = actor;
        next.NextEscalationMs = 0;
        next.History.Add(Event(nowMs, actor, CaseEventKind.Signed, current.Status, AlertStatus.Signed, next.Tier, note));
        return next;
    }

    /// <summary>SIGNED -> CONTACTED or CONTACTED -> ON_SITE.</summary>
    /// <exception cref="ArgumentException"><paramref name="status"/> is not CONTACTED or ON_SITE.</exception>
    /// <exception cref="CaseNotFoundException">No case.</exception>
    /// <exception cref="CaseStateException">The case is not in the status before <paramref name="status"/>.</exception>
    public static CaseState SetStatus(CaseState? current, string alertId, AlertStatus status, long nowMs, string actor, string note = "")
    {
        var required = status switch
        {
            AlertStatus.Contacted => AlertStatus.Signed,
            AlertStatus.OnSite => AlertStatus.Contacted,
            _ => throw new ArgumentException(
                $"UpdateStatus takes CONTACTED or ON_SITE, not {status}: sign for an alert with Ack and close it with ReportOutcome.", nameof(status)),
        };
        current = Require(current, alertId);
        if (current.Status != required)
        {
            var hint = IsUnsigned(current.Status) ? " Sign for it first (Ack)." : string.Empty;
            throw new CaseStateException(
                $"Alert {alertId} cannot move from {current.Status} to {status}: it must be {required} first.{hint}");
        }

        var next = current.Clone();
        next.Status = status;
        if (status == AlertStatus.Contacted)
        {
            next.ContactedMs = nowMs;
        }
        else
        {
            next.OnSiteMs = nowMs;
        }

        next.History.Add(Event(nowMs, actor, CaseEventKind.Status, current.Status, status, next.Tier, note));
        return next;
    }

    /// <summary>SIGNED, CONTACTED or ON_SITE -> CLOSED with an outcome and the loss prevented or incurred.</summary>
    /// <exception cref="ArgumentException">No outcome, or a negative amount.</exception>
    /// <exception cref="CaseNotFoundException">No case.</exception>
    /// <exception cref="CaseStateException">Not signed for yet, or already closed.</exception>
    public static CaseState Close(CaseState? current, string alertId, Outcome outcome, long lossPreventedMinor, long lossIncurredMinor, long nowMs, string actor, string note = "")
    {
        if (outcome == Outcome.Unspecified || !Enum.IsDefined(outcome))
        {
            throw new ArgumentException("An outcome is required: DISSUADED, ALREADY_DEFRAUDED, FALSE_POSITIVE, UNREACHABLE, REFUSED or DUPLICATE.", nameof(outcome));
        }

        if (lossPreventedMinor < 0 || lossIncurredMinor < 0)
        {
            throw new ArgumentException("Loss amounts must not be negative.", nameof(lossPreventedMinor));
        }

        current = Require(current, alertId);
        if (current.Status == AlertStatus.Closed)
        {
            throw new CaseStateException($"Alert {alertId} is already closed with outcome {current.Outcome}.");
        }

        if (IsUnsigned(current.Status))
        {
            throw new CaseStateException($"Alert {alertId} cannot be closed from {current.Status}: sign for it first (Ack).");
        }

        var next = current.Clone();
        next.Status = AlertStatus.Closed;
        next.ClosedMs = nowMs;
        next.Outcome = outcome;
        next.LossPreventedMinor = lossPreventedMinor;
        next.LossIncurredMinor = lossIncurredMinor;
        next.History.Add(Event(nowMs, actor, CaseEventKind.Outcome, current.Status, AlertStatus.Closed, next.Tier,
            string.IsNullOrEmpty(note) ? outcome.ToString() : $"{outcome}: {note}"));
        return next;
    }

    /// <summary>
    /// Escalates an unsigned case whose deadline passed to the next tier, with a new deadline from the level's
    /// window (no further escalation at <see cref="CaseOptions.TopTier"/>). Null when it is not due (signed, not yet
    /// due, already escalated by someone else, or at the top tier).
    /// </summary>
    public static CaseState? Escalate(CaseState? current, long nowMs, CaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (current is null || !IsUnsigned(current.Status) || current.NextEscalationMs == 0 || nowMs < current.NextEscalationMs
            || current.Tier >= options.TopTier)
        {
            return null;
        }

        var next = current.Clone();
        next.Tier = current.Tier + 1;
        var window = options.AckWindow(current.Alert?.Severity ?? Severity.Unspecified);
        next.AckDueMs = window > TimeSpan.Zero ? nowMs + (long)window.TotalMilliseconds : 0;
        next.NextEscalationMs = next.Tier < options.TopTier ? next.AckDueMs : 0;
        var escalated = Event(nowMs, DispatchActor, CaseEventKind.Escalated, current.Status, current.Status, next.Tier,
            $"ack deadline {FormatMs(current.AckDueMs)} passed unacknowledged at tier {current.Tier}");
        escalated.MissedDueMs = current.AckDueMs;
        next.History.Add(escalated);
        return next;
    }

    /// <summary>The escalation marker of a case's last escalation (null when it never escalated).</summary>
    public static Escalation? LastEscalation(CaseState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        for (var i = state.History.Count - 1; i >= 0; i--)
        {
            var entry = state.History[i];
            if (entry.Kind == CaseEventKind.Escalated)
            {
                return new Escalation
                {
                    Tier = entry.Tier,
                    EscalatedMs = entry.AtMs,
                    MissedDueMs = entry.MissedDueMs,
                    AckDueMs = state.Tier == entry.Tier ? state.AckDueMs : 0,
                };
            }
        }

        return null;
    }

    private static bool IsUnsigned(AlertStatus status) => status is AlertStatus.New or AlertStatus.Delivered;

    private static CaseState Require(CaseState? current, string alertId) =>
        current ?? throw new CaseNotFoundException($"Alert {alertId} is unknown to the dispatch.");

    private static CaseEvent Event(long atMs, string actor, CaseEventKind kind, AlertStatus from, AlertStatus to, EscalationTier tier, string detail) =>
        new() { AtMs = atMs, Actor = actor, Kind = kind, From = from, To = to, Tier = tier, Detail = detail };

    private static string FormatMs(long ms) =>
        ms == 0 ? "-" : DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
