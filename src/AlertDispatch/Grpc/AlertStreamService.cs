using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Internal;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Dispatch.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudShield.AlertDispatch.Grpc;

/// <summary>
/// The AlertStream gRPC service: each Subscribe call is one hub subscriber, and the call itself is that
/// subscriber's single writer loop; Ack, UpdateStatus and ReportOutcome move the alert's case.
/// </summary>
/// <remarks>
/// Status codes: no scope or an empty id, or a malformed resume token → <see cref="StatusCode.InvalidArgument"/>;
/// a token older than the retention or from an earlier dispatch process → <see cref="StatusCode.OutOfRange"/>
/// (the alerts after it are gone, so the call refuses instead of silently skipping them; its
/// <see cref="DispatchMetadata.ResumeTokenKey"/> trailer replays everything this process retains, which after a
/// dispatch restart is every alert re-read from fs.alerts; subscribe without a token to continue live only); the
/// subscriber fell behind → <see cref="StatusCode.ResourceExhausted"/>; the dispatch is
/// shutting down → <see cref="StatusCode.Unavailable"/>. The last two carry the resume token in the
/// <see cref="DispatchMetadata.ResumeTokenKey"/> trailer. Anything else → <see cref="StatusCode.Unknown"/> with no detail.
/// With authentication on, a caller may subscribe only to its own station or grid (centre and analysts to any)
/// → otherwise <see cref="StatusCode.PermissionDenied"/>. Case RPCs: unknown alert → NOT_FOUND, a step the status
/// machine refuses → FAILED_PRECONDITION, an alert outside the caller's jurisdiction → PERMISSION_DENIED, no case
/// store configured → UNIMPLEMENTED.
/// <para>The methods are bound by <see cref="AlertStreamMethodProvider"/> rather than the generated base class, so that
/// Subscribe writes each delivery's shared, already-encoded bytes (<see cref="RetainedAlert"/>).</para>
/// </remarks>
public sealed class AlertStreamService
{
    private const int FlushBytes = 64 * 1024;
    private readonly AlertHub _hub;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<AlertStreamService> _logger;
    private readonly CaseService? _cases;
    private readonly DispatchSecurity _security;

    /// <summary>
    /// Creates the service over a hub; the <see cref="CaseService"/> and <see cref="DispatchSecurity"/> come from
    /// <paramref name="services"/> when registered (without them: no case RPCs, no authentication).
    /// </summary>
    public AlertStreamService(AlertHub hub, IHostApplicationLifetime lifetime, ILogger<AlertStreamService> logger, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _hub = hub;
        _lifetime = lifetime;
        _logger = logger;
        _cases = services.GetService<CaseService>();
        _security = services.GetService<DispatchSecurity>() ?? new DispatchSecurity(null);
    }

    /// <summary>Signs for an alert (NEW or DELIVERED → SIGNED).</summary>
    public Task<CaseReply> Ack(AckRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return CallErrors.RunAsync(nameof(Ack), _logger, async () =>
        {
            var cases = _cases ?? throw CallErrors.Unimplemented(nameof(Ack));
            var state = await cases.AckAsync(request.AlertId, _security.CallerOf(context), request.OperatorId, request.Note, context.CancellationToken);
            return new CaseReply { Case = state };
        });
    }

    /// <summary>Moves a signed alert's case on (SIGNED → CONTACTED → ON_SITE).</summary>
    public Task<CaseReply> UpdateStatus(UpdateStatusRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return CallErrors.RunAsync(nameof(UpdateStatus), _logger, async () =>
        {
            var cases = _cases ?? throw CallErrors.Unimplemented(nameof(UpdateStatus));
            var state = await cases.UpdateStatusAsync(request.AlertId, request.Status, _security.CallerOf(context), request.OperatorId, request.Note, context.CancellationToken);
            return new CaseReply { Case = state };
        });
    }

    /// <summary>Closes an alert's case with its outcome.</summary>
    public Task<CaseReply> ReportOutcome(ReportOutcomeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return CallErrors.RunAsync(nameof(ReportOutcome), _logger, async () =>
        {
            var cases = _cases ?? throw CallErrors.Unimplemented(nameof(ReportOutcome));
            var state = await cases.ReportOutcomeAsync(
                request.AlertId, request.Outcome, request.LossPreventedMinor, request.LossIncurredMinor,
                _security.CallerOf(context), request.OperatorId, request.Note, context.CancellationToken);
            return new CaseReply { Case = state };
        });
    }

    /// <summary>
    /// Streams the scope's alerts (replayed after the resume token, then live) until the call ends; each message is an
    /// encoded <see cref="AlertDelivery"/>, byte for byte what the generated marshaller writes for the same delivery.
    /// </summary>
    public async Task Subscribe(SubscribeRequest request, IServerStreamWriter<byte[]> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);

        if (!AlertScope.TryFromRequest(request, out var scope, out var error))
        {
            throw Refuse(StatusCode.InvalidArgument, error);
        }

        var caller = _security.CallerOf(context);
        if (!caller.MaySubscribe(scope, out var denied))
        {
            throw Refuse(StatusCode.PermissionDenied, denied);
        }

        var callCancelled = context.CancellationToken;
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(callCancelled, _lifetime.ApplicationStopping);
        AlertSubscription? subscription = null;
        var lastWritten = -1L;
        long delivered = 0;
        var clientGone = false;
        try
        {
            subscription = _hub.Subscribe(scope, request.ResumeToken);
            lastWritten = subscription.LastSequence;
            DispatchLog.SubscriberConnected(_logger, scope, subscription.ReplayCount);
            await context.WriteResponseHeadersAsync(new Metadata { { DispatchMetadata.ResumeTokenKey, subscription.StartResumeToken } });

            // Every ready alert is framed straight into the response body and the batch is flushed once, at most about
            // FlushBytes at a time: a burst or a resume replay reaches the console while the rest is written, and the
            // transport holds a bounded amount instead of the whole backlog. This is the framing grpc-dotnet's stream
            // writer produces (uncompressed messages; the service configures no response compression or send limit)
            // without its per-message write call, lock and flush decision.
            // The cases are marked DELIVERED after the flush: the console's copy never waits for the case store (whose
            // lock a signature's disk flush may hold), and a batch the transport did not take is not marked.
            var body = context.GetHttpContext().Response.BodyWriter;
            List<string>? toMark = _cases is null ? null : [];
            while (await subscription.WaitToReadAsync(stopping.Token))
            {
                var unflushed = 0;
                while (unflushed < FlushBytes && subscription.TryRead(out var entry))
                {
                    unflushed += DeliveryWire.WriteGrpcMessage(body, entry.Delivery(scope));
                    lastWritten = entry.Sequence;
                    delivered++;
                    if (!entry.IsEscalation)
                    {
                        toMark?.Add(entry.AlertId);
                    }
                }

                var flushed = await body.FlushAsync(stopping.Token);
                if (flushed.IsCompleted || flushed.IsCanceled || stopping.IsCancellationRequested)
                {
                    // The client went away (Kestrel completes the body when the stream is reset, which does not always
                    // cancel the call's token first), or the call is being cancelled or the server is stopping.
                    clientGone = flushed.IsCompleted;
                    throw new OperationCanceledException(stopping.Token);
                }

                if (toMark is { Count: > 0 })
                {
                    foreach (var alertId in toMark)
                    {
                        await MarkDeliveredAsync(alertId, caller, stopping.Token);
                    }

                    toMark.Clear();
                }
            }

            // The subscription was ended from this side without a reason: treat as shutting down.
            throw Disconnected(DisconnectReason.ShuttingDown, lastWritten);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (OperationCanceledException) when (callCancelled.IsCancellationRequested || clientGone)
        {
            DispatchLog.SubscriberCancelled(_logger, scope, delivered);
        }
        catch (OperationCanceledException) when (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw Disconnected(DisconnectReason.ShuttingDown, lastWritten);
        }
        catch (SubscriberDisconnectedException ex)
        {
            DispatchLog.SubscriberDisconnected(_logger, scope, ex.Reason);
            throw Disconnected(ex.Reason, lastWritten);
        }
        catch (ResumeTokenFormatException ex)
        {
            throw Refuse(StatusCode.InvalidArgument, ex.Message);
        }
        catch (ResumeTokenExpiredException ex)
        {
            // The trailer lets the client replay what this process retains (after a dispatch restart: every alert
            // re-read from fs.alerts) instead of continuing live and missing what was re-read before it resubscribed.
            DispatchLog.SubscribeRefused(_logger, StatusCode.OutOfRange, ex.Message);
            throw new RpcException(
                new Status(StatusCode.OutOfRange, ex.Message + " Resume with the fs-resume-token trailer to replay every retained alert, or subscribe without a token to continue live."),
                new Metadata { { DispatchMetadata.ResumeTokenKey, _hub.FormatOldestResumeToken() } });
        }
        catch (Exception ex)
        {
            DispatchLog.SubscribeFailed(_logger, scope, ex);
            throw new RpcException(new Status(StatusCode.Unknown, "The dispatch failed to deliver alerts."));
        }
        finally
        {
            subscription?.Dispose();
        }
    }

    private async Task MarkDeliveredAsync(string alertId, DispatchCaller caller, CancellationToken cancellationToken)
    {
        try
        {
            await _cases!.MarkDeliveredAsync(alertId, caller.Actor, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Delivery goes on: the case stays NEW and still escalates on its deadline.
            DispatchLog.MarkDeliveredFailed(_logger, alertId, ex);
        }
    }

    private RpcException Refuse(StatusCode code, string detail)
    {
        DispatchLog.SubscribeRefused(_logger, code, detail);
        return new RpcException(new Status(code, detail));
    }

    private RpcException Disconnected(DisconnectReason reason, long lastWritten)
    {
        var trailers = new Metadata();
        if (lastWritten >= 0)
        {
            trailers.Add(DispatchMetadata.ResumeTokenKey, _hub.FormatResumeToken(lastWritten));
        }

        return reason == DisconnectReason.SlowSubscriber
            ? new RpcException(new Status(StatusCode.ResourceExhausted, "The subscriber fell behind; resume with the last resume token."), trailers)
            : new RpcException(new Status(StatusCode.Unavailable, "The dispatch is shutting down; resume with the last resume token."), trailers);
    }
}
