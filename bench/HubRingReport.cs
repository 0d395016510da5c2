using System.Diagnostics;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- ring 100000</c>: what the dispatch's <see cref="AlertHub"/> retention
/// ring costs the garbage collector when full (its default holds 100,000 entries). Each alert is a copy of the seed
/// scenario's L1 alert with its own id (as fs.alerts gives each its own), published, then escalated twice, as an
/// alert nobody signs for is (three entries); a console subscribed to every alert reads each entry's delivery, as its
/// writer loop does. Printed: the encoded delivery's size, the managed heap the full ring adds per entry, the time of
/// a full blocking collection with it held next to one without it, and publish-and-read time per entry.
/// </summary>
internal static class HubRingReport
{
    private const int EntriesPerAlert = 3;

    public static int Run(int entries)
    {
        var seed = SeedAlert.Build();
        var alertCount = Math.Max(1, entries / EntriesPerAlert);
        entries = alertCount * EntriesPerAlert;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; ring {entries:N0} entries ({alertCount:N0} alerts)");
        var emptyPause = HeapProbe.FullCollectionMs();

        var before = HeapProbe.Settle();
        var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = entries, DeduplicationCapacity = entries, SubscriberBufferCapacity = 16 });
        var console = hub.Subscribe(AlertScope.All);
        var deliveryBytes = 0L;
        var publishTicks = 0L;
        for (var i = 0; i < alertCount; i++)
        {
            // The alert as the feed decodes it from fs.alerts, and the case store's copy the escalation pass hands over.
            var alert = SeedAlert.Numbered(seed, i);
            var stored = alert.Clone();

            var start = Stopwatch.GetTimestamp();
            hub.Publish(alert);
            hub.PublishEscalation(stored, new Escalation { Tier = EscalationTier.DistrictCentre, EscalatedMs = 1, MissedDueMs = 1, AckDueMs = 2 });
            hub.PublishEscalation(stored, new Escalation { Tier = EscalationTier.City, EscalatedMs = 2, MissedDueMs = 2, AckDueMs = 3 });
            while (console.TryRead(out var entry))
            {
                var (encoded, fields) = entry.Delivery(AlertScope.All);
                deliveryBytes += encoded.Length + fields.Length;
            }

            publishTicks += Stopwatch.GetTimestamp() - start;
        }

        var publishNs = Stopwatch.GetElapsedTime(0, publishTicks).TotalNanoseconds / entries;

        var after = HeapProbe.Settle();
        var heldPause = HeapProbe.FullCollectionMs();
        GC.KeepAlive(hub);
        GC.KeepAlive(console);

        Console.WriteLine("| entries | delivery B (mean) | managed heap added B/entry | full blocking GC ms, ring held (without) | publish and read ns/entry |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        Console.WriteLine(
            $"| {entries:N0} | {deliveryBytes / (double)entries:F0} | {(after - before) / (double)entries:F1} | {heldPause:F1} ({emptyPause:F1}) | {publishNs:F0} |");
        return hub.LastSequence == entries ? 0 : 1;
    }
}
