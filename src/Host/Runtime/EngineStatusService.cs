using FraudShield.Contracts.Engine.V1;
using Grpc.Core;

namespace FraudShield.Host.Runtime;

/// <summary>The Engine.Status RPC: what the process's tables hold and whether they are current.</summary>
internal sealed class EngineStatusService(FraudShieldNode node) : FraudShield.Contracts.Engine.V1.Engine.EngineBase
{
    public override Task<StatusReply> Status(StatusRequest request, ServerCallContext context)
    {
        var reply = new StatusReply
        {
            EventsProcessed = node.Engine?.EventsProcessed ?? 0,
            EventsDeadLettered = node.Engine?.EventsDeadLettered ?? 0,
            EventsLate = node.Engine?.EventsLate ?? 0,
            RebatesSent = node.Engine?.Rebates.Sent ?? 0,
            RebatesFailed = node.Engine?.Rebates.Failed ?? 0,
            RebatesReceived = node.Engine?.RebatesReceived ?? 0,
            AlertsEmitted = node.Engine?.AlertSink.Emitted ?? 0,
            RulesVersion = node.Engine?.ActiveRulesVersion ?? string.Empty,
        };
        foreach (var table in node.Tables)
        {
            reply.Tables.Add(new TableStatus
            {
                Topic = table.Topic,
                RecordsApplied = table.RecordsApplied,
                CaughtUp = table.IsCaughtUp(TimeSpan.FromSeconds(5)),
            });
        }

        return Task.FromResult(reply);
    }
}
