namespace FraudShield.Ingest.Events;

/// <summary>
/// A bank transaction (topic <c>fs.txns</c>). The nested <c>payer</c> and <c>payee</c> objects are flattened; error
/// field names are dotted (<c>"payer.account"</c>). Text fields are raw slices of the message (JSON string contents,
/// escapes kept); money is in minor units.
/// </summary>
public readonly ref struct TxnEvent
{
    /// <summary><c>txn_id</c> (required).</summary>
    public ReadOnlySpan<byte> TxnId { get; init; }

    /// <summary><c>ts_ms</c> (required): Unix epoch milliseconds.</summary>
    public long TsMs { get; init; }

    /// <summary><c>status</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> Status { get; init; }

    /// <summary><c>channel</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> Channel { get; init; }

    /// <summary><c>type</c> (required).</summary>
    public TxnType Type { get; init; }

    /// <summary><c>payer.account</c> (required).</summary>
    public ReadOnlySpan<byte> PayerAccount { get; init; }

    /// <summary><c>payer.msisdn</c>: E.164 digits, 0 when absent.</summary>
    public ulong PayerMsisdn { get; init; }

    /// <summary><c>payer.customer_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> PayerCustomerId { get; init; }

    /// <summary><c>payer.age</c>: years, null when absent.</summary>
    public int? PayerAge { get; init; }

    /// <summary><c>payee.account</c> (required).</summary>
    public ReadOnlySpan<byte> PayeeAccount { get; init; }

    /// <summary><c>payee.bank</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> PayeeBank { get; init; }

    /// <summary><c>payee.kind</c>; <see cref="PayeeKind.Unknown"/> when absent.</summary>
    public PayeeKind PayeeKind { get; init; }

    /// <summary><c>payee.opened_ms</c>: when the payee account was opened, Unix epoch milliseconds; null when absent.</summary>
    public long? PayeeOpenedMs { get; init; }

    /// <summary><c>amount_minor</c> (required): non-negative, minor units.</summary>
    public long AmountMinor { get; init; }

    /// <summary><c>currency</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> Currency { get; init; }

    /// <summary><c>payer_balance_after_minor</c>: minor units, null when absent.</summary>
    public long? PayerBalanceAfterMinor { get; init; }

    /// <summary><c>device_id</c>; empty when absent.</summary>
    public ReadOnlySpan<byte> DeviceId { get; init; }
}
