using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Engine;

public sealed partial class EngineCore
{
    /// <summary>Applies R02 to an SMS: a message from a listed number, or carrying a listed URL domain, is L3.</summary>
    /// <param name="sms">The parsed SMS.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message.</param>
    public void OnSms(in SmsEvent sms, long sourceTimestampMs)
    {
        EventsProcessed++;
        var party = sms.Receiver;
        var listed = _watch.TryLookup(WatchKeyType.Msisdn, sms.Sender, sms.TsMs, out var hit);
        if (!listed)
        {
            foreach (var domain in sms.UrlDomains)
            {
                if (_watch.TryLookup(WatchKeyType.Url, domain, sms.TsMs, out hit))
                {
                    listed = true;
                    break;
                }
            }
        }

        if (!listed || party == 0)
        {
            return;
        }

        _parties.TryRead((long)party, out var state);
        var firing = default(Firing);
        firing.Add(RuleId.R02, 3, "sms", 1, "confirmed", hit.Level == WatchLevel.Confirmed ? 1 : 0);
        firing.Typology = hit.Typology != 0 ? hit.Typology : _defaultTypology;
        EmitIncident(ref state, party, sms.TsMs, sourceTimestampMs, sms.EventId, ref firing);
        _parties.Upsert((long)party, state);
    }

    /// <summary>Device signals feed the sequence rules (R06, R18) of the full pack; counted here.</summary>
    /// <param name="device">The parsed device event.</param>
    /// <param name="sourceTimestampMs">The Kafka timestamp of the message.</param>
    public void OnDevice(in DeviceEvent device, long sourceTimestampMs)
    {
        _ = device;
        _ = sourceTimestampMs;
        EventsProcessed++;
    }
}
