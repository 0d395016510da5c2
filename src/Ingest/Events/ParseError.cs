namespace FraudShield.Ingest.Events;

/// <summary>
/// Why a message was rejected and which field caused it. <see cref="Field"/> is always a string literal
/// (for example <c>"payer.account"</c>) or empty, so creating a <see cref="ParseError"/> never allocates.
/// </summary>
public readonly struct ParseError
{
    private readonly string? _field;

    /// <summary>Creates an error.</summary>
    /// <param name="reason">The rejection reason.</param>
    /// <param name="field">The dotted JSON field name, or empty when the error is not about one field.</param>
    public ParseError(RejectReason reason, string field)
    {
        Reason = reason;
        _field = field;
    }

    /// <summary>The rejection reason; <see cref="RejectReason.None"/> on success.</summary>
    public RejectReason Reason { get; }

    /// <summary>The dotted JSON field name (<c>"payer.msisdn"</c>), or empty.</summary>
    public string Field => _field ?? string.Empty;

    /// <summary>Formats the error as <c>Reason</c> or <c>Reason(field)</c>; allocates, for logs and dead letters.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Field.Length == 0 ? Reason.ToString() : $"{Reason}({Field})";
}
