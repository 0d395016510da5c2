namespace FraudShield.AlertDispatch.Grpc;

/// <summary>Metadata keys the AlertStream service adds to its calls.</summary>
public static class DispatchMetadata
{
    /// <summary>
    /// Response header sent before the first alert, and trailer on a disconnect: the token that resumes from where
    /// the call stands. With it a client that never received an alert still resumes without a gap.
    /// </summary>
    public const string ResumeTokenKey = "fs-resume-token";
}
