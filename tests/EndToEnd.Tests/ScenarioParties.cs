using System.Globalization;
using FraudShield.Contracts;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// The parties of the process-level scenario tests: registered victims (one per station S01-S08 in turn) and a listed
/// fraudster number and mule account, published to fs.registry and fs.watchlist with kcat.
/// </summary>
internal static class ScenarioParties
{
    /// <summary>Publishes <paramref name="count"/> victims numbered from <paramref name="firstVictim"/>, the fraudster and the mule; returns the victims' numbers (without '+').</summary>
    public static string[] Publish(string bootstrap, long firstVictim, int count, string fraudster, string mule)
    {
        var victims = Enumerable.Range(0, count).Select(i => (firstVictim + i).ToString(CultureInfo.InvariantCulture)).ToArray();
        HostProcess.Kcat.Produce(bootstrap, Topics.Registry, [.. victims.Select((v, i) => ($"P-{i}", Events.Subject($"P-{i}", "+" + v, $"S0{(i % 8) + 1}", $"S0{(i % 8) + 1}-G01")))]);
        HostProcess.Kcat.Produce(bootstrap, Topics.Watchlist, ("MSISDN:+" + fraudster, Events.ListedNumber(fraudster)), ("ACCOUNT:" + mule, Events.ListedAccount(mule)));
        return victims;
    }
}
