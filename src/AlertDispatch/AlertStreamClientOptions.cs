namespace FraudShield.AlertDispatch;

/// <summary>Reconnect policy of <see cref="AlertStreamClient"/>.</summary>
public sealed class AlertStreamClientOptions
{
    /// <summary>Delay before the first reconnect after a failure; doubles per consecutive failure. Default 100 ms.</summary>
    public TimeSpan InitialReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of the reconnect delay. Default 5 s.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Consecutive failed attempts (no alert received in between) before the last failure is thrown; null retries
    /// until cancelled. Default null.
    /// </summary>
    public int? MaxConsecutiveFailures { get; set; }

    /// <summary>
    /// When the server refuses the resume token with OUT_OF_RANGE (it was issued by an earlier dispatch process, or is
    /// older than the retention), resume with the replay token the refusal carries instead of throwing: the client
    /// then receives everything the dispatch retains, which after a dispatch restart is every alert it re-read from
    /// fs.alerts. Alerts received before are delivered again (de-duplicate by alert id and version). Default false:
    /// the refusal is thrown.
    /// </summary>
    public bool ReplayRetainedOnExpiredToken { get; set; }

    /// <summary>
    /// Bearer token sent as <c>authorization: Bearer &lt;token&gt;</c> on every call (from
    /// <see cref="Security.TokenIssuer"/>); null sends none (a server without a token secret).
    /// </summary>
    public string? BearerToken { get; set; }
}
