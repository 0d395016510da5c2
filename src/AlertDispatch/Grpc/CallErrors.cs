using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Internal;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace FraudShield.AlertDispatch.Grpc;

/// <summary>One mapping of known failures to statuses for the unary case RPCs; anything else is UNKNOWN without detail.</summary>
internal static class CallErrors
{
    public static async Task<T> RunAsync<T>(string method, ILogger logger, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex)
        {
            DispatchLog.CallRefused(logger, method, ex.StatusCode, ex.Status.Detail);
            throw;
        }
        catch (Exception ex) when (Map(ex) is { } status)
        {
            DispatchLog.CallRefused(logger, method, status.StatusCode, status.Detail);
            throw new RpcException(status);
        }
        catch (Exception ex)
        {
            DispatchLog.CallFailed(logger, method, ex);
            throw new RpcException(new Status(StatusCode.Unknown, $"{method} failed."));
        }
    }

    public static RpcException Unimplemented(string method) =>
        new(new Status(StatusCode.Unimplemented, $"{method} needs a case store; this dispatch runs without one."));

    private static Status? Map(Exception ex) => ex switch
    {
        CaseNotFoundException => new Status(StatusCode.NotFound, ex.Message),
        CaseStateException => new Status(StatusCode.FailedPrecondition, ex.Message),
        CaseAccessDeniedException => new Status(StatusCode.PermissionDenied, ex.Message),
        CaseStoreUnavailableException => new Status(StatusCode.Unavailable, "The case store is unreachable; nothing was changed by this call or it applied whole. Retry."),
        ArgumentException => new Status(StatusCode.InvalidArgument, ex.Message),
        TimeoutException => new Status(StatusCode.Aborted, ex.Message),
        OperationCanceledException => new Status(StatusCode.Cancelled, "The call was cancelled."),
        _ => null,
    };
}
