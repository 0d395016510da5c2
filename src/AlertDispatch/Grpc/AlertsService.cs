using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Dispatch.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FraudShield.AlertDispatch.Grpc;

/// <summary>
/// The Alerts gRPC service: case queries and statistics. A station console is held to its station and a grid
/// worker to its grid (an empty filter becomes theirs; another one is PERMISSION_DENIED); centre and analysts see all.
/// </summary>
public sealed class AlertsService : Alerts.AlertsBase
{
    private readonly CaseService? _cases;
    private readonly DispatchSecurity _security;
    private readonly ILogger<AlertsService> _logger;

    /// <summary>Creates the service; the case service and security come from <paramref name="services"/> when registered.</summary>
    public AlertsService(IServiceProvider services, ILogger<AlertsService> logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        _cases = services.GetService<CaseService>();
        _security = services.GetService<DispatchSecurity>() ?? new DispatchSecurity(null);
        _logger = logger;
    }

    /// <inheritdoc />
    public override Task<QueryReply> Query(QueryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallErrors.RunAsync(nameof(Query), _logger, async () =>
        {
            var cases = _cases ?? throw CallErrors.Unimplemented(nameof(Query));
            var query = Scoped(new CaseQuery
            {
                StationId = request.StationId,
                GridId = request.GridId,
                Status = request.Status,
                Severity = request.Severity,
                FromMs = request.FromMs,
                ToMs = request.ToMs,
                Limit = request.Limit <= 0 ? 100 : Math.Min(request.Limit, 1_000),
            }, _security.CallerOf(context));
            var reply = new QueryReply();
            reply.Cases.Add(await cases.QueryAsync(query, context.CancellationToken));
            return reply;
        });
    }

    /// <inheritdoc />
    public override Task<StatsReply> Stats(StatsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallErrors.RunAsync(nameof(Stats), _logger, async () =>
        {
            var cases = _cases ?? throw CallErrors.Unimplemented(nameof(Stats));
            var query = Scoped(new CaseQuery
            {
                StationId = request.StationId,
                GridId = request.GridId,
                Severity = request.Severity,
                FromMs = request.FromMs,
                ToMs = request.ToMs,
            }, _security.CallerOf(context));
            return await cases.StatsAsync(query, context.CancellationToken);
        });
    }

    private static CaseQuery Scoped(CaseQuery query, DispatchCaller caller) => caller.Role switch
    {
        DispatchRole.Station when string.IsNullOrEmpty(query.StationId) || query.StationId == caller.ScopeId => query with { StationId = caller.ScopeId },
        DispatchRole.Grid when string.IsNullOrEmpty(query.GridId) || query.GridId == caller.ScopeId => query with { GridId = caller.ScopeId },
        DispatchRole.Station or DispatchRole.Grid => throw new CaseAccessDeniedException(
            $"{caller.Actor} may query only its own {DispatchCaller.RoleName(caller.Role)}."),
        _ => query,
    };
}
