namespace FraudShield.AlertDispatch.Cases;

/// <summary>The alert has no case (gRPC NOT_FOUND).</summary>
public sealed class CaseNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CaseNotFoundException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CaseNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CaseNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The transition is not allowed from the case's current status (gRPC FAILED_PRECONDITION).</summary>
public sealed class CaseStateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CaseStateException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CaseStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CaseStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The case store cannot be reached (e.g. Redis is down or restarting): nothing was stored by the failed step, or,
/// when the connection broke while a write was in flight, the write is applied whole or not at all (gRPC UNAVAILABLE;
/// retrying is safe: a step that did apply is then refused as already done).
/// </summary>
public sealed class CaseStoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CaseStoreUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CaseStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public CaseStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
