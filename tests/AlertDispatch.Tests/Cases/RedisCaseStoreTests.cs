using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using StackExchange.Redis;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>One private redis-server (append-only, fsync always) per test class; it is restarted by the reopen test.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync(appendOnly: true).WithTimeout();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The case store contract on <see cref="RedisCaseStore"/> against a real redis-server; each test has its own key prefix.</summary>
public sealed class RedisCaseStoreTests(RedisServerFixture redis) : CaseStoreContractTests, IClassFixture<RedisServerFixture>
{
    private readonly Dictionary<ICaseStore, string> _prefixes = [];

    protected override async Task<ICaseStore> CreateAsync() => await ConnectAsync($"t{Guid.NewGuid():N}:");

    protected override async Task<ICaseStore> ReopenAsync(ICaseStore store)
    {
        var prefix = _prefixes[store];
        await store.DisposeAsync();

        // A crash of the server itself: only what the append-only file holds comes back.
        await redis.Server.RestartAsync().WithTimeout();
        return await ConnectAsync(prefix);
    }

    [Fact]
    public async Task QueryIndexes_AfterMovesStatusChangesAndRetirement_HoldEachLiveCaseWhereItIsNow()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using (var store = await ConnectAsync(prefix))
        {
            await OpenAsync(store, "a", station: "S1", grid: "G1");
            await OpenAsync(store, "b", station: "S1", grid: "G1");
            var away = TestAlerts.Make("a", station: "S1", grid: "G1", version: 2, currentStation: "S3", currentGrid: "G7");
            await store.UpdateAsync("a", s => CaseTransitions.Open(s, away, T0 + 5, Options)).WithTimeout();
            await store.UpdateAsync("a", s => CaseTransitions.Sign(s, "a", T0 + 6, "station:S3")).WithTimeout();
            await store.UpdateAsync("b", s => CaseTransitions.Sign(s, "b", T0 + 6, "station:S1")).WithTimeout();
            Assert.Equal(
                new Dictionary<string, string[]>
                {
                    ["station:S1"] = ["a", "b"], ["station:S3"] = ["a"], ["grid:G1"] = ["a", "b"], ["grid:G7"] = ["a"],
                    [Status(AlertStatus.Signed)] = ["a", "b"],
                },
                await QueryIndexesAsync(prefix));

            await store.UpdateAsync("a", s => CaseTransitions.Close(s, "a", Outcome.Dissuaded, 0, 0, T0 + 10, "station:S3")).WithTimeout();
            Assert.Equal(["a"], (await QueryIndexesAsync(prefix))[Status(AlertStatus.Closed)]);
            Assert.Equal(1, await store.RetireClosedAsync(T0 + 11, max: 10).AsTask().WithTimeout());
            Assert.Equal(
                new Dictionary<string, string[]> { ["station:S1"] = ["b"], ["grid:G1"] = ["b"], [Status(AlertStatus.Signed)] = ["b"] },
                await QueryIndexesAsync(prefix));
        }
    }

    [Fact]
    public async Task RetireClosedAsync_TwoProcessesRetiringOneBatchAtOnce_DeleteEachCaseOnce_AndCountItOutOnce()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await WithTwoProcessesAsync(prefix, async stores =>
        {
            for (var i = 0; i < 300; i++)
            {
                var id = $"c{i:D3}";
                await OpenAsync(stores[0], id, station: $"S{i % 3}", now: T0 + i);
                if (i % 2 == 0)
                {
                    await stores[0].UpdateAsync(id, s => CaseTransitions.Sign(s, id, T0 + 1_000, "station:S1")).WithTimeout();
                    await stores[0].UpdateAsync(id, s => CaseTransitions.Close(s, id, Outcome.Dissuaded, 0, 0, T0 + 2_000 + i, "station:S1")).WithTimeout();
                }
            }

            // Both read the same 150 closed cases and race to delete them; the loser of each finds it gone.
            var retired = await Task.WhenAll(
                stores[0].RetireClosedAsync(long.MaxValue, max: 256).AsTask(),
                stores[1].RetireClosedAsync(long.MaxValue, max: 256).AsTask()).WithTimeout();

            Assert.All(retired, n => Assert.InRange(n, 0, 150));
            Assert.Equal(0, await stores[1].RetireClosedAsync(long.MaxValue, max: 256).AsTask().WithTimeout());
            var left = await stores[1].QueryAsync(new CaseQuery { Limit = CaseQuery.MaxLimit }).WithTimeout();
            Assert.Equal(150, left.Count);
            Assert.All(left, c => Assert.Equal(AlertStatus.New, c.Status));
            var stats = await stores[1].StatsAsync(new CaseQuery()).WithTimeout();
            Assert.Equal(await CaseStatistics.ComputeAsync(stores[1].ScanAsync(new CaseQuery())).WithTimeout(), stats);
            Assert.Equal(150, stats.Total);
        });
    }

    [Fact]
    public async Task ConnectAsync_StoreWrittenBeforeTheQueryIndexes_IndexesItOnce_AndQueriesFindEveryCase()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        await using (var store = await ConnectAsync(prefix))
        {
            for (var i = 0; i < 2_500; i++)
            {
                await OpenAsync(store, $"c{i:D4}", station: $"S{i % 5}", grid: $"G{i % 3}", now: T0 + i);
            }
        }

        // What a store written by an earlier version holds: the cases and the opening-time index, no query indexes.
        using (var raw = await AdminAsync())
        {
            var db = raw.GetDatabase();
            var stale = raw.GetServer(raw.GetEndPoints()[0]).Keys(pattern: prefix + "q:*").Append((RedisKey)(prefix + "schema")).ToArray();
            Assert.Equal(5 + 3 + 1 + 1, stale.Length);
            await db.KeyDeleteAsync(stale).WithTimeout();
        }

        await using (var store = await ConnectAsync(prefix))
        {
            var s2 = await store.QueryAsync(new CaseQuery { StationId = "S2", Limit = CaseQuery.MaxLimit }).WithTimeout();
            Assert.Equal(500, s2.Count);
            Assert.Equal("c2497", s2[0].AlertId);
            Assert.Equal(834, (await store.QueryAsync(new CaseQuery { GridId = "G0", Limit = CaseQuery.MaxLimit }).WithTimeout()).Count);
            Assert.Equal(2_500, (await store.QueryAsync(new CaseQuery { Status = AlertStatus.New, Limit = CaseQuery.MaxLimit }).WithTimeout()).Count);
        }

        var indexes = await QueryIndexesAsync(prefix);
        Assert.Equal(500, indexes["station:S4"].Length);
        Assert.Equal(2_500, indexes[Status(AlertStatus.New)].Length);
    }

    [Fact]
    public async Task ConnectAsync_StoreWrittenBeforeTheStatisticsCounters_TwoProcessesUpgradingAtOnce_CountEveryCaseOnce()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        CaseQuery[] queries = [new(), new() { StationId = "S1" }, new() { GridId = "G2", Status = AlertStatus.Signed }, new() { Severity = Severity.L1, FromMs = T0 + 1 }];
        // 1,200 cases 10 s apart: 3.3 hours, so statistics read the counters of whole hours.
        var expected = await CasesAndTheirStatisticsAsync(prefix, 1_200, queries);

        // 8 scopes (all, 4 stations, 3 grids): each one's hours, and its counters in each of the 4 hours.
        Assert.Equal(8 + (8 * 4), await ForgetCountersAsync(prefix));
        await WithTwoProcessesAsync(prefix, async stores =>
        {
            foreach (var store in stores)
            {
                for (var i = 0; i < queries.Length; i++)
                {
                    Assert.Equal(expected[i], await store.StatsAsync(queries[i]).WithTimeout());
                }
            }
        });

        Assert.Equal(1_200, expected[0].Total);
    }

    [Fact]
    public async Task ConnectAsync_UpgradePausedPastItsLockWhileAnotherProcessUpgrades_CountsEveryCaseOnce()
    {
        var prefix = $"t{Guid.NewGuid():N}:";
        CaseQuery[] queries = [new(), new() { StationId = "S1" }, new() { GridId = "G2", Status = AlertStatus.Signed }];
        // 2,500 cases: three pages of the upgrade.
        var expected = await CasesAndTheirStatisticsAsync(prefix, 2_500, queries);

        Assert.True(await ForgetCountersAsync(prefix) > 0);

        // The first process is paused before its second page for longer than the lock lasts: the lock expires, a
        // second process takes it and upgrades the whole store. The first must then write nothing more.
        var other = 0;
        await using var paused = await ConnectAsync(prefix, async page =>
        {
            if (page == 1)
            {
                using (var raw = await AdminAsync())
                {
                    Assert.True(await raw.GetDatabase().KeyDeleteAsync(prefix + "schema-lock").WithTimeout());
                }

                await using var second = await ConnectAsync(prefix);
                other++;
            }
        });

        Assert.Equal(1, other);
        for (var i = 0; i < queries.Length; i++)
        {
            Assert.Equal(expected[i], await paused.StatsAsync(queries[i]).WithTimeout());
        }

        Assert.Equal(2_500, expected[0].Total);
    }

    // Two dispatch processes on one prefix, connected at once (each may run the schema upgrade), then closed.
    private async Task WithTwoProcessesAsync(string prefix, Func<ICaseStore[], Task> test)
    {
        var stores = await Task.WhenAll(ConnectAsync(prefix), ConnectAsync(prefix)).WithTimeout();
        try
        {
            await test(stores);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    // Opens the cases c0000.. 10 s apart over 4 stations and 3 grids, every seventh signed, and returns the statistics
    // of each query counted case by case.
    private async Task<List<StatsReply>> CasesAndTheirStatisticsAsync(string prefix, int cases, CaseQuery[] queries)
    {
        await using var store = await ConnectAsync(prefix);
        for (var i = 0; i < cases; i++)
        {
            await OpenAsync(store, $"c{i:D4}", station: $"S{i % 4}", grid: $"G{i % 3}", now: T0 + (i * 10_000L));
            if (i % 7 == 0)
            {
                await store.UpdateAsync($"c{i:D4}", s => CaseTransitions.Sign(s, $"c{i:D4}", T0 + (i * 10_000L) + 30_000, "station:S1")).WithTimeout();
            }
        }

        var expected = new List<StatsReply>();
        foreach (var query in queries)
        {
            expected.Add(await CaseStatistics.ComputeAsync(store.ScanAsync(query)).WithTimeout());
        }

        return expected;
    }

    // What the version before the counters left: the cases and their query indexes, no counters. Returns how many
    // counter keys were deleted.
    private async Task<int> ForgetCountersAsync(string prefix)
    {
        using var raw = await AdminAsync();
        var server = raw.GetServer(raw.GetEndPoints()[0]);
        var counters = server.Keys(pattern: prefix + "r:*").Concat(server.Keys(pattern: prefix + "rh:*")).ToArray();
        await raw.GetDatabase().KeyDeleteAsync(counters).WithTimeout();
        await raw.GetDatabase().StringSetAsync(prefix + "schema", "query-indexes-1").WithTimeout();
        return counters.Length;
    }

    private async Task<ConnectionMultiplexer> AdminAsync() =>
        await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration + ",allowAdmin=true").WithTimeout();

    private static string Status(AlertStatus status) => "status:" + (int)status;

    // Every query index under the prefix (without "q:"), with its ids in order.
    private async Task<Dictionary<string, string[]>> QueryIndexesAsync(string prefix)
    {
        using var raw = await AdminAsync();
        var db = raw.GetDatabase();
        var indexes = new Dictionary<string, string[]>();
        foreach (var key in raw.GetServer(raw.GetEndPoints()[0]).Keys(pattern: prefix + "q:*"))
        {
            var ids = await db.SortedSetRangeByRankAsync(key).WithTimeout();
            indexes[key.ToString()[(prefix.Length + 2)..]] = ids.Select(id => id.ToString()).Order(StringComparer.Ordinal).ToArray();
        }

        return indexes;
    }

    private async Task<ICaseStore> ConnectAsync(string prefix, Func<long, Task>? beforeUpgradePage = null)
    {
        var options = new RedisCaseStoreOptions { Configuration = redis.Server.Configuration, KeyPrefix = prefix, BeforeUpgradePage = beforeUpgradePage };
        var store = await RedisCaseStore.ConnectAsync(options).WithTimeout();
        _prefixes[store] = prefix;
        return store;
    }
}
