using System.Buffers;
using System.Text.Json;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    private const uint TxnRequired =
        (1u << TxnFields.TxnId) | (1u << TxnFields.TsMs) | (1u << TxnFields.Type) | (1u << TxnFields.Payer) |
        (1u << TxnFields.PayerAccount) | (1u << TxnFields.Payee) | (1u << TxnFields.PayeeAccount) | (1u << TxnFields.AmountMinor);

    /// <summary>Parses a bank transaction (topic <c>fs.txns</c>).</summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseTxn(ReadOnlySpan<byte> utf8, out TxnEvent ev, out ParseError error)
        => Guarded<TxnEvent, TxnBody>(utf8, out ev, out error);

    /// <summary>Parses a bank transaction from a possibly multi-segment message (see the class remarks on span lifetime).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="ev">The event, or default when rejected.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is valid.</returns>
    public bool TryParseTxn(in ReadOnlySequence<byte> data, out TxnEvent ev, out ParseError error)
        => Guarded<TxnEvent, TxnBody>(data, out ev, out error);

    private bool ParseTxn<TTokens>(scoped ref TTokens reader, out TxnEvent ev, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        ev = default;
        if (!BeginObject(ref reader, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> txnId = default, status = default, channel = default, payerAccount = default, payerCustomerId = default,
            payeeAccount = default, payeeBank = default, currency = default, deviceId = default;
        long tsMs = 0, payeeOpenedMs = 0, amountMinor = 0, payerBalanceAfterMinor = 0;
        int payerAge = 0;
        ulong payerMsisdn = 0;
        TxnType type = default;
        PayeeKind payeeKind = default;
        var fields = new FieldTracker(TxnRequired, TxnFields.Names);

        // One loop walks the top level and the payer/payee objects: scope says which object the reader is in.
        const int Top = 0, InPayer = 1, InPayee = 2;
        int scope = Top;
        while (true)
        {
            int field = scope switch
            {
                Top => JsonRead.NextField<TxnFields, TTokens>(ref reader),
                InPayer => JsonRead.NextField<PayerFields, TTokens>(ref reader),
                _ => JsonRead.NextField<PayeeFields, TTokens>(ref reader),
            };
            if (field == -2)
            {
                if (scope == Top)
                {
                    break;
                }

                scope = Top;
                continue;
            }

            if (field < 0)
            {
                reader.Skip();
                continue;
            }

            if (!fields.Enter(field, reader.TokenType, out var isNull, out error))
            {
                return false;
            }

            if (isNull)
            {
                continue;
            }

            RejectReason r;
            switch (field)
            {
                case TxnFields.Payer or TxnFields.Payee:
                    if (!fields.Accept(field, reader.TokenType == JsonTokenType.StartObject ? RejectReason.None : RejectReason.WrongType, out error))
                    {
                        return false;
                    }

                    scope = field == TxnFields.Payer ? InPayer : InPayee;
                    continue;
                case TxnFields.TxnId: r = JsonRead.String(ref reader, out txnId); break;
                case TxnFields.TsMs: r = JsonRead.Int64(ref reader, out tsMs); break;
                case TxnFields.Status: r = JsonRead.String(ref reader, out status); break;
                case TxnFields.Channel: r = JsonRead.String(ref reader, out channel); break;
                case TxnFields.Type: r = EnumRead.TxnType(ref reader, out type); break;
                case TxnFields.PayerAccount: r = JsonRead.String(ref reader, out payerAccount); break;
                case TxnFields.PayerMsisdn: r = JsonRead.Phone(ref reader, _options, out payerMsisdn); break;
                case TxnFields.PayerCustomerId: r = JsonRead.String(ref reader, out payerCustomerId); break;
                case TxnFields.PayerAge: r = JsonRead.NonNegativeInt32(ref reader, out payerAge); break;
                case TxnFields.PayeeAccount: r = JsonRead.String(ref reader, out payeeAccount); break;
                case TxnFields.PayeeBank: r = JsonRead.String(ref reader, out payeeBank); break;
                case TxnFields.PayeeKind: r = EnumRead.PayeeKind(ref reader, out payeeKind); break;
                case TxnFields.PayeeOpenedMs: r = JsonRead.Int64(ref reader, out payeeOpenedMs); break;
                case TxnFields.AmountMinor: r = JsonRead.NonNegativeInt64(ref reader, out amountMinor); break;
                case TxnFields.Currency: r = JsonRead.String(ref reader, out currency); break;
                case TxnFields.PayerBalanceAfterMinor: r = JsonRead.Int64(ref reader, out payerBalanceAfterMinor); break;
                default: r = JsonRead.String(ref reader, out deviceId); break;
            }

            if (!fields.Accept(field, r, out error))
            {
                return false;
            }
        }

        if (!EndObject(ref reader, out error) || !fields.Complete(out error))
        {
            return false;
        }

        ev = new TxnEvent
        {
            TxnId = txnId,
            TsMs = tsMs,
            Status = status,
            Channel = channel,
            Type = type,
            PayerAccount = payerAccount,
            PayerMsisdn = payerMsisdn,
            PayerCustomerId = payerCustomerId,
            PayerAge = fields.Has(TxnFields.PayerAge) ? payerAge : null,
            PayeeAccount = payeeAccount,
            PayeeBank = payeeBank,
            PayeeKind = payeeKind,
            PayeeOpenedMs = fields.Has(TxnFields.PayeeOpenedMs) ? payeeOpenedMs : null,
            AmountMinor = amountMinor,
            Currency = currency,
            PayerBalanceAfterMinor = fields.Has(TxnFields.PayerBalanceAfterMinor) ? payerBalanceAfterMinor : null,
            DeviceId = deviceId,
        };
        return true;
    }

    /// <summary>
    /// Every field of a transaction, nested ones included, in declaration order: one bit each in the field tracker's masks,
    /// so a missing <c>payer</c> is reported before a missing <c>payer.account</c>. Matches the top-level names.
    /// </summary>
    private readonly struct TxnFields : IFieldSet
    {
        public const int TxnId = 0, TsMs = 1, Status = 2, Channel = 3, Type = 4, Payer = 5, PayerAccount = 6, PayerMsisdn = 7,
            PayerCustomerId = 8, PayerAge = 9, Payee = 10, PayeeAccount = 11, PayeeBank = 12, PayeeKind = 13, PayeeOpenedMs = 14,
            AmountMinor = 15, Currency = 16, PayerBalanceAfterMinor = 17, DeviceId = 18;

        public static readonly string[] Names =
        [
            "txn_id", "ts_ms", "status", "channel", "type", "payer", "payer.account", "payer.msisdn", "payer.customer_id",
            "payer.age", "payee", "payee.account", "payee.bank", "payee.kind", "payee.opened_ms", "amount_minor", "currency",
            "payer_balance_after_minor", "device_id",
        ];

        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 4:
                    if (name.SequenceEqual("type"u8)) { return Type; }
                    break;
                case 5:
                    if (name.SequenceEqual("ts_ms"u8)) { return TsMs; }
                    if (name.SequenceEqual("payer"u8)) { return Payer; }
                    if (name.SequenceEqual("payee"u8)) { return Payee; }
                    break;
                case 6:
                    if (name.SequenceEqual("txn_id"u8)) { return TxnId; }
                    if (name.SequenceEqual("status"u8)) { return Status; }
                    break;
                case 7:
                    if (name.SequenceEqual("channel"u8)) { return Channel; }
                    break;
                case 8:
                    if (name.SequenceEqual("currency"u8)) { return Currency; }
                    break;
                case 9:
                    if (name.SequenceEqual("device_id"u8)) { return DeviceId; }
                    break;
                case 12:
                    if (name.SequenceEqual("amount_minor"u8)) { return AmountMinor; }
                    break;
                case 25:
                    if (name.SequenceEqual("payer_balance_after_minor"u8)) { return PayerBalanceAfterMinor; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The fields of the <c>payer</c> object, as indices into <see cref="TxnFields"/>.</summary>
    private readonly struct PayerFields : IFieldSet
    {
        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 3:
                    if (name.SequenceEqual("age"u8)) { return TxnFields.PayerAge; }
                    break;
                case 6:
                    if (name.SequenceEqual("msisdn"u8)) { return TxnFields.PayerMsisdn; }
                    break;
                case 7:
                    if (name.SequenceEqual("account"u8)) { return TxnFields.PayerAccount; }
                    break;
                case 11:
                    if (name.SequenceEqual("customer_id"u8)) { return TxnFields.PayerCustomerId; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The fields of the <c>payee</c> object, as indices into <see cref="TxnFields"/>.</summary>
    private readonly struct PayeeFields : IFieldSet
    {
        public static int Match(ReadOnlySpan<byte> name)
        {
            switch (name.Length)
            {
                case 4:
                    if (name.SequenceEqual("bank"u8)) { return TxnFields.PayeeBank; }
                    if (name.SequenceEqual("kind"u8)) { return TxnFields.PayeeKind; }
                    break;
                case 7:
                    if (name.SequenceEqual("account"u8)) { return TxnFields.PayeeAccount; }
                    break;
                case 9:
                    if (name.SequenceEqual("opened_ms"u8)) { return TxnFields.PayeeOpenedMs; }
                    break;
            }

            return -1;
        }
    }

    /// <summary>The txn parse as an <see cref="IEventBody{TEvent}"/>.</summary>
    private readonly struct TxnBody : IEventBody<TxnEvent>
    {
        public static bool Parse<TTokens>(EventParser parser, ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out TxnEvent ev, out ParseError error)
            where TTokens : IJsonTokens, allows ref struct
            => parser.ParseTxn(ref reader, out ev, out error);
    }
}
