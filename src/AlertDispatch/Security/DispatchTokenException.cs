namespace FraudShield.AlertDispatch.Security;

/// <summary>A bearer token that is missing, malformed, forged or expired (gRPC UNAUTHENTICATED).</summary>
public sealed class DispatchTokenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DispatchTokenException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DispatchTokenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public DispatchTokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
