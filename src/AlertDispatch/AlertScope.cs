using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch;

/// <summary>What a subscriber receives: one station, one grid, or everything (analysts, the district centre desk).</summary>
public enum AlertScopeKind
{
    /// <summary>Alerts whose home or current station is <see cref="AlertScope.Id"/>.</summary>
    Station = 1,

    /// <summary>Alerts whose home or current grid is <see cref="AlertScope.Id"/>.</summary>
    Grid = 2,

    /// <summary>Every alert.</summary>
    All = 3,
}

/// <summary>
/// The routing scope of a subscriber. An alert is in scope when its home or its current jurisdiction matches;
/// a scope that routes an alert also covers it, so it may see the subject's full number.
/// </summary>
public readonly record struct AlertScope
{
    private AlertScope(AlertScopeKind kind, string id)
    {
        Kind = kind;
        Id = id;
    }

    /// <summary>Station, grid or all.</summary>
    public AlertScopeKind Kind { get; }

    /// <summary>The station or grid id; empty for <see cref="AlertScopeKind.All"/>.</summary>
    public string Id { get; }

    /// <summary>The scope of everything.</summary>
    public static AlertScope All => new(AlertScopeKind.All, string.Empty);

    /// <summary>The scope of one police station.</summary>
    /// <exception cref="ArgumentException"><paramref name="stationId"/> is empty.</exception>
    public static AlertScope Station(string stationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stationId);
        return new AlertScope(AlertScopeKind.Station, stationId);
    }

    /// <summary>The scope of one community grid.</summary>
    /// <exception cref="ArgumentException"><paramref name="gridId"/> is empty.</exception>
    public static AlertScope Grid(string gridId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(gridId);
        return new AlertScope(AlertScopeKind.Grid, gridId);
    }

    /// <summary>
    /// Reads the scope of a <see cref="SubscribeRequest"/>; false with a reason when it has none or an empty id.
    /// </summary>
    public static bool TryFromRequest(SubscribeRequest request, out AlertScope scope, out string error)
    {
        ArgumentNullException.ThrowIfNull(request);
        scope = default;
        switch (request.ScopeCase)
        {
            case SubscribeRequest.ScopeOneofCase.StationId when !string.IsNullOrWhiteSpace(request.StationId):
                scope = new AlertScope(AlertScopeKind.Station, request.StationId);
                error = string.Empty;
                return true;
            case SubscribeRequest.ScopeOneofCase.StationId:
                error = "station_id must not be empty.";
                return false;
            case SubscribeRequest.ScopeOneofCase.GridId when !string.IsNullOrWhiteSpace(request.GridId):
                scope = new AlertScope(AlertScopeKind.Grid, request.GridId);
                error = string.Empty;
                return true;
            case SubscribeRequest.ScopeOneofCase.GridId:
                error = "grid_id must not be empty.";
                return false;
            case SubscribeRequest.ScopeOneofCase.All when request.All:
                scope = All;
                error = string.Empty;
                return true;
            default:
                error = "A scope is required: set station_id, grid_id or all=true.";
                return false;
        }
    }

    /// <summary>True when the alert's home or current jurisdiction is in this scope (always for All).</summary>
    public bool Matches(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return Matches(AlertRoute.Of(alert));
    }

    /// <summary>True when the home or current jurisdiction of <paramref name="route"/> is in this scope (always for All).</summary>
    internal bool Matches(in AlertRoute route) => Kind switch
    {
        AlertScopeKind.All => true,
        AlertScopeKind.Station => IdEquals(route.HomeStation) || IdEquals(route.CurrentStation),
        AlertScopeKind.Grid => IdEquals(route.HomeGrid) || IdEquals(route.CurrentGrid),
        _ => false,
    };

    /// <inheritdoc />
    public override string ToString() => Kind == AlertScopeKind.All ? "all" : $"{Kind.ToString().ToLowerInvariant()}:{Id}";

    private bool IdEquals(string? id) => !string.IsNullOrEmpty(id) && string.Equals(id, Id, StringComparison.Ordinal);
}
