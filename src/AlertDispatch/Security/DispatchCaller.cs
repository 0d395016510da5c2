using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.AlertDispatch.Security;

/// <summary>What a console is: its role decides which scopes it may see and act on.</summary>
public enum DispatchRole
{
    /// <summary>A police station console: its own station only.</summary>
    Station = 1,

    /// <summary>A community grid worker: its own grid only.</summary>
    Grid = 2,

    /// <summary>The district anti-fraud centre desk: everything.</summary>
    Centre = 3,

    /// <summary>An anti-fraud centre analyst: everything.</summary>
    Analyst = 4,
}

/// <summary>
/// The authenticated caller of an RPC (least privilege): a station console sees and acts on its station's alerts, a
/// grid worker on its grid's, the centre and analysts on all. <see cref="Anonymous"/> stands for every caller when
/// authentication is off (the embedded loopback demo).
/// </summary>
public sealed record DispatchCaller
{
    /// <summary>Creates a caller.</summary>
    /// <exception cref="ArgumentException">A station or grid caller without a scope id.</exception>
    public DispatchCaller(DispatchRole role, string scopeId)
    {
        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role.");
        }

        if (role is DispatchRole.Station or DispatchRole.Grid)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(scopeId);
        }

        Role = role;
        ScopeId = scopeId ?? string.Empty;
    }

    /// <summary>The caller of every RPC when authentication is off: centre rights, recorded as <c>anonymous</c>.</summary>
    public static DispatchCaller Anonymous { get; } = new(DispatchRole.Centre, string.Empty) { IsAnonymous = true };

    /// <summary>The role.</summary>
    public DispatchRole Role { get; }

    /// <summary>The station or grid id (empty or informational for centre and analysts).</summary>
    public string ScopeId { get; }

    /// <summary>True for <see cref="Anonymous"/>.</summary>
    public bool IsAnonymous { get; private init; }

    /// <summary>How the caller appears in case history: <c>station:S01</c>, <c>grid:G7</c>, <c>centre</c>, <c>anonymous</c>.</summary>
    public string Actor => IsAnonymous ? "anonymous"
        : string.IsNullOrEmpty(ScopeId) ? RoleName(Role)
        : $"{RoleName(Role)}:{ScopeId}";

    /// <summary>The token spelling of a role.</summary>
    public static string RoleName(DispatchRole role) => role switch
    {
        DispatchRole.Station => "station",
        DispatchRole.Grid => "grid",
        DispatchRole.Centre => "centre",
        DispatchRole.Analyst => "analyst",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role."),
    };

    /// <summary>Parses a role name (<c>station</c>, <c>grid</c>, <c>centre</c>, <c>analyst</c>).</summary>
    public static bool TryParseRole(string? name, out DispatchRole role)
    {
        role = name switch
        {
            "station" => DispatchRole.Station,
            "grid" => DispatchRole.Grid,
            "centre" => DispatchRole.Centre,
            "analyst" => DispatchRole.Analyst,
            _ => 0,
        };
        return role != 0;
    }

    /// <summary>True when the caller may subscribe to <paramref name="scope"/>; otherwise <paramref name="reason"/> says why.</summary>
    public bool MaySubscribe(AlertScope scope, out string reason)
    {
        var allowed = Role switch
        {
            DispatchRole.Centre or DispatchRole.Analyst => true,
            DispatchRole.Station => scope.Kind == AlertScopeKind.Station && scope.Id == ScopeId,
            DispatchRole.Grid => scope.Kind == AlertScopeKind.Grid && scope.Id == ScopeId,
            _ => false,
        };
        reason = allowed ? string.Empty : $"A {RoleName(Role)} console of {ScopeId} may subscribe only to {RoleName(Role)} {ScopeId}, not to {scope}.";
        return allowed;
    }

    /// <summary>True when the alert is in the caller's jurisdiction (home or current), so it may act on it.</summary>
    public bool MayActOn(Alert? alert) => Role switch
    {
        DispatchRole.Centre or DispatchRole.Analyst => true,
        DispatchRole.Station => alert is not null && (alert.Home?.StationId == ScopeId || alert.Current?.StationId == ScopeId),
        DispatchRole.Grid => alert is not null && (alert.Home?.GridId == ScopeId || alert.Current?.GridId == ScopeId),
        _ => false,
    };

    /// <inheritdoc />
    public override string ToString() => Actor;
}
