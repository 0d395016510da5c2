using System.Diagnostics;
using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- cases 30000</c>: what the dispatch's in-process case store costs the
/// garbage collector holding N cases (a district's month of alerts is ~26,000). Each case is a copy of the seed
/// scenario's L1 alert with its own id, opened, delivered and escalated twice, as a case nobody signs for is (five
/// history entries). Printed: the managed heap the store adds per case, the time of a full blocking collection with
/// it held next to one without it, the time per change (journal written, not flushed to the disk), the time of a
/// query for a station's newest 100 cases, and the time to open the store again (replay the journal and compact it
/// to one line per case, which is also what a compaction while open writes).
/// </summary>
internal static class CaseStoreReport
{
    public static async Task<int> RunAsync(int cases)
    {
        var seed = SeedAlert.Build();
        var options = new CaseOptions();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; cases {cases:N0}");
        var folder = Path.Combine(Path.GetTempPath(), "fraudshield-case-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var emptyPause = HeapProbe.FullCollectionMs();
            var before = HeapProbe.Settle();
            var store = InProcessCaseStore.Open(folder, flushToDisk: false);
            var now = CannedEvents.T0;
            var changeTicks = 0L;
            for (var i = 0; i < cases; i++)
            {
                var alert = SeedAlert.Numbered(seed, i);
                var start = Stopwatch.GetTimestamp();
                await store.UpdateAsync(alert.AlertId, s => CaseTransitions.Open(s, alert, now, options));
                await store.UpdateAsync(alert.AlertId, s => CaseTransitions.Deliver(s, now + 10, "station:S1"));
                await store.UpdateAsync(alert.AlertId, s => CaseTransitions.Escalate(s, s!.NextEscalationMs, options));
                await store.UpdateAsync(alert.AlertId, s => CaseTransitions.Escalate(s, s!.NextEscalationMs, options));
                changeTicks += Stopwatch.GetTimestamp() - start;
                now += 1_000;
            }

            var changeUs = Stopwatch.GetElapsedTime(0, changeTicks).TotalMicroseconds / (cases * 4.0);
            var after = HeapProbe.Settle();
            var heldPause = HeapProbe.FullCollectionMs();
            var station = seed.Home.StationId;
            var clock = Stopwatch.StartNew();
            var newest = await store.QueryAsync(new CaseQuery { StationId = station, Limit = 100 });
            var queryMs = clock.Elapsed.TotalMilliseconds;
            var escalated = newest.Count > 0 && newest[0].Tier == EscalationTier.City;

            await store.DisposeAsync();

            // A start: the journal replayed and compacted to one line per case (what a compaction while open writes too).
            var journalBytes = new FileInfo(Path.Combine(folder, InProcessCaseStore.JournalFileName)).Length;
            clock.Restart();
            await using (var reopened = InProcessCaseStore.Open(folder, flushToDisk: false))
            {
                escalated &= reopened.Count == cases;
            }

            var reopenMs = clock.Elapsed.TotalMilliseconds;
            var compactedBytes = new FileInfo(Path.Combine(folder, InProcessCaseStore.JournalFileName)).Length;

            Console.WriteLine("| cases | managed heap added B/case | full blocking GC ms, store held (without) | change us | query newest 100 of a station ms | open: replay + compaction ms (journal MB before -> after) |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine($"| {cases:N0} | {(after - before) / (double)cases:F0} | {heldPause:F1} ({emptyPause:F1}) | {changeUs:F1} | {queryMs:F1} | {reopenMs:F0} ({journalBytes / 1e6:F1} -> {compactedBytes / 1e6:F1}) |");
            return escalated && newest.Count == Math.Min(100, cases) ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
