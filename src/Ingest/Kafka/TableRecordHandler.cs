namespace FraudShield.Ingest.Kafka;

/// <summary>
/// Applies one record of a table topic. Called on the <see cref="TableFollower"/>'s thread, in offset order per
/// partition; the spans are valid only during the call.
/// </summary>
/// <param name="key">The record key (empty when the record has none).</param>
/// <param name="value">The record value; empty for a tombstone.</param>
/// <param name="isTombstone">True when the value is null: the key is deleted from the table.</param>
/// <param name="timestampMs">The record timestamp, Unix milliseconds.</param>
public delegate void TableRecordHandler(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isTombstone, long timestampMs);
