using System.Runtime.CompilerServices;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests;

internal static class TestAlerts
{
    /// <summary>An alert; L1 by default, which every scope of its jurisdiction receives.</summary>
    public static Alert Make(string id, string station = "S1", string grid = "G1", int version = 1, string? currentStation = null, string? currentGrid = null, string msisdn = "8613812345678", Severity severity = Severity.L1, long ackDueMs = 0)
    {
        var alert = new Alert
        {
            AlertId = id,
            Version = version,
            Severity = severity,
            AckDueMs = ackDueMs,
            Typology = "IMPERSONATE_POLICE",
            Subject = new Subject { Msisdn = msisdn, PersonId = "p-" + id },
            Home = new Jurisdiction { StationId = station, GridId = grid, Source = JurisdictionSource.Address },
        };
        if (currentStation is not null || currentGrid is not null)
        {
            alert.Current = new Jurisdiction { StationId = currentStation ?? string.Empty, GridId = currentGrid ?? string.Empty, Source = JurisdictionSource.Cell };
        }

        alert.RuleIds.Add("R01");
        return alert;
    }

    /// <summary>The entry's encoded AlertDelivery as <paramref name="scope"/> receives it: its two parts, joined.</summary>
    public static byte[] EncodedDelivery(this RetainedAlert entry, AlertScope scope)
    {
        var (alert, fields) = entry.Delivery(scope);
        return [.. alert, .. fields];
    }

    /// <summary>Reads exactly <paramref name="count"/> alerts from a subscription within the timeout.</summary>
    public static async Task<List<RetainedAlert>> TakeAsync(this AlertSubscription subscription, int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeoutExtensions.DefaultTimeout);
        var result = new List<RetainedAlert>(count);
        if (count == 0)
        {
            return result;
        }

        await foreach (var entry in subscription.ReadAllAsync(cts.Token))
        {
            result.Add(entry);
            if (result.Count == count)
            {
                break;
            }
        }

        return result;
    }

    public static async IAsyncEnumerable<T> WithCancellation<T>(this IAsyncEnumerable<T> source, TimeSpan timeout, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await foreach (var item in source.WithCancellation(cts.Token))
        {
            yield return item;
        }
    }
}
