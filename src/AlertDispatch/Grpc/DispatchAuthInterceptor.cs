using FraudShield.AlertDispatch.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace FraudShield.AlertDispatch.Grpc;

/// <summary>
/// Authenticates every RPC on the server (the dispatch's services and any the host maps) before its handler runs,
/// when <see cref="DispatchSecurity.Enabled"/>. Authorization (which scope, which alert) is the services' part.
/// </summary>
public sealed class DispatchAuthInterceptor : Interceptor
{
    private readonly DispatchSecurity _security;

    /// <summary>Creates the interceptor.</summary>
    public DispatchAuthInterceptor(DispatchSecurity security)
    {
        _security = security ?? throw new ArgumentNullException(nameof(security));
    }

    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _security.Authenticate(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _security.Authenticate(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _security.Authenticate(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _security.Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }
}
