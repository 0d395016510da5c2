using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.AlertDispatch;

/// <summary>
/// Which levels reach which kind of subscriber (DOMAIN.md routing table, configurable). Defaults: L1 -> centre desk +
/// station + grid worker (+ family); L2 -> centre + station; L3 -> grid worker (+ centre); L4 -> centre only.
/// Jurisdiction still applies: a station subscriber gets only its station's alerts, a grid subscriber its grid's.
/// </summary>
/// <remarks>An alert without a level is routed like L1, so a missing level never hides an alert.</remarks>
public sealed class AlertRoutingOptions
{
    /// <summary>Levels a station console receives. Default L1, L2.</summary>
    public HashSet<Severity> StationLevels { get; } = [Severity.L1, Severity.L2];

    /// <summary>Levels a grid worker receives. Default L1, L3.</summary>
    public HashSet<Severity> GridLevels { get; } = [Severity.L1, Severity.L3];

    /// <summary>Levels the district centre desk and analysts (scope <c>all</c>) receive. Default all four.</summary>
    public HashSet<Severity> CentreLevels { get; } = [Severity.L1, Severity.L2, Severity.L3, Severity.L4];

    /// <summary>
    /// Levels whose subject's family numbers are to be notified (by the host's SMS/call channel; the dispatch only
    /// reports it through <see cref="NotifiesFamily"/>). Default L1.
    /// </summary>
    public HashSet<Severity> FamilyLevels { get; } = [Severity.L1];

    /// <summary>True when an alert of <paramref name="severity"/> goes to subscribers of <paramref name="kind"/>.</summary>
    public bool Routes(AlertScopeKind kind, Severity severity)
    {
        var level = severity == Severity.Unspecified ? Severity.L1 : severity;
        return kind switch
        {
            AlertScopeKind.Station => StationLevels.Contains(level),
            AlertScopeKind.Grid => GridLevels.Contains(level),
            AlertScopeKind.All => CentreLevels.Contains(level),
            _ => false,
        };
    }

    /// <summary>True when the subject's family numbers are to be notified for this level.</summary>
    public bool NotifiesFamily(Severity severity) => FamilyLevels.Contains(severity == Severity.Unspecified ? Severity.L1 : severity);
}
