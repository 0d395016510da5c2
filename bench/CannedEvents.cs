using System.Text;
using FraudShield.Contracts;
using FraudShield.Ingest.Simulation;

namespace FraudShield.Benchmarks;

/// <summary>The event types of DOMAIN.md, one canned message each.</summary>
public enum EventKind
{
    /// <summary>fs.calls.</summary>
    Call,

    /// <summary>fs.signals, an SMS.</summary>
    Sms,

    /// <summary>fs.signals, a device event.</summary>
    Device,

    /// <summary>fs.txns.</summary>
    Txn,

    /// <summary>fs.watchlist.</summary>
    Watchlist,

    /// <summary>fs.registry.</summary>
    Subject,
}

/// <summary>Realistic messages as <see cref="CitySimulator"/> writes them (the device event, which it does not make, by hand).</summary>
internal static class CannedEvents
{
    public const long T0 = 1_790_000_000_000;

    private static readonly byte[] DeviceJson = Encoding.UTF8.GetBytes(
        """{"kind":"device","event_id":"d7-1","msisdn":"+8613800000191","device_id":"dev-7f3a9c","ts_ms":1790000030000,"type":"SCREEN_SHARE_START","package":"com.example.meeting","app_category":"MEETING","on_call":true}""");

    public static byte[] Of(EventKind kind)
    {
        var city = new CitySimulator(new CityOptions { Residents = 1_000 }, seed: 7);
        return kind switch
        {
            EventKind.Call => First(city, Topics.Calls),
            EventKind.Sms => First(city, Topics.Signals),
            EventKind.Txn => First(city, Topics.Txns),
            EventKind.Device => DeviceJson,
            EventKind.Watchlist => city.Watchlist().First().Value,
            _ => city.Register().First().Value,
        };
    }

    private static byte[] First(CitySimulator city, string topic)
    {
        for (var i = 0; ; i++)
        {
            var record = city.NextBenign(T0 + (i * 1000L));
            if (record.Topic == topic)
            {
                return record.Value;
            }
        }
    }
}
