using Microsoft.Extensions.Logging;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>Log messages of the dispatch with stable event ids. Scopes are station/grid ids, never personal data.</summary>
internal static partial class DispatchLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Subscriber {Scope} connected, replaying {ReplayCount} alerts.")]
    public static partial void SubscriberConnected(ILogger logger, AlertScope scope, int replayCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Subscriber {Scope} cancelled after {Delivered} alerts.")]
    public static partial void SubscriberCancelled(ILogger logger, AlertScope scope, long delivered);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Subscriber {Scope} disconnected: {Reason}.")]
    public static partial void SubscriberDisconnected(ILogger logger, AlertScope scope, DisconnectReason reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Subscribe refused with {StatusCode}: {Detail}")]
    public static partial void SubscribeRefused(ILogger logger, global::Grpc.Core.StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Subscribe failed unexpectedly for {Scope}.")]
    public static partial void SubscribeFailed(ILogger logger, AlertScope scope, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Dispatch gRPC server listening on {Address}.")]
    public static partial void ServerStarted(ILogger logger, Uri address);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Alert stream to {Address} failed with {StatusCode}; reconnect {Attempt} in {DelayMs} ms.")]
    public static partial void ClientReconnecting(ILogger logger, string address, global::Grpc.Core.StatusCode statusCode, int attempt, long delayMs);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Alert {AlertId} escalated to {Tier}: its ack deadline passed unacknowledged.")]
    public static partial void CaseEscalated(ILogger logger, string alertId, FraudShield.Contracts.Dispatch.V1.EscalationTier tier);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "The outcome record of alert {AlertId} could not be written; the case change stands.")]
    public static partial void OutcomeSinkFailed(ILogger logger, string alertId, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "An escalation pass failed; the next pass retries.")]
    public static partial void EscalationPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "{Method} refused with {StatusCode}: {Detail}")]
    public static partial void CallRefused(ILogger logger, string method, global::Grpc.Core.StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "{Method} failed unexpectedly.")]
    public static partial void CallFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Marking alert {AlertId} delivered failed.")]
    public static partial void MarkDeliveredFailed(ILogger logger, string alertId, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "The case store is unreachable; the case of alert {AlertId} opens on the next escalation pass that reaches it.")]
    public static partial void CaseOpenDeferred(ILogger logger, string alertId, Exception exception);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Alert stream to {Address}: the resume position is no longer retained (dispatch restarted?); replaying every retained alert.")]
    public static partial void ClientReplaying(ILogger logger, string address);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Alert {AlertId} version {Version} was emitted at {EmittedAt:o}, longer than the closed-case retention ({Retention}) ago, and has no case: not opened and not delivered (its case, if it had one, was retired).")]
    public static partial void AlertPastRetention(ILogger logger, string alertId, int version, DateTimeOffset emittedAt, TimeSpan retention);

    [LoggerMessage(EventId = 17, Level = LogLevel.Information, Message = "Retired {Count} closed cases whose outcome is older than the retention ({Retention}).")]
    public static partial void CasesRetired(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(EventId = 18, Level = LogLevel.Error, Message = "Retiring closed cases failed; the next retirement pass retries.")]
    public static partial void RetirementFailed(ILogger logger, Exception exception);
}
