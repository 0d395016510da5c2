using Grpc.Core;

namespace FraudShield.AlertDispatch.Security;

/// <summary>
/// The server's authentication policy: off (every caller is <see cref="DispatchCaller.Anonymous"/>), or on with a
/// secret, where every RPC must carry <c>authorization: Bearer &lt;token&gt;</c> metadata.
/// </summary>
public sealed class DispatchSecurity
{
    /// <summary>The metadata key of the bearer token.</summary>
    public const string AuthorizationKey = "authorization";

    private const string CallerKey = "fraudshield.caller";

    private readonly TokenIssuer? _tokens;

    /// <summary>Creates the policy; on when the options carry a secret.</summary>
    /// <exception cref="ArgumentException">The secret is too short.</exception>
    public DispatchSecurity(DispatchAuthOptions? options)
    {
        _tokens = options is { Enabled: true } ? new TokenIssuer(options) : null;
    }

    /// <summary>True when tokens are required.</summary>
    public bool Enabled => _tokens is not null;

    /// <summary>Checks the call's bearer token and records its caller on the call.</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED: missing, malformed, forged or expired token.</exception>
    public DispatchCaller Authenticate(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_tokens is null)
        {
            return DispatchCaller.Anonymous;
        }

        var header = context.RequestHeaders.GetValue(AuthorizationKey);
        const string Bearer = "Bearer ";
        DispatchCaller caller;
        try
        {
            if (header is null || !header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
            {
                throw new DispatchTokenException("A bearer token is required (authorization: Bearer <token>).");
            }

            caller = _tokens.Validate(header[Bearer.Length..].Trim());
        }
        catch (DispatchTokenException ex)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, ex.Message));
        }

        context.UserState[CallerKey] = caller;
        return caller;
    }

    /// <summary>The caller the interceptor recorded on the call (authenticating now if it did not run).</summary>
    /// <exception cref="RpcException">UNAUTHENTICATED.</exception>
    public DispatchCaller CallerOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_tokens is null)
        {
            return DispatchCaller.Anonymous;
        }

        return context.UserState.TryGetValue(CallerKey, out var value) && value is DispatchCaller caller ? caller : Authenticate(context);
    }
}
