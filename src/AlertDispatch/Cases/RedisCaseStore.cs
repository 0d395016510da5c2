using System.Globalization;
using System.Runtime.CompilerServices;
using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>Where <see cref="RedisCaseStore"/> connects and which keys it uses.</summary>
public sealed class RedisCaseStoreOptions
{
    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c>. Required.</summary>
    public string Configuration { get; set; } = string.Empty;

    /// <summary>Prefix of every key and of the change channel; dispatch processes sharing cases use the same one. Default <c>fs:dispatch:</c>.</summary>
    public string KeyPrefix { get; set; } = "fs:dispatch:";

    /// <summary>Optimistic attempts per transition before giving up under contention. Default 100.</summary>
    public int MaxAttempts { get; set; } = 100;

    /// <summary>
    /// Tests only: awaited before each page of a schema upgrade (its number from 0) while this process holds the
    /// upgrade lock, to stand for a pause long enough for the lock to expire.
    /// </summary>
    internal Func<long, Task>? BeforeUpgradePage { get; set; }
}

/// <summary>
/// The case store shared by several dispatch processes through one Redis. The only type that touches
/// StackExchange.Redis, so swapping the client stays local.
/// </summary>
/// <remarks>
/// <para>Keys: <c>{prefix}case:{id}</c> holds the protobuf case state; <c>{prefix}due</c> is a sorted set of ids by
/// <see cref="CaseState.NextEscalationMs"/>; <c>{prefix}opened</c> a sorted set of ids by opening time, and
/// <c>{prefix}closed</c> of closed ones by closing time; changes are published on the channel <c>{prefix}changes</c>.</para>
/// <para>Query indexes, sorted sets of ids by opening time: <c>{prefix}q:station:{id}</c> and <c>{prefix}q:grid:{id}</c>
/// for the home and current jurisdictions of each case's alert, <c>{prefix}q:status:{n}</c> for its status. A query
/// walks the one of them (or <c>opened</c>) that holds the fewest cases in its time window and checks every filter on
/// the cases it reads, so its cost follows what one station, grid or status holds, not the province. An index entry
/// never leaves out a case it should hold (it changes in the transaction that changes the case); a stale extra entry
/// costs a read, never a wrong answer. <c>{prefix}schema</c> records that the indexes and the statistics counters
/// (RedisCaseStore.Statistics.cs) are kept: a store written before them is brought up to date once, at the first
/// connect (<see cref="ConnectAsync"/>).</para>
/// <para>A transition is optimistic: read the state, run the transition in .NET, then write in a MULTI/EXEC guarded by
/// WATCH on the exact bytes read (StackExchange.Redis conditions). Only one of two concurrent writers of one case can
/// commit against the same state; the other re-reads and re-runs its transition on the new state (where, e.g., an
/// escalation is no longer due or a sign-for is refused). The index updates and the change notification (PUBLISH)
/// are in the same transaction, so every committed change is announced exactly once to every subscribed process.</para>
/// </remarks>
public sealed partial class RedisCaseStore : ICaseStore
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _db;
    private readonly ChannelMessageQueue _changes;
    private readonly string _prefix;
    private readonly RedisKey _due;
    private readonly RedisKey _opened;
    private readonly RedisKey _closed;
    private readonly RedisKey _schema;
    private readonly int _maxAttempts;
    private readonly Func<long, Task>? _beforeUpgradePage;
    private int _disposed;

    private RedisCaseStore(ConnectionMultiplexer connection, ChannelMessageQueue changes, RedisCaseStoreOptions options)
    {
        _connection = connection;
        _db = connection.GetDatabase();
        _changes = changes;
        _prefix = options.KeyPrefix;
        _due = options.KeyPrefix + "due";
        _opened = options.KeyPrefix + "opened";
        _closed = options.KeyPrefix + "closed";
        _schema = options.KeyPrefix + "schema";
        _maxAttempts = options.MaxAttempts;
        _beforeUpgradePage = options.BeforeUpgradePage;
        _changes.OnMessage(OnChange);
    }

    /// <inheritdoc />
    public event EventHandler<CaseChangedEventArgs>? Changed;

    /// <summary>Connects and subscribes to the change channel.</summary>
    /// <exception cref="RedisConnectionException">Redis is not reachable.</exception>
    public static async Task<RedisCaseStore> ConnectAsync(RedisCaseStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Configuration, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options));
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = true;

        // While Redis is unreachable a command fails at once instead of waiting in a backlog for the reconnect: a
        // console's Ack gets UNAVAILABLE immediately and the alert feed is never held up by the case store.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken);
        RedisCaseStore store;
        try
        {
            // The subscription rides its own connection, which can still be opening when ConnectAsync returns;
            // with fail-fast commands that shows as "no connection available": retry briefly.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (true)
            {
                try
                {
                    var changes = await connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(options.KeyPrefix + "changes")).WaitAsync(cancellationToken);
                    store = new RedisCaseStore(connection, changes, options);
                    break;
                }
                catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50, cancellationToken);
                }
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        try
        {
            await store.EnsureSchemaAsync(cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<CaseState?> GetAsync(string alertId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertId);
        try
        {
            var raw = await _db.StringGetAsync(CaseKey(alertId)).WaitAsync(cancellationToken);
            return raw.IsNull ? null : CaseState.Parser.ParseFrom((byte[])raw!);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<CaseUpdate> UpdateAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(alertId);
        ArgumentNullException.ThrowIfNull(transition);
        try
        {
            return await UpdateCoreAsync(alertId, transition, cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> GetDueAsync(long nowMs, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        try
        {
            return await GetDueCoreAsync(nowMs, max, cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CaseState>> QueryAsync(CaseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        try
        {
            return await QueryCoreAsync(query, cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    private async ValueTask<CaseUpdate> UpdateCoreAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken)
    {
        var key = CaseKey(alertId);
        for (var attempt = 0; attempt < _maxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var raw = await _db.StringGetAsync(key).WaitAsync(cancellationToken);
            // The transition returns a new instance and never changes its argument (ICaseStore.UpdateAsync), so the
            // decoded state serves it, the answer and the counters' old side without a copy.
            var current = raw.IsNull ? null : CaseState.Parser.ParseFrom((byte[])raw!);
            var next = transition(current);
            if (next is null)
            {
                return new CaseUpdate(current, current, false);
            }

            if (ReferenceEquals(next, current))
            {
                next = next.Clone();
            }

            next.AlertId = alertId;
            next.Revision = (current?.Revision ?? 0) + 1;
            var bytes = next.ToByteArray();

            var transaction = _db.CreateTransaction();
            transaction.AddCondition(raw.IsNull ? Condition.KeyNotExists(key) : Condition.StringEqual(key, raw));
            _ = transaction.StringSetAsync(key, bytes);
            _ = next.NextEscalationMs != 0
                ? transaction.SortedSetAddAsync(_due, alertId, next.NextEscalationMs)
                : transaction.SortedSetRemoveAsync(_due, alertId);
            _ = transaction.SortedSetAddAsync(_opened, alertId, next.OpenedMs);
            if (next.Status == AlertStatus.Closed)
            {
                _ = transaction.SortedSetAddAsync(_closed, alertId, next.ClosedMs);
            }

            var indexes = QueryIndexesOf(next);
            foreach (var left in QueryIndexesOf(current))
            {
                if (!indexes.Contains(left))
                {
                    _ = transaction.SortedSetRemoveAsync(left, alertId);
                }
            }

            foreach (var index in indexes)
            {
                _ = transaction.SortedSetAddAsync(index, alertId, next.OpenedMs);
            }

            var counters = new CounterChanges(this);
            counters.Add(current, -1);
            counters.Add(next, +1);
            _ = counters.WriteTo(transaction);
            _ = transaction.PublishAsync(RedisChannel.Literal(_prefix + "changes"), bytes);
            if (await transaction.ExecuteAsync().WaitAsync(cancellationToken))
            {
                return new CaseUpdate(current, next, true);
            }
        }

        throw new TimeoutException($"Alert {alertId}: the case changed concurrently {_maxAttempts} times in a row; try again.");
    }

    /// <inheritdoc />
    /// <remarks>
    /// Closed cases are indexed by closing time (the <c>closed</c> sorted set); each retired case's key and index
    /// entries go in one transaction, guarded by the exact bytes read, as a transition is. Any number of dispatch
    /// processes may retire at once: a case retired twice is deleted once.
    /// </remarks>
    public async ValueTask<int> RetireClosedAsync(long closedBeforeMs, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        try
        {
            var ids = await _db.SortedSetRangeByScoreAsync(_closed, double.NegativeInfinity, closedBeforeMs, Exclude.Stop, Order.Ascending, 0, max)
                .WaitAsync(cancellationToken);
            await RetireAsync(Array.ConvertAll(ids, id => id.ToString()), cancellationToken);
            return ids.Length;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    // Each case is deleted with its index entries and counters in a transaction on the condition that it is still what
    // was read; the batch is read in one MGET and its transactions are sent together, so a batch costs a few round
    // trips, not two a case. A case that changed meanwhile is read and tried again.
    private async Task RetireAsync(string[] alertIds, CancellationToken cancellationToken)
    {
        var left = alertIds;
        for (var attempt = 0; attempt < _maxAttempts && left.Length > 0; attempt++)
        {
            var raws = await _db.StringGetAsync(Array.ConvertAll(left, id => CaseKey(id))).WaitAsync(cancellationToken);
            var done = new Task<bool>[left.Length];
            for (var i = 0; i < left.Length; i++)
            {
                done[i] = RetireTransaction(left[i], raws[i]).ExecuteAsync();
            }

            var retired = await Task.WhenAll(done).WaitAsync(cancellationToken);
            left = left.Where((_, i) => !retired[i]).ToArray();
        }

        if (left.Length > 0)
        {
            throw new TimeoutException($"Alert {left[0]}: the case changed concurrently {_maxAttempts} times in a row while being retired; try again.");
        }
    }

    private ITransaction RetireTransaction(string alertId, RedisValue raw)
    {
        var key = CaseKey(alertId);
        var transaction = _db.CreateTransaction();
        transaction.AddCondition(raw.IsNull ? Condition.KeyNotExists(key) : Condition.StringEqual(key, raw));
        _ = transaction.KeyDeleteAsync(key);
        _ = transaction.SortedSetRemoveAsync(_opened, alertId);
        _ = transaction.SortedSetRemoveAsync(_due, alertId);
        _ = transaction.SortedSetRemoveAsync(_closed, alertId);
        var current = raw.IsNull ? null : CaseState.Parser.ParseFrom((byte[])raw!);
        foreach (var index in QueryIndexesOf(current))
        {
            _ = transaction.SortedSetRemoveAsync(index, alertId);
        }

        var counters = new CounterChanges(this);
        counters.Add(current, -1);
        _ = counters.WriteTo(transaction);
        return transaction;
    }

    private async ValueTask<IReadOnlyList<string>> GetDueCoreAsync(long nowMs, int max, CancellationToken cancellationToken)
    {
        var ids = await _db.SortedSetRangeByScoreAsync(_due, double.NegativeInfinity, nowMs, Exclude.None, Order.Ascending, 0, max)
            .WaitAsync(cancellationToken);
        var result = new List<string>(ids.Length);
        foreach (var id in ids)
        {
            result.Add(id.ToString());
        }

        return result;
    }

    private async ValueTask<IReadOnlyList<CaseState>> QueryCoreAsync(CaseQuery query, CancellationToken cancellationToken)
    {
        var limit = query.EffectiveLimit;
        var result = new List<CaseState>(Math.Min(limit, 256));
        var scan = await StartScanAsync(query, cancellationToken);
        while (result.Count < limit && await scan.NextPageAsync(cancellationToken) is { } page)
        {
            foreach (var state in page)
            {
                if (result.Count == limit)
                {
                    break;
                }

                result.Add(state);
            }
        }

        return result;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Pages of 512 over the narrowest query index, as <see cref="QueryAsync"/> reads them; the next page is read
    /// (fetched and decoded) while the caller consumes this one.
    /// </remarks>
    public async IAsyncEnumerable<CaseState> ScanAsync(CaseQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var scan = await UnlessUnavailableAsync(() => StartScanAsync(query, cancellationToken));
        var next = UnlessUnavailableAsync(() => scan.NextPageAsync(cancellationToken));
        try
        {
            while (await next is { } page)
            {
                next = UnlessUnavailableAsync(() => scan.NextPageAsync(cancellationToken));
                foreach (var state in page)
                {
                    yield return state;
                }
            }
        }
        finally
        {
            // A caller that stops early leaves a page being read: let it finish, so nothing runs on after the scan.
            await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task<IndexScan> StartScanAsync(CaseQuery query, CancellationToken cancellationToken)
    {
        double from = query.FromMs == 0 ? double.NegativeInfinity : query.FromMs;
        double to = query.ToMs == 0 ? double.PositiveInfinity : query.ToMs;
        return new IndexScan(this, query, await NarrowestIndexAsync(query, from, to, cancellationToken), from, to);
    }

    private static async Task<T> UnlessUnavailableAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>
    /// A walk over one query index, newest first, a page at a time: each page's cases read with one MGET, every
    /// filter checked on them, the matching ones newest first. Each page starts where the last one ended, at its
    /// last opening time less the ids already read at that time (not at an offset from the top, which Redis walks
    /// again for every page: a scan of 200,000 cases spent most of its time there).
    /// </summary>
    private sealed class IndexScan(RedisCaseStore store, CaseQuery query, RedisKey index, double from, double to)
    {
        private const int Page = 512;
        private double _to = to;
        private long _skip;
        private bool _done;

        /// <summary>The next page's matching cases (possibly none), or null when the index is walked.</summary>
        public async Task<List<CaseState>?> NextPageAsync(CancellationToken cancellationToken)
        {
            if (_done)
            {
                return null;
            }

            var db = store._db;
            var ids = await db.SortedSetRangeByScoreWithScoresAsync(index, from, _to, Exclude.None, Order.Descending, _skip, Page).WaitAsync(cancellationToken);
            _done = ids.Length < Page;
            if (ids.Length == 0)
            {
                return null;
            }

            // The next page starts at this one's last time, after the ids read at that time (all of this page's when
            // every one of them is at the time this page started from).
            var last = ids[^1].Score;
            var atLast = 0;
            for (var i = ids.Length - 1; i >= 0 && ids[i].Score == last; i--)
            {
                atLast++;
            }

            (_to, _skip) = last == _to ? (_to, _skip + atLast) : (last, atLast);

            var keys = new RedisKey[ids.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                keys[i] = store.CaseKey(ids[i].Element.ToString());
            }

            var values = await db.StringGetAsync(keys).WaitAsync(cancellationToken);
            var page = new List<CaseState>(values.Length);
            foreach (var value in values)
            {
                if (!value.IsNull)
                {
                    var state = CaseState.Parser.ParseFrom((byte[])value!);
                    if (query.Matches(state))
                    {
                        page.Add(state);
                    }
                }
            }

            // Redis's own order (ZREVRANGEBYSCORE: equal times by member, greatest first), which the next page continues.
            page.Sort(static (a, b) => a.OpenedMs != b.OpenedMs ? b.OpenedMs.CompareTo(a.OpenedMs) : string.CompareOrdinal(b.AlertId, a.AlertId));
            return page;
        }
    }

    // Of the indexes that hold every case the query can match (all cases; the station's, the grid's, the status's),
    // the one with the fewest cases in the time window.
    private async Task<RedisKey> NarrowestIndexAsync(CaseQuery query, double from, double to, CancellationToken cancellationToken)
    {
        var candidates = new List<RedisKey>(3);
        if (!string.IsNullOrEmpty(query.StationId))
        {
            candidates.Add(QueryIndex(StationKind + query.StationId));
        }

        if (!string.IsNullOrEmpty(query.GridId))
        {
            candidates.Add(QueryIndex(GridKind + query.GridId));
        }

        if (query.Status != AlertStatus.Unspecified)
        {
            candidates.Add(StatusIndex(query.Status));
        }

        if (candidates.Count == 0)
        {
            return _opened;
        }

        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        var counts = await Task.WhenAll(candidates.Select(key => _db.SortedSetLengthAsync(key, from, to))).WaitAsync(cancellationToken);
        return candidates[Array.IndexOf(counts, counts.Min())];
    }

    // The query indexes a case belongs in: its alert's home and current station and grid (when known), its status.
    private List<RedisKey> QueryIndexesOf(CaseState? state)
    {
        var indexes = new List<RedisKey>(5);
        if (state is null)
        {
            return indexes;
        }

        foreach (var jurisdiction in JurisdictionsOf(state))
        {
            indexes.Add(QueryIndex(jurisdiction));
        }

        indexes.Add(StatusIndex(state.Status));
        return indexes;
    }

    // What a station or grid filter finds a case by: "station:{id}" and "grid:{id}" for its alert's home and current
    // jurisdictions (when known), each once.
    private static List<string> JurisdictionsOf(CaseState state)
    {
        var jurisdictions = new List<string>(4);
        if (state.Alert is { } alert)
        {
            var route = AlertRoute.Of(alert);
            foreach (var (kind, id) in (ReadOnlySpan<(string, string)>)[(StationKind, route.HomeStation), (StationKind, route.CurrentStation), (GridKind, route.HomeGrid), (GridKind, route.CurrentGrid)])
            {
                if (id.Length > 0 && kind + id is var jurisdiction && !jurisdictions.Contains(jurisdiction))
                {
                    jurisdictions.Add(jurisdiction);
                }
            }
        }

        return jurisdictions;
    }

    private const string StationKind = "station:";
    private const string GridKind = "grid:";

    // The query index of a jurisdiction as JurisdictionsOf names it ("station:{id}", "grid:{id}").
    private RedisKey QueryIndex(string jurisdiction) => _prefix + "q:" + jurisdiction;

    private RedisKey StatusIndex(AlertStatus status) => _prefix + "q:status:" + ((int)status).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _changes.UnsubscribeAsync();
        await _connection.CloseAsync();
        await _connection.DisposeAsync();
    }

    private RedisKey CaseKey(string alertId) => _prefix + "case:" + alertId;

    private static bool IsUnavailable(Exception ex) => ex is RedisConnectionException or RedisTimeoutException;

    private static CaseStoreUnavailableException Unavailable(Exception ex) =>
        new("Redis is unreachable: " + ex.GetType().Name, ex);

    private void OnChange(ChannelMessage message)
    {
        CaseState state;
        try
        {
            state = CaseState.Parser.ParseFrom((byte[])message.Message!);
        }
        catch (InvalidProtocolBufferException)
        {
            return;
        }

        Changed?.Invoke(this, new CaseChangedEventArgs(state));
    }
}
