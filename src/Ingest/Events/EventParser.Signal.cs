using System.Buffers;
using System.Text.Json;
using FraudShield.Ingest.Events.Internal;

namespace FraudShield.Ingest.Events;

public sealed partial class EventParser
{
    /// <summary>
    /// Parses a message of <c>fs.signals</c>, which carries both SMS and device events. A top-level <c>"kind"</c>
    /// string (<c>"sms"</c> or <c>"device"</c>) decides; without it (or when null) a body containing the bytes
    /// <c>"receiver"</c> is an SMS, anything else a device event. Any other kind is <see cref="RejectReason.UnknownEventKind"/>.
    /// </summary>
    /// <param name="utf8">The message bytes; the event's spans point into them.</param>
    /// <param name="kind">Which event was parsed (meaningful only on success).</param>
    /// <param name="sms">The SMS event when <paramref name="kind"/> is <see cref="SignalKind.Sms"/>, else default.</param>
    /// <param name="device">The device event when <paramref name="kind"/> is <see cref="SignalKind.Device"/>, else default.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is a valid signal.</returns>
    public bool TryParseSignal(ReadOnlySpan<byte> utf8, out SignalKind kind, out SmsEvent sms, out DeviceEvent device, out ParseError error)
    {
        kind = default;
        sms = default;
        device = default;
        if (IsOversized(utf8.Length, out error))
        {
            return false;
        }

        // The kind field read over the fast tokens first; the reader decides when they bail or the kind is rejected.
        var fast = new FastJsonTokens(utf8);
        bool detected = DetectSignalKind(utf8, ref fast, out kind, out error) && !fast.Bailed;
        try
        {
            if (!detected)
            {
                var reader = new ReaderTokens(utf8);
                if (!DetectSignalKind(utf8, ref reader, out kind, out error))
                {
                    return false;
                }
            }
        }
        catch (JsonException)
        {
            return Malformed(out error);
        }
        catch (InvalidOperationException)
        {
            return Malformed(out error);
        }

        return kind == SignalKind.Sms
            ? TryParseSms(utf8, out sms, out error)
            : TryParseDevice(utf8, out device, out error);
    }

    /// <summary>Parses a message of <c>fs.signals</c> from a possibly multi-segment message (see the class remarks).</summary>
    /// <param name="data">The message bytes.</param>
    /// <param name="kind">Which event was parsed (meaningful only on success).</param>
    /// <param name="sms">The SMS event when <paramref name="kind"/> is <see cref="SignalKind.Sms"/>, else default.</param>
    /// <param name="device">The device event when <paramref name="kind"/> is <see cref="SignalKind.Device"/>, else default.</param>
    /// <param name="error">Why the message was rejected; default on success.</param>
    /// <returns>Whether the message is a valid signal.</returns>
    public bool TryParseSignal(in ReadOnlySequence<byte> data, out SignalKind kind, out SmsEvent sms, out DeviceEvent device, out ParseError error)
    {
        if (data.IsSingleSegment)
        {
            return TryParseSignal(data.FirstSpan, out kind, out sms, out device, out error);
        }

        kind = default;
        sms = default;
        device = default;
        return TryLinearize(data, out var span, out error) && TryParseSignal(span, out kind, out sms, out device, out error);
    }

    private static bool DetectSignalKind<TTokens>(ReadOnlySpan<byte> utf8, scoped ref TTokens reader, out SignalKind kind, out ParseError error)
        where TTokens : IJsonTokens, allows ref struct
    {
        kind = default;

        // Only a body that mentions "kind" pays for the top-level scan; the scan stops at the kind field.
        if (utf8.IndexOf("\"kind\""u8) >= 0)
        {
            if (!BeginObject(ref reader, out error))
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isKind = reader.ValueTextEquals("kind"u8);
                reader.Read();
                if (!isKind)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType == JsonTokenType.Null)
                {
                    break;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(RejectReason.WrongType, "kind", out error);
                }

                if (reader.ValueTextEquals("sms"u8) || reader.ValueTextEquals("SMS"u8))
                {
                    kind = SignalKind.Sms;
                    return Succeed(out error);
                }

                if (reader.ValueTextEquals("device"u8) || reader.ValueTextEquals("DEVICE"u8))
                {
                    kind = SignalKind.Device;
                    return Succeed(out error);
                }

                return Fail(RejectReason.UnknownEventKind, "kind", out error);
            }
        }

        kind = utf8.IndexOf("\"receiver\""u8) >= 0 ? SignalKind.Sms : SignalKind.Device;
        return Succeed(out error);
    }
}
