namespace FraudShield.AlertDispatch;

/// <summary>A resume token that this dispatch never issued (garbled, truncated or from the future).</summary>
public sealed class ResumeTokenFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ResumeTokenFormatException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ResumeTokenFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ResumeTokenFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A well-formed resume token whose position is no longer retained (older than the retention ring, or issued by an
/// earlier dispatch process). Resuming from it would silently skip alerts, so it is refused.
/// </summary>
public sealed class ResumeTokenExpiredException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ResumeTokenExpiredException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ResumeTokenExpiredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ResumeTokenExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Why the hub ended a subscription.</summary>
public enum DisconnectReason
{
    /// <summary>The subscriber's buffer was full: it reads slower than alerts arrive.</summary>
    SlowSubscriber = 1,

    /// <summary>The hub is shutting down.</summary>
    ShuttingDown = 2,
}

/// <summary>
/// The hub ended a subscription after every alert buffered for it was read. <see cref="ResumeToken"/> continues
/// right after the last alert read.
/// </summary>
public sealed class SubscriberDisconnectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubscriberDisconnectedException()
        : this(DisconnectReason.ShuttingDown, string.Empty)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SubscriberDisconnectedException(string message)
        : base(message)
    {
        ResumeToken = string.Empty;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SubscriberDisconnectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        ResumeToken = string.Empty;
    }

    /// <summary>Creates the exception for a reason, with the token to resume from.</summary>
    public SubscriberDisconnectedException(DisconnectReason reason, string resumeToken)
        : base(reason == DisconnectReason.SlowSubscriber
            ? "The subscriber fell behind and its buffer filled; resume with the resume token."
            : "The dispatch is shutting down; resume with the resume token.")
    {
        Reason = reason;
        ResumeToken = resumeToken;
    }

    /// <summary>Why the subscription ended.</summary>
    public DisconnectReason Reason { get; }

    /// <summary>Token positioned after the last alert the subscriber read.</summary>
    public string ResumeToken { get; }
}
