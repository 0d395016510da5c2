using FraudShield.Contracts;
using FraudShield.Ingest.Events;

namespace FraudShield.RuleEngine.Engine;

/// <summary>The input topics the engine consumes (<see cref="Topics.EngineInputs"/>, in that order).</summary>
public enum EventTopic : byte
{
    /// <summary>fs.calls.</summary>
    Calls,

    /// <summary>fs.txns.</summary>
    Txns,

    /// <summary>fs.signals (sms and device).</summary>
    Signals,

    /// <summary>fs.rebates (internal: <see cref="RebateRecord"/>s routed to the receiver's partition).</summary>
    Rebates,
}

/// <summary>
/// Parses one message of an event topic and hands it to the <see cref="EngineCore"/>: the one path from bytes to
/// rules, used by the Kafka consume loop, replay and tests alike. Allocation-free for valid events.
/// </summary>
public sealed class EventDispatcher
{
    private readonly EngineCore _core;
    private readonly EventParser _parser;

    /// <summary>Dispatches to <paramref name="core"/>, parsing with <paramref name="parser"/> (single-threaded, as the core).</summary>
    public EventDispatcher(EngineCore core, EventParser parser)
    {
        _core = core ?? throw new ArgumentNullException(nameof(core));
        _parser = parser ?? throw new ArgumentNullException(nameof(parser));
    }

    /// <summary>The input topic of a topic name, or false for any other topic.</summary>
    public static bool TryGetTopic(string topicName, out EventTopic topic)
    {
        switch (topicName)
        {
            case Topics.Calls:
                topic = EventTopic.Calls;
                return true;
            case Topics.Txns:
                topic = EventTopic.Txns;
                return true;
            case Topics.Signals:
                topic = EventTopic.Signals;
                return true;
            case Topics.Rebates:
                topic = EventTopic.Rebates;
                return true;
            default:
                topic = default;
                return false;
        }
    }

    /// <summary>
    /// Parses and processes one event; false (with the reason) when the event is bad input, or arrived too late to be
    /// applied (<see cref="RejectReason.Late"/>, field <c>end_ms</c> or <c>ts_ms</c>: it ended more than the lateness
    /// before the latest event time seen, see <see cref="EngineCore.Admit"/>).
    /// </summary>
    public bool TryProcess(EventTopic topic, ReadOnlySpan<byte> value, long timestampMs, out ParseError error)
    {
        switch (topic)
        {
            case EventTopic.Calls:
                if (!_parser.TryParseCall(value, out var call, out error))
                {
                    return false;
                }

                if (!_core.Admit(call.StartMs, EngineCore.CallEndMs(in call), timestampMs))
                {
                    error = new ParseError(RejectReason.Late, "end_ms");
                    return false;
                }

                _core.OnCall(in call, timestampMs);
                return true;
            case EventTopic.Txns:
                if (!_parser.TryParseTxn(value, out var txn, out error))
                {
                    return false;
                }

                if (!_core.Admit(txn.TsMs, txn.TsMs, timestampMs))
                {
                    error = new ParseError(RejectReason.Late, "ts_ms");
                    return false;
                }

                _core.OnTxn(in txn, timestampMs);
                return true;
            case EventTopic.Rebates:
                // Derived from a transfer already admitted by the engine that judged it: applied whenever it arrives.
                if (!RebateRecord.TryRead(value, out var rebate, out var problem))
                {
                    error = new ParseError(RejectReason.InvalidValue, problem);
                    return false;
                }

                _core.OnRebate(in rebate);
                error = default;
                return true;
            default:
                if (!_parser.TryParseSignal(value, out var kind, out var sms, out var device, out error))
                {
                    return false;
                }

                if (!_core.Admit(kind == SignalKind.Sms ? sms.TsMs : device.TsMs, kind == SignalKind.Sms ? sms.TsMs : device.TsMs, timestampMs))
                {
                    error = new ParseError(RejectReason.Late, "ts_ms");
                    return false;
                }

                if (kind == SignalKind.Sms)
                {
                    _core.OnSms(in sms, timestampMs);
                }
                else
                {
                    _core.OnDevice(in device, timestampMs);
                }

                return true;
        }
    }
}
