using FraudShield.AlertDispatch.Internal;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// The case side of one dispatch process: opens a case for every published alert, applies console actions through
/// the status machine (checking the caller's jurisdiction inside the atomic step), writes outcome records,
/// escalates passed deadlines and re-notifies escalations through the hub.
/// </summary>
/// <remarks>
/// Re-notification follows the store's change events, not the escalating call, so with a shared store every
/// dispatch process re-notifies its own subscribers of an escalation that any one of them committed, once.
/// </remarks>
public sealed class CaseService : IDisposable
{
    private readonly ICaseStore _store;
    private readonly AlertHub _hub;
    private readonly IOutcomeSink _outcomes;
    private readonly CaseOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<(Alert Alert, long OpenedMs)> _pending = [];
    private long _escalations;
    private long _pastRetention;
    private long _retired;

    /// <summary>Creates the service and starts following the store's changes.</summary>
    /// <param name="store">The case store (in-process or Redis); owned by the caller.</param>
    /// <param name="hub">The hub alerts and escalations are published to; owned by the caller.</param>
    /// <param name="outcomes">Where outcome records go.</param>
    /// <param name="options">Deadlines and escalation policy; defaults when null.</param>
    /// <param name="time">The clock; the system clock when null.</param>
    /// <param name="logger">Where failures are logged; nowhere when null.</param>
    public CaseService(ICaseStore store, AlertHub hub, IOutcomeSink outcomes, CaseOptions? options = null, TimeProvider? time = null, ILogger<CaseService>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _hub = hub ?? throw new ArgumentNullException(nameof(hub));
        _outcomes = outcomes ?? throw new ArgumentNullException(nameof(outcomes));
        _options = options ?? new CaseOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _store.Changed += OnChanged;
    }

    /// <summary>The store.</summary>
    public ICaseStore Store => _store;

    /// <summary>The options.</summary>
    public CaseOptions Options => _options;

    /// <summary>The clock.</summary>
    public TimeProvider Time => _time;

    /// <summary>
    /// Alerts neither opened nor delivered because the engine emitted them longer than the closed-case retention ago
    /// and they have no case (<see cref="CaseTransitions.IsPastRetention"/>).
    /// </summary>
    public long AlertsPastRetention => Interlocked.Read(ref _pastRetention);

    /// <summary>Closed cases this process retired (<see cref="RetireClosedAsync"/>).</summary>
    public long CasesRetired => Interlocked.Read(ref _retired);

    /// <summary>Escalation re-notifications this process published to its hub.</summary>
    public long EscalationNotifications => Interlocked.Read(ref _escalations);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Alerts published while the case store was unreachable whose cases are not opened yet.</summary>
    public int PendingOpens
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Opens (or updates) the alert's case, then publishes the alert to the hub. Returns the hub's answer (false for
    /// a version already published). When the store is unreachable the alert is still published (no alert waits for
    /// the case store) and its case is opened by the next escalation pass that reaches the store, with the deadline
    /// counted from now, so it escalates as if the store had never been away. An alert emitted longer than the
    /// closed-case retention ago that has no case (or whose case cannot be read) is neither opened nor published
    /// (<see cref="AlertsPastRetention"/>): its case, if it had one, was closed and retired, and delivering it again
    /// would send a station to a finished case.
    /// </summary>
    public async Task<bool> PublishAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentException.ThrowIfNullOrEmpty(alert.AlertId, nameof(alert));
        alert = AlertMasking.EnsureMasked(alert);
        var now = NowMs;
        var pastRetention = CaseTransitions.IsPastRetention(alert, now, _options);
        bool queued;
        lock (_pending)
        {
            // Behind earlier pending opens, a case change must wait its turn to keep each case's versions in order.
            queued = _pending.Count > 0;
            if (queued && !pastRetention)
            {
                _pending.Add((alert, now));
            }
        }

        if (queued && pastRetention)
        {
            return SkipPastRetention(alert);
        }

        if (!queued)
        {
            try
            {
                var update = await _store.UpdateRederivableAsync(alert.AlertId, s => CaseTransitions.Open(s, alert, now, _options), cancellationToken);
                if (update.Current is null)
                {
                    return SkipPastRetention(alert);
                }
            }
            catch (CaseStoreUnavailableException) when (pastRetention)
            {
                return SkipPastRetention(alert);
            }
            catch (CaseStoreUnavailableException ex)
            {
                DispatchLog.CaseOpenDeferred(_logger, alert.AlertId, ex);
                lock (_pending)
                {
                    _pending.Add((alert, now));
                }
            }
        }

        return _hub.Publish(alert);
    }

    /// <summary>
    /// Retires the closed cases whose outcome is older than <see cref="CaseOptions.ClosedCaseRetention"/>, in batches
    /// until none is left; returns how many. The escalation service calls it every
    /// <see cref="CaseOptions.RetirementInterval"/>.
    /// </summary>
    public async Task<int> RetireClosedAsync(CancellationToken cancellationToken = default)
    {
        var horizon = _options.RetentionHorizonMs(NowMs);
        if (horizon == long.MinValue)
        {
            return 0;
        }

        var total = 0;
        int retired;
        do
        {
            retired = await _store.RetireClosedAsync(horizon, _options.EscalationBatchSize, cancellationToken);
            total += retired;
            Interlocked.Add(ref _retired, retired);
        }
        while (retired == _options.EscalationBatchSize);

        if (total > 0)
        {
            DispatchLog.CasesRetired(_logger, total, _options.ClosedCaseRetention);
        }

        return total;
    }

    private bool SkipPastRetention(Alert alert)
    {
        Interlocked.Increment(ref _pastRetention);
        DispatchLog.AlertPastRetention(_logger, alert.AlertId, alert.Version, DateTimeOffset.FromUnixTimeMilliseconds(alert.EmittedMs), _options.ClosedCaseRetention);
        return false;
    }

    /// <summary>NEW -> DELIVERED after the first delivery to a console; a no-op afterwards or without a case.</summary>
    public async Task MarkDeliveredAsync(string alertId, string actor, CancellationToken cancellationToken = default)
    {
        var now = NowMs;
        await _store.UpdateRederivableAsync(alertId, s => CaseTransitions.Deliver(s, now, actor), cancellationToken);
    }

    /// <summary>Sign for: NEW or DELIVERED -> SIGNED.</summary>
    /// <exception cref="CaseNotFoundException">Unknown alert.</exception>
    /// <exception cref="CaseAccessDeniedException">The alert is outside the caller's jurisdiction.</exception>
    /// <exception cref="CaseStateException">Already signed for.</exception>
    public Task<CaseState> AckAsync(string alertId, DispatchCaller caller, string operatorId = "", string note = "", CancellationToken cancellationToken = default)
    {
        var actor = Actor(caller, operatorId);
        return ActAsync(alertId, caller, (s, now) => CaseTransitions.Sign(s, alertId, now, actor, note), CaseEventKind.Signed, cancellationToken);
    }

    /// <summary>SIGNED -> CONTACTED or CONTACTED -> ON_SITE.</summary>
    /// <exception cref="ArgumentException">Another status was asked for.</exception>
    /// <exception cref="CaseNotFoundException">Unknown alert.</exception>
    /// <exception cref="CaseAccessDeniedException">The alert is outside the caller's jurisdiction.</exception>
    /// <exception cref="CaseStateException">Not in the status before the one asked for.</exception>
    public Task<CaseState> UpdateStatusAsync(string alertId, AlertStatus status, DispatchCaller caller, string operatorId = "", string note = "", CancellationToken cancellationToken = default)
    {
        var actor = Actor(caller, operatorId);
        return ActAsync(alertId, caller, (s, now) => CaseTransitions.SetStatus(s, alertId, status, now, actor, note), CaseEventKind.Status, cancellationToken);
    }

    /// <summary>Closes the case with an outcome.</summary>
    /// <exception cref="ArgumentException">No outcome or a negative amount.</exception>
    /// <exception cref="CaseNotFoundException">Unknown alert.</exception>
    /// <exception cref="CaseAccessDeniedException">The alert is outside the caller's jurisdiction.</exception>
    /// <exception cref="CaseStateException">Not signed for yet, or already closed.</exception>
    public Task<CaseState> ReportOutcomeAsync(string alertId, Outcome outcome, long lossPreventedMinor, long lossIncurredMinor, DispatchCaller caller, string operatorId = "", string note = "", CancellationToken cancellationToken = default)
    {
        var actor = Actor(caller, operatorId);
        return ActAsync(alertId, caller, (s, now) => CaseTransitions.Close(s, alertId, outcome, lossPreventedMinor, lossIncurredMinor, now, actor, note), CaseEventKind.Outcome, cancellationToken);
    }

    /// <summary>
    /// One escalation pass: every case whose deadline passed moves up one tier. Returns how many this call escalated
    /// (with several processes sharing a store, each escalation is counted by exactly one of them).
    /// </summary>
    /// <exception cref="CaseStoreUnavailableException">The store is unreachable; the pass changed nothing it reports, the next one retries.</exception>
    public async Task<int> EscalateDueAsync(CancellationToken cancellationToken = default)
    {
        await OpenPendingAsync(cancellationToken);
        var now = NowMs;
        var due = await _store.GetDueAsync(now, _options.EscalationBatchSize, cancellationToken);
        var escalated = 0;
        foreach (var id in due)
        {
            var update = await _store.UpdateAsync(id, s => CaseTransitions.Escalate(s, now, _options), cancellationToken);
            if (update.Changed)
            {
                escalated++;
                DispatchLog.CaseEscalated(_logger, id, update.Current!.Tier);
            }
        }

        return escalated;
    }

    /// <summary>Cases matching a query, newest first.</summary>
    public async Task<IReadOnlyList<CaseState>> QueryAsync(CaseQuery query, CancellationToken cancellationToken = default) =>
        await _store.QueryAsync(query, cancellationToken);

    /// <summary>Statistics over every case matching a query's filters (its limit does not apply): <see cref="ICaseStore.StatsAsync"/>.</summary>
    public async Task<StatsReply> StatsAsync(CaseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await _store.StatsAsync(query, cancellationToken);
    }

    /// <summary>Stops following the store's changes.</summary>
    public void Dispose() => _store.Changed -= OnChanged;

    /// <summary>Opens the cases of alerts published while the store was unreachable, oldest first; stops at the first failure.</summary>
    private async Task OpenPendingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Alert alert;
            long openedMs;
            lock (_pending)
            {
                if (_pending.Count == 0)
                {
                    return;
                }

                (alert, openedMs) = _pending[0];
            }

            await _store.UpdateRederivableAsync(alert.AlertId, s => CaseTransitions.Open(s, alert, openedMs, _options), cancellationToken);
            lock (_pending)
            {
                _pending.RemoveAt(0);
            }
        }
    }

    private static string Actor(DispatchCaller caller, string operatorId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return string.IsNullOrWhiteSpace(operatorId) ? caller.Actor : $"{caller.Actor}/{operatorId}";
    }

    private async Task<CaseState> ActAsync(string alertId, DispatchCaller caller, Func<CaseState?, long, CaseState> step, CaseEventKind kind, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(alertId))
        {
            throw new ArgumentException("alert_id is required.", nameof(alertId));
        }

        var now = NowMs;
        var update = await _store.UpdateAsync(alertId, s =>
        {
            if (s is not null && !caller.MayActOn(s.Alert))
            {
                throw new CaseAccessDeniedException($"Alert {alertId} is outside the jurisdiction of {caller.Actor}.");
            }

            return step(s, now);
        }, cancellationToken);

        var state = update.Current!;
        var last = state.History[^1];
        var record = new OutcomeRecord
        {
            AlertId = alertId,
            Kind = kind,
            Status = state.Status,
            Outcome = state.Outcome,
            LossPreventedMinor = state.LossPreventedMinor,
            LossIncurredMinor = state.LossIncurredMinor,
            Actor = last.Actor,
            AtMs = last.AtMs,
            StationId = state.Alert?.Home?.StationId ?? string.Empty,
            GridId = state.Alert?.Home?.GridId ?? string.Empty,
            Severity = state.Alert?.Severity ?? Severity.Unspecified,
            Tier = state.Tier,
        };
        if (state.Alert is not null)
        {
            record.RuleIds.Add(state.Alert.RuleIds);
        }

        try
        {
            await _outcomes.WriteAsync(record, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DispatchLog.OutcomeSinkFailed(_logger, alertId, ex);
        }

        return state;
    }

    private void OnChanged(object? sender, CaseChangedEventArgs e)
    {
        var state = e.State;
        if (state.History.Count == 0 || state.History[^1].Kind != CaseEventKind.Escalated || state.Alert is null)
        {
            return;
        }

        try
        {
            if (_hub.PublishEscalation(state.Alert, CaseTransitions.LastEscalation(state)!))
            {
                Interlocked.Increment(ref _escalations);
            }
        }
        catch (ObjectDisposedException)
        {
            // The hub is shutting down; the escalation stays recorded in the store.
        }
    }
}

/// <summary>The caller may not act on this alert: it is outside the caller's jurisdiction (gRPC PERMISSION_DENIED).</summary>
public sealed class CaseAccessDeniedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CaseAccessDeniedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CaseAccessDeniedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CaseAccessDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
