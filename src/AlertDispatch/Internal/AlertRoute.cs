using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// The jurisdictions an alert is routed by (<see cref="AlertScope.Matches(in AlertRoute)"/>): the subject's home and
/// current station and grid, each empty when unknown.
/// </summary>
internal readonly record struct AlertRoute(string HomeStation, string CurrentStation, string HomeGrid, string CurrentGrid)
{
    /// <summary>The route of <paramref name="alert"/>.</summary>
    public static AlertRoute Of(Alert alert) => new(
        alert.Home?.StationId ?? string.Empty,
        alert.Current?.StationId ?? string.Empty,
        alert.Home?.GridId ?? string.Empty,
        alert.Current?.GridId ?? string.Empty);
}
