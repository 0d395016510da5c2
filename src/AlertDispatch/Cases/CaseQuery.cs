using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>Filters of <see cref="ICaseStore.QueryAsync"/>; empty or default values leave a filter open.</summary>
public sealed record CaseQuery
{
    /// <summary>The largest <see cref="Limit"/> honoured.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Home or current station.</summary>
    public string? StationId { get; init; }

    /// <summary>Home or current grid.</summary>
    public string? GridId { get; init; }

    /// <summary>Current status.</summary>
    public AlertStatus Status { get; init; }

    /// <summary>Alert severity.</summary>
    public Severity Severity { get; init; }

    /// <summary>Earliest opening time (ms, inclusive); 0 for none.</summary>
    public long FromMs { get; init; }

    /// <summary>Latest opening time (ms, inclusive); 0 for none.</summary>
    public long ToMs { get; init; }

    /// <summary>At most this many cases (capped at <see cref="MaxLimit"/>). Default 100.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>True when the case passes every filter (not the limit).</summary>
    public bool Matches(CaseState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var alert = state.Alert;
        return Matches(state.Status, alert?.Severity ?? Severity.Unspecified, state.OpenedMs, alert is null ? default : AlertRoute.Of(alert));
    }

    /// <summary><see cref="Matches(CaseState)"/> for a case known by its status, level, opening time and its alert's route.</summary>
    internal bool Matches(AlertStatus status, Severity severity, long openedMs, in AlertRoute route) =>
        (Status == AlertStatus.Unspecified || status == Status)
        && (Severity == Severity.Unspecified || severity == Severity)
        && (FromMs == 0 || openedMs >= FromMs)
        && (ToMs == 0 || openedMs <= ToMs)
        && (string.IsNullOrEmpty(StationId) || route.HomeStation == StationId || route.CurrentStation == StationId)
        && (string.IsNullOrEmpty(GridId) || route.HomeGrid == GridId || route.CurrentGrid == GridId);

    internal int EffectiveLimit => Math.Clamp(Limit, 1, MaxLimit);
}
