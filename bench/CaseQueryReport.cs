using System.Diagnostics;
using System.Globalization;
using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- case-query 100000 1000</c>: what a console's or an analyst's
/// <c>Alerts.Query</c> costs against the shared Redis case store (<see cref="RedisCaseStore"/>) holding N cases spread
/// over S stations, as a province's dispatch holds them (~86,000 alerts a day over ~1,000 stations; 30 days of closed
/// cases are kept). Each case is a copy of the seed scenario's L1 alert with its own id, station and grid, opened a
/// second after the one before; every tenth is signed for. On a <see cref="LoopbackRedis"/>. Printed: the time per
/// opening, the median of 5 runs of each query: a station's newest 100, a station's newest 100 still NEW, a grid's
/// newest 100, the newest 100 signed for across the province, and the newest 100 of all; then the time of
/// <c>Alerts.Stats</c> over a station, over every case and over the last 24 hours (one run each), from the store's
/// counters and, for comparison, by counting every matching case; last, every signed case closed and the time per case
/// of retiring them (<see cref="ICaseStore.RetireClosedAsync"/> in the escalation service's batches).
/// </summary>
internal static class CaseQueryReport
{
    private const int Concurrency = 32;
    private const int Rounds = 5;

    public static async Task<int> RunAsync(int cases, int stations)
    {
        var seed = SeedAlert.Build();
        var options = new CaseOptions();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; cases {cases:N0}, stations {stations:N0}");
        using var redis = LoopbackRedis.Start();
        await using var store = await RedisCaseStore.ConnectAsync(new RedisCaseStoreOptions { Configuration = redis.Configuration });

        var clock = Stopwatch.StartNew();
        await InBatchesAsync(cases, 1, i => OpenAsync(store, seed, i, stations, options));
        var openUs = clock.Elapsed.TotalMicroseconds / cases;
        Console.WriteLine($"// {cases:N0} cases opened in {clock.Elapsed.TotalSeconds:F1} s ({Concurrency} at a time); redis used_memory {redis.UsedMemory() / (double)cases:F0} B/case");

        var station = StationOf(cases - 1, stations);
        var expected = Math.Min(100, cases / stations);
        (string Name, CaseQuery Query, Func<IReadOnlyList<CaseState>, bool> Check)[] queries =
        [
            ("a station's newest 100", new CaseQuery { StationId = station }, r => r.Count == expected && r.All(c => c.Alert.Home.StationId == station)),
            ("a station's newest 100 NEW", new CaseQuery { StationId = station, Status = AlertStatus.New }, r => r.Count > 0 && r.All(c => c.Status == AlertStatus.New)),
            ("a grid's newest 100", new CaseQuery { GridId = station + "-G1" }, r => r.Count == expected),
            ("the newest 100 signed", new CaseQuery { Status = AlertStatus.Signed }, r => r.Count == Math.Min(100, cases / 10) && r.All(c => c.Status == AlertStatus.Signed)),
            ("the newest 100 of all", new CaseQuery(), r => r.Count == Math.Min(100, cases)),
        ];

        Console.WriteLine("| query | ms (median of 5) | cases returned |");
        Console.WriteLine("|---|---:|---:|");
        var failed = 0;
        foreach (var (name, query, check) in queries)
        {
            var times = new double[Rounds];
            IReadOnlyList<CaseState> result = [];
            for (var round = 0; round < Rounds; round++)
            {
                var start = Stopwatch.GetTimestamp();
                result = await store.QueryAsync(query with { Limit = 100 });
                times[round] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            var ok = check(result);
            failed += ok ? 0 : 1;
            Console.WriteLine($"| {name} | {times[Rounds / 2]:F2} | {result.Count}{(ok ? string.Empty : " (WRONG)")} |");
        }

        // Statistics count every case their filters match (Alerts.Stats): from the store's counters per hour, and
        // by reading every matching case a page at a time, as before the counters (the same reply, checked).
        var newest = CannedEvents.T0 + ((cases - 1) * 1_000L);
        (string Name, CaseQuery Query, int Total)[] statistics =
        [
            ("statistics of a station", new CaseQuery { StationId = station }, cases / stations),
            ("statistics of all", new CaseQuery(), cases),
            ("statistics of all, the last 24 h", new CaseQuery { FromMs = newest - 86_399_999 }, Math.Min(cases, 86_400)),
        ];
        foreach (var (name, query, total) in statistics)
        {
            var times = new double[Rounds];
            StatsReply stats = new();
            for (var round = 0; round < Rounds; round++)
            {
                var started = Stopwatch.GetTimestamp();
                stats = await store.StatsAsync(query);
                times[round] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            Array.Sort(times);
            var countersMs = times[Rounds / 2];
            var start = Stopwatch.GetTimestamp();
            var counted = await CaseStatistics.ComputeAsync(store.ScanAsync(query));
            var scanMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var ok = stats.Total == total && stats.Equals(counted);
            failed += ok ? 0 : 1;
            Console.WriteLine($"| {name} | {countersMs:F2} (counting every case, once: {scanMs:F2}) | {stats.Total}{(ok ? string.Empty : " (WRONG)")} |");
        }

        Console.WriteLine($"| (opening a case) | {openUs / 1000:F3} | - |");

        // Retirement (the escalation service's daily pass past ClosedCaseRetention): every signed case closed, then
        // retired in the service's batches.
        var closed = await InBatchesAsync(cases, 10, i => CloseAsync(store, i, stations));
        var retireStart = Stopwatch.GetTimestamp();
        int retired = 0, batch;
        while ((batch = await store.RetireClosedAsync(long.MaxValue, options.EscalationBatchSize)) > 0)
        {
            retired += batch;
        }

        var retireMs = Stopwatch.GetElapsedTime(retireStart).TotalMilliseconds;
        var retiredOk = retired == closed && (await store.QueryAsync(new CaseQuery { Status = AlertStatus.Closed })).Count == 0;
        failed += retiredOk ? 0 : 1;
        Console.WriteLine($"| (retiring a closed case, {options.EscalationBatchSize} a batch) | {retireMs / Math.Max(1, retired):F3} | {retired}{(retiredOk ? string.Empty : " (WRONG)")} |");
        return failed == 0 ? 0 : 1;
    }

    // Runs work(i) for i = 0, step, 2 * step, ... below count, Concurrency at a time; returns how many ran.
    private static async Task<int> InBatchesAsync(int count, int step, Func<int, Task> work)
    {
        var pending = new List<Task>(Concurrency);
        var ran = 0;
        for (var i = 0; i < count; i += step, ran++)
        {
            pending.Add(work(i));
            if (pending.Count == Concurrency)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        return ran;
    }

    private static async Task CloseAsync(RedisCaseStore store, int i, int stations)
    {
        var id = SeedAlert.IdOf(i);
        await store.UpdateAsync(id, s => CaseTransitions.Close(s, id, Outcome.Dissuaded, 0, 0, CannedEvents.T0 + (i * 1_000L) + 600, "station:" + StationOf(i, stations)));
    }

    private static string StationOf(int i, int stations) => "S" + (i % stations).ToString("D4", CultureInfo.InvariantCulture);

    private static async Task OpenAsync(RedisCaseStore store, Alert seed, int i, int stations, CaseOptions options)
    {
        var alert = SeedAlert.Numbered(seed, i);
        var station = StationOf(i, stations);
        alert.Home.StationId = station;
        alert.Home.GridId = station + "-G1";
        alert.Current = alert.Home.Clone();
        var opened = CannedEvents.T0 + (i * 1_000L);
        await store.UpdateAsync(alert.AlertId, s => CaseTransitions.Open(s, alert, opened, options));
        if (i % 10 == 0)
        {
            await store.UpdateAsync(alert.AlertId, s => CaseTransitions.Sign(s, alert.AlertId, opened + 500, "station:" + station));
        }
    }
}
