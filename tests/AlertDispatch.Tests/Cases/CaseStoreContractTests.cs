using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>
/// The contract every <see cref="ICaseStore"/> keeps, run against each implementation (as dotnet/runtime's
/// ChannelTestBase): derived classes only say how to create and reopen a store.
/// </summary>
public abstract class CaseStoreContractTests
{
    protected const long T0 = 1_700_000_000_000;

    protected static readonly CaseOptions Options = new();

    /// <summary>A new, empty store.</summary>
    protected abstract Task<ICaseStore> CreateAsync();

    /// <summary>Closes the store and opens it again over the same durable state (after a crash where the backend allows).</summary>
    protected abstract Task<ICaseStore> ReopenAsync(ICaseStore store);

    [Fact]
    public async Task GetAsync_Unknown_ReturnsNull()
    {
        await using var store = await CreateAsync();
        Assert.Null(await store.GetAsync("nope").WithTimeout());
    }

    [Fact]
    public async Task UpdateAsync_Missing_TransitionSeesNullAndCreatesRevisionOne()
    {
        await using var store = await CreateAsync();
        CaseState? seen = new();
        var update = await store.UpdateAsync("a1", s =>
        {
            seen = s;
            return CaseTransitions.Open(s, TestAlerts.Make("a1"), T0, Options);
        }).WithTimeout();

        Assert.Null(seen);
        Assert.True(update.Changed);
        Assert.Null(update.Previous);
        Assert.Equal(1, update.Current!.Revision);
        var stored = await store.GetAsync("a1").WithTimeout();
        Assert.Equal(update.Current, stored);
        Assert.Equal(AlertStatus.New, stored!.Status);
        Assert.Equal(T0 + 120_000, stored.AckDueMs);
        Assert.Equal(CaseEventKind.Opened, Assert.Single(stored.History).Kind);
    }

    [Fact]
    public async Task UpdateRederivableAsync_StoresLikeUpdateAsync_AndTheChangeSurvivesAReopen()
    {
        var store = await CreateAsync();
        var opened = await store.UpdateRederivableAsync("a1", s => CaseTransitions.Open(s, TestAlerts.Make("a1"), T0, Options)).WithTimeout();
        var again = await store.UpdateRederivableAsync("a1", s => CaseTransitions.Open(s, TestAlerts.Make("a1"), T0 + 5, Options)).WithTimeout();
        var delivered = await store.UpdateRederivableAsync("a1", s => CaseTransitions.Deliver(s, T0 + 10, "station:S1")).WithTimeout();

        Assert.Equal((true, 1), (opened.Changed, opened.Current!.Revision));
        Assert.False(again.Changed); // an alert opened again (a restarted dispatch re-reading fs.alerts) changes nothing
        Assert.Equal((true, 2, AlertStatus.Delivered), (delivered.Changed, delivered.Current!.Revision, delivered.Current.Status));

        store = await ReopenAsync(store);
        await using (store)
        {
            Assert.Equal(delivered.Current, await store.GetAsync("a1").WithTimeout());
        }
    }

    [Fact]
    public async Task UpdateAsync_TransitionReturnsNull_StoresNothing()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "a1");
        var update = await store.UpdateAsync("a1", s => CaseTransitions.Open(s, TestAlerts.Make("a1"), T0 + 1, Options)).WithTimeout();

        Assert.False(update.Changed);
        Assert.Equal(1, update.Current!.Revision);
        Assert.Equal(1, (await store.GetAsync("a1").WithTimeout())!.Revision);
    }

    [Fact]
    public async Task UpdateAsync_TransitionThrows_PropagatesAndStoresNothing()
    {
        await using var store = await CreateAsync();
        await Assert.ThrowsAsync<CaseNotFoundException>(() => store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0, "station:S1")).AsTask()).WithTimeout();
        Assert.Null(await store.GetAsync("a1").WithTimeout());

        await OpenAsync(store, "a2");
        await Assert.ThrowsAsync<CaseStateException>(() => store.UpdateAsync("a2", s => CaseTransitions.Close(s, "a2", Outcome.Dissuaded, 0, 0, T0, "x")).AsTask()).WithTimeout();
        Assert.Equal(AlertStatus.New, (await store.GetAsync("a2").WithTimeout())!.Status);
    }

    [Fact]
    public async Task UpdateAsync_FullLifecycle_RecordsEveryChangeWithWhoAndWhen()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "a1");
        await store.UpdateAsync("a1", s => CaseTransitions.Deliver(s, T0 + 10, "station:S1")).WithTimeout();
        await store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0 + 20, "station:S1/officer-7")).WithTimeout();
        await store.UpdateAsync("a1", s => CaseTransitions.SetStatus(s, "a1", AlertStatus.Contacted, T0 + 30, "grid:G1")).WithTimeout();
        await store.UpdateAsync("a1", s => CaseTransitions.SetStatus(s, "a1", AlertStatus.OnSite, T0 + 40, "grid:G1")).WithTimeout();
        var closed = (await store.UpdateAsync("a1", s => CaseTransitions.Close(s, "a1", Outcome.Dissuaded, 1_900_000_00, 0, T0 + 50, "station:S1")).WithTimeout()).Current!;

        Assert.Equal(AlertStatus.Closed, closed.Status);
        Assert.Equal(6, closed.Revision);
        Assert.Equal(Outcome.Dissuaded, closed.Outcome);
        Assert.Equal(1_900_000_00, closed.LossPreventedMinor);
        Assert.Equal("station:S1/officer-7", closed.SignedBy);
        Assert.Equal(
            [CaseEventKind.Opened, CaseEventKind.Delivered, CaseEventKind.Signed, CaseEventKind.Status, CaseEventKind.Status, CaseEventKind.Outcome],
            closed.History.Select(h => h.Kind));
        Assert.Equal([T0, T0 + 10, T0 + 20, T0 + 30, T0 + 40, T0 + 50], closed.History.Select(h => h.AtMs));
        Assert.Equal("grid:G1", closed.History[3].Actor);
        Assert.Equal(closed, await store.GetAsync("a1").WithTimeout());
    }

    [Fact]
    public async Task UpdateAsync_ConcurrentSignFor_ExactlyOneWins()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "a1");
        var attempts = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                await store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0 + i, $"station:S1/officer-{i}"));
                return true;
            }
            catch (CaseStateException)
            {
                return false;
            }
        }));

        var results = await Task.WhenAll(attempts).WithTimeout();
        Assert.Equal(1, results.Count(r => r));
        var state = (await store.GetAsync("a1").WithTimeout())!;
        Assert.Single(state.History, h => h.Kind == CaseEventKind.Signed);
        Assert.Equal(2, state.Revision);
    }

    [Fact]
    public async Task UpdateAsync_ConcurrentEscalation_FiresOnce()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "a1");
        var now = T0 + 120_000;
        var attempts = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            (await store.UpdateAsync("a1", s => CaseTransitions.Escalate(s, now, Options))).Changed));

        var results = await Task.WhenAll(attempts).WithTimeout();
        Assert.Equal(1, results.Count(r => r));
        var state = (await store.GetAsync("a1").WithTimeout())!;
        Assert.Equal(EscalationTier.DistrictCentre, state.Tier);
        Assert.Equal(now + 120_000, state.AckDueMs);
        Assert.Single(state.History, h => h.Kind == CaseEventKind.Escalated);
    }

    [Fact]
    public async Task GetDueAsync_PassedDeadlinesEarliestFirst_SignedOnesLeave()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "late", ackDueMs: T0 + 5_000);
        await OpenAsync(store, "early", ackDueMs: T0 + 1_000);
        await OpenAsync(store, "future", ackDueMs: T0 + 60_000);
        await OpenAsync(store, "l4", severity: Severity.L4);

        Assert.Empty(await store.GetDueAsync(T0, 10).WithTimeout());
        Assert.Equal(["early", "late"], await store.GetDueAsync(T0 + 5_000, 10).WithTimeout());
        Assert.Equal(["early"], await store.GetDueAsync(T0 + 5_000, 1).WithTimeout());

        await store.UpdateAsync("early", s => CaseTransitions.Sign(s, "early", T0 + 2_000, "station:S1")).WithTimeout();
        Assert.Equal(["late"], await store.GetDueAsync(T0 + 5_000, 10).WithTimeout());

        await store.UpdateAsync("late", s => CaseTransitions.Escalate(s, T0 + 5_000, Options)).WithTimeout();
        Assert.Equal(["future", "late"], await store.GetDueAsync(T0 + 5_000 + 120_000, 10).WithTimeout());
    }

    [Fact]
    public async Task QueryAsync_FiltersByStationGridStatusLevelAndTime_NewestFirst()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "s1-l1", station: "S1", grid: "G1", now: T0 + 1);
        await OpenAsync(store, "s1-l2", station: "S1", grid: "G2", severity: Severity.L2, now: T0 + 2);
        await OpenAsync(store, "s2-l1", station: "S2", grid: "G3", now: T0 + 3);
        await OpenAsync(store, "s2-away-s1", station: "S2", grid: "G3", currentStation: "S1", now: T0 + 4);
        await store.UpdateAsync("s1-l1", s => CaseTransitions.Sign(s, "s1-l1", T0 + 10, "station:S1")).WithTimeout();

        Assert.Equal(["s2-away-s1", "s2-l1", "s1-l2", "s1-l1"], Ids(await store.QueryAsync(new CaseQuery()).WithTimeout()));
        Assert.Equal(["s2-away-s1", "s1-l2", "s1-l1"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S1" }).WithTimeout()));
        Assert.Equal(["s1-l2"], Ids(await store.QueryAsync(new CaseQuery { GridId = "G2" }).WithTimeout()));
        Assert.Equal(["s1-l1"], Ids(await store.QueryAsync(new CaseQuery { Status = AlertStatus.Signed }).WithTimeout()));
        Assert.Equal(["s1-l2"], Ids(await store.QueryAsync(new CaseQuery { Severity = Severity.L2 }).WithTimeout()));
        Assert.Equal(["s2-l1", "s1-l2"], Ids(await store.QueryAsync(new CaseQuery { FromMs = T0 + 2, ToMs = T0 + 3 }).WithTimeout()));
        Assert.Equal(["s2-away-s1", "s2-l1"], Ids(await store.QueryAsync(new CaseQuery { Limit = 2 }).WithTimeout()));
    }

    [Fact]
    public async Task QueryAsync_CaseMovesStationAndStatus_FoundWhereItIsNow_NotWhereItWas()
    {
        await using var store = await CreateAsync();
        await OpenAsync(store, "moves", station: "S1", grid: "G1", now: T0 + 1);
        await OpenAsync(store, "stays", station: "S1", grid: "G1", now: T0 + 2);

        // Version 2 finds the subject away from home, in S3's grid G7; then S3 signs for it.
        var away = TestAlerts.Make("moves", station: "S1", grid: "G1", version: 2, currentStation: "S3", currentGrid: "G7");
        await store.UpdateAsync("moves", s => CaseTransitions.Open(s, away, T0 + 5, Options)).WithTimeout();
        await store.UpdateAsync("moves", s => CaseTransitions.Sign(s, "moves", T0 + 6, "station:S3")).WithTimeout();
        var back = TestAlerts.Make("moves", station: "S1", grid: "G1", version: 3, currentStation: "S4", currentGrid: "G8");
        await store.UpdateAsync("moves", s => CaseTransitions.Open(s, back, T0 + 7, Options)).WithTimeout();

        Assert.Equal(["stays", "moves"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S1" }).WithTimeout()));
        Assert.Equal(["moves"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S4" }).WithTimeout()));
        Assert.Empty(await store.QueryAsync(new CaseQuery { StationId = "S3" }).WithTimeout());
        Assert.Empty(await store.QueryAsync(new CaseQuery { GridId = "G7" }).WithTimeout());
        Assert.Equal(["moves"], Ids(await store.QueryAsync(new CaseQuery { GridId = "G8", Status = AlertStatus.Signed }).WithTimeout()));
        Assert.Equal(["stays"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S1", Status = AlertStatus.New }).WithTimeout()));
        Assert.Empty(await store.QueryAsync(new CaseQuery { StationId = "S4", Status = AlertStatus.New }).WithTimeout());
    }

    [Fact]
    public async Task QueryAsync_ManyCasesOfOtherStations_FindsAStationsNewestUnderTheLimitAndWindow()
    {
        await using var store = await CreateAsync();
        for (var i = 0; i < 1_200; i++)
        {
            // Station S9 has every 100th case; the others share out the rest.
            await OpenAsync(store, $"c{i:D4}", station: i % 100 == 0 ? "S9" : $"S{i % 7}", now: T0 + i);
        }

        await store.UpdateAsync("c1100", s => CaseTransitions.Sign(s, "c1100", T0 + 5_000, "station:S9")).WithTimeout();

        Assert.Equal(["c1100", "c1000", "c0900"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S9", Limit = 3 }).WithTimeout()));
        Assert.Equal(["c1000", "c0900"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S9", Status = AlertStatus.New, Limit = 2 }).WithTimeout()));
        Assert.Equal(["c0500", "c0400"], Ids(await store.QueryAsync(new CaseQuery { StationId = "S9", FromMs = T0 + 350, ToMs = T0 + 550 }).WithTimeout()));
        Assert.Equal(["c1100"], Ids(await store.QueryAsync(new CaseQuery { Status = AlertStatus.Signed }).WithTimeout()));
        Assert.Equal(12, (await store.QueryAsync(new CaseQuery { StationId = "S9", Limit = 1_000 }).WithTimeout()).Count);
    }

    [Fact]
    public async Task ScanAsync_MoreThanAPageOfCases_EveryMatchingOneNewestFirst_WhateverTheLimit()
    {
        await using var store = await CreateAsync();
        for (var i = 0; i < 1_100; i++)
        {
            await OpenAsync(store, $"c{i:D4}", station: i % 100 == 0 ? "S9" : "S1", now: T0 + i);
        }

        Assert.Equal(Enumerable.Range(0, 1_100).Reverse().Select(i => $"c{i:D4}"), await ScanIdsAsync(store, new CaseQuery { Limit = 1 }).WithTimeout());
        Assert.Equal(
            ["c1000", "c0900", "c0800", "c0700", "c0600", "c0500", "c0400", "c0300", "c0200"],
            await ScanIdsAsync(store, new CaseQuery { StationId = "S9", FromMs = T0 + 200, Limit = 1 }).WithTimeout());
    }

    [Fact]
    public async Task ScanAsync_PagesOfCasesOpenedInTheSameMillisecond_EachCaseOnce_InOneOrderAcrossPages()
    {
        await using var store = await CreateAsync();
        for (var i = 0; i < 1_800; i += 50)
        {
            // 1,200 opened at T0 + 1 (more than two pages of one time), 600 at T0, 1 before: page boundaries fall
            // inside runs of equal times.
            await Task.WhenAll(Enumerable.Range(i, Math.Min(50, 1_800 - i)).Select(k => OpenAsync(store, $"c{k:D4}", now: k < 1_200 ? T0 + 1 : T0))).WithTimeout();
        }

        await OpenAsync(store, "first", now: T0 - 1);

        var ids = await ScanIdsAsync(store, new CaseQuery()).WithTimeout();

        Assert.Equal(1_801, ids.Length);
        Assert.Equal(1_801, ids.Distinct().Count());
        Assert.Equal("first", ids[^1]);

        // Newest first; opened in the same millisecond, greatest id first, across page boundaries as within a page.
        string[] expected = [.. Enumerable.Range(0, 1_200).Reverse().Select(k => $"c{k:D4}"), .. Enumerable.Range(1_200, 600).Reverse().Select(k => $"c{k:D4}"), "first"];
        Assert.Equal(expected, ids);
        var queried = await store.QueryAsync(new CaseQuery { FromMs = T0 + 1, Limit = 2_000 }).WithTimeout();
        Assert.Equal(expected.Take(1_200), queried.Select(c => c.AlertId));
    }

    [Fact]
    public async Task StatsAsync_AfterRandomChangesMovesAndRetirements_AnswersWhatCountingEveryMatchingCaseAnswers()
    {
        const long Hour = 3_600_000;
        var random = new Random(20261207);
        await using var store = await CreateAsync();
        var stored = new Dictionary<string, CaseState>();
        for (var change = 0; change < 1_500; change++)
        {
            // Any state may follow any other: a case moves station, hour, status, outcome and level at random.
            var id = $"c{random.Next(300):D3}";
            var state = RandomCase(random, id, T0 + random.NextInt64(10 * Hour));
            await store.UpdateAsync(id, _ => state).AsTask().WithTimeout();
            stored[id] = state;
        }

        foreach (var id in stored.Keys.Order(StringComparer.Ordinal).Take(40).ToList())
        {
            var closed = stored[id].Clone();
            (closed.Status, closed.Outcome, closed.ClosedMs) = (AlertStatus.Closed, Outcome.Dissuaded, T0 - 1);
            await store.UpdateAsync(id, _ => closed).AsTask().WithTimeout();
            stored.Remove(id);
        }

        Assert.Equal(40, await store.RetireClosedAsync(T0, max: 100).AsTask().WithTimeout());

        var hourAfterT0 = ((T0 / Hour) + 1) * Hour;
        (long From, long To)[] windows =
        [
            (0, 0), (T0 + (Hour * 3 / 2), T0 + (Hour * 29 / 4)), (0, T0 + (3 * Hour) + 17), (T0 + (5 * Hour), 0),
            (hourAfterT0, hourAfterT0 + (4 * Hour) - 1), (T0 + 10, T0 + 20_000),
        ];
        (string? Station, string? Grid)[] scopes = [(null, null), ("S0", null), ("S3", null), (null, "G1"), ("S1", "G1")];
        var compared = 0;
        foreach (var (from, to) in windows)
        {
            foreach (var (station, grid) in scopes)
            {
                foreach (var status in (AlertStatus[])[AlertStatus.Unspecified, AlertStatus.Signed, AlertStatus.Closed])
                {
                    foreach (var severity in (Severity[])[Severity.Unspecified, Severity.L2])
                    {
                        var query = new CaseQuery { FromMs = from, ToMs = to, StationId = station, GridId = grid, Status = status, Severity = severity };
                        var expected = CaseStatistics.Compute(stored.Values.Where(query.Matches));
                        var actual = await store.StatsAsync(query).WithTimeout();
                        Assert.True(expected.Equals(actual), $"{query}:\nexpected {expected}\nactual   {actual}");
                        compared += expected.Total > 0 ? 1 : 0;
                    }
                }
            }
        }

        Assert.True(compared > 100, $"only {compared} queries matched any case");
    }

    // A case in any state: home and current station and grid, level, rules, times, outcome and losses drawn at random.
    private static CaseState RandomCase(Random random, string id, long openedMs)
    {
        var alert = TestAlerts.Make(
            id,
            station: $"S{random.Next(3)}",
            grid: $"G{random.Next(3)}",
            currentStation: random.Next(3) == 0 ? $"S{random.Next(4)}" : null,
            currentGrid: random.Next(3) == 0 ? $"G{random.Next(4)}" : null,
            severity: (Severity)random.Next(1, 5));
        alert.RuleIds.Clear();
        alert.RuleIds.Add(Enumerable.Range(1, 4).Where(_ => random.Next(2) == 0).Select(r => $"R0{r}").DefaultIfEmpty("R05"));
        var state = new CaseState
        {
            AlertId = id,
            Alert = alert,
            Status = (AlertStatus)random.Next(1, 7),
            Tier = (EscalationTier)random.Next(1, 4),
            OpenedMs = openedMs,
            SignedMs = random.Next(2) == 0 ? openedMs + random.Next(1, 600_000) : 0,
            ContactedMs = random.Next(3) == 0 ? openedMs + random.Next(1, 900_000) : 0,
        };
        if (state.Status == AlertStatus.Closed)
        {
            state.ClosedMs = openedMs + 1_000;
            state.Outcome = (Outcome)random.Next(0, 7);
            state.LossPreventedMinor = random.Next(100_000);
            state.LossIncurredMinor = random.Next(2) * random.Next(50_000);
        }

        return state;
    }

    [Fact]
    public async Task StatsAsync_MoreCasesThanAQueryReturns_CountsEveryOne()
    {
        await using var store = await CreateAsync();
        const int Cases = CaseQuery.MaxLimit + 40;
        for (var i = 0; i < Cases; i += 50)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(50, Cases - i)).Select(k => OpenAsync(store, $"c{k:D5}", now: T0 + k))).WithTimeout();
        }

        await store.UpdateAsync("c00007", s => CaseTransitions.Sign(s, "c00007", T0 + 1_007, "station:S1")).WithTimeout();
        using var hub = new AlertHub();
        using var cases = new CaseService(store, hub, new InMemoryOutcomeSink(), Options);

        var stats = await cases.StatsAsync(new CaseQuery { StationId = "S1" }).WithTimeout();

        Assert.Equal(Cases, stats.Total);
        Assert.Equal(1, stats.ByStatus.Single(s => s.Status == AlertStatus.Signed).Count);
        Assert.Equal(1_000, stats.MeanTimeToSignMs);
    }

    [Fact]
    public async Task Changed_RaisedOncePerStoredChange_InOrder()
    {
        await using var store = await CreateAsync();
        var events = new List<CaseState>();
        store.Changed += (_, e) =>
        {
            lock (events)
            {
                events.Add(e.State);
            }
        };

        await OpenAsync(store, "a1");
        await OpenAsync(store, "a1");
        await store.UpdateAsync("a1", s => CaseTransitions.Deliver(s, T0 + 1, "station:S1")).WithTimeout();
        await store.UpdateAsync("a1", s => CaseTransitions.Sign(s, "a1", T0 + 2, "station:S1")).WithTimeout();

        await Poll.UntilAsync(() => Count(events) >= 3, "three change events");
        lock (events)
        {
            Assert.Equal([1L, 2L, 3L], events.Select(e => e.Revision));
            Assert.Equal(AlertStatus.Signed, events[^1].Status);
        }
    }

    [Fact]
    public async Task Reopen_KeepsStatesHistoryDueIndexAndQuery()
    {
        var store = await CreateAsync();
        await OpenAsync(store, "signed", ackDueMs: T0 + 1_000);
        await OpenAsync(store, "pending", ackDueMs: T0 + 2_000);
        await store.UpdateAsync("signed", s => CaseTransitions.Sign(s, "signed", T0 + 500, "station:S1/officer-1")).WithTimeout();
        var before = (await store.GetAsync("signed").WithTimeout())!;

        store = await ReopenAsync(store);
        await using (store)
        {
            Assert.Equal(before, await store.GetAsync("signed").WithTimeout());
            Assert.Equal(["pending"], await store.GetDueAsync(T0 + 10_000, 10).WithTimeout());
            Assert.Equal(2, (await store.QueryAsync(new CaseQuery()).WithTimeout()).Count);

            // Still consistent for the next change after the reopen.
            var update = await store.UpdateAsync("pending", s => CaseTransitions.Escalate(s, T0 + 2_000, Options)).WithTimeout();
            Assert.True(update.Changed);
            Assert.Equal(2, update.Current!.Revision);
        }
    }

    [Fact]
    public async Task RetireClosedAsync_ClosedBeforeTheHorizonGoEarliestFirst_OthersStay_AndItSurvivesAReopen()
    {
        var store = await CreateAsync();
        foreach (var (id, closedMs) in new[] { ("closed-2", T0 + 200), ("closed-1", T0 + 100), ("closed-3", T0 + 300) })
        {
            await OpenAsync(store, id);
            await store.UpdateAsync(id, s => CaseTransitions.Sign(s, id, T0 + 50, "station:S1")).WithTimeout();
            await store.UpdateAsync(id, s => CaseTransitions.Close(s, id, Outcome.Dissuaded, 0, 0, closedMs, "station:S1")).WithTimeout();
        }

        await OpenAsync(store, "unsigned", ackDueMs: T0 + 1_000);
        await OpenAsync(store, "signed");
        await store.UpdateAsync("signed", s => CaseTransitions.Sign(s, "signed", T0 + 10, "station:S1")).WithTimeout();

        Assert.Equal(1, await store.RetireClosedAsync(T0 + 250, max: 1).AsTask().WithTimeout());
        Assert.Null(await store.GetAsync("closed-1").WithTimeout());
        Assert.NotNull(await store.GetAsync("closed-2").WithTimeout());
        Assert.Equal(1, await store.RetireClosedAsync(T0 + 250, max: 10).AsTask().WithTimeout());
        Assert.Equal(0, await store.RetireClosedAsync(T0 + 300, max: 10).AsTask().WithTimeout()); // closed at the horizon: kept

        store = await ReopenAsync(store);
        await using (store)
        {
            Assert.Null(await store.GetAsync("closed-1").WithTimeout());
            Assert.Null(await store.GetAsync("closed-2").WithTimeout());
            Assert.Equal(["closed-3", "signed", "unsigned"], Ids(await store.QueryAsync(new CaseQuery()).WithTimeout()).Order(StringComparer.Ordinal));
            Assert.Equal(["unsigned"], await store.GetDueAsync(T0 + 10_000, 10).WithTimeout());
            Assert.Equal(1, await store.RetireClosedAsync(long.MaxValue, max: 10).AsTask().WithTimeout());
            Assert.Equal(["signed", "unsigned"], Ids(await store.QueryAsync(new CaseQuery()).WithTimeout()).Order(StringComparer.Ordinal));
        }
    }

    protected static Task<CaseUpdate> OpenAsync(ICaseStore store, string id, string station = "S1", string grid = "G1", Severity severity = Severity.L1, long ackDueMs = 0, long now = T0, string? currentStation = null) =>
        store.UpdateAsync(id, s => CaseTransitions.Open(s, TestAlerts.Make(id, station, grid, currentStation: currentStation, severity: severity, ackDueMs: ackDueMs), now, Options)).AsTask().WithTimeout();

    private static async Task<string[]> ScanIdsAsync(ICaseStore store, CaseQuery query)
    {
        var ids = new List<string>();
        await foreach (var state in store.ScanAsync(query))
        {
            ids.Add(state.AlertId);
        }

        return ids.ToArray();
    }

    private static string[] Ids(IReadOnlyList<CaseState> states) => states.Select(s => s.AlertId).ToArray();

    private static int Count(List<CaseState> events)
    {
        lock (events)
        {
            return events.Count;
        }
    }
}
