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
}

/// <summary>
/// The case store shared by several dispatch processes through one Redis. The only type that touches
/// StackExchange.Redis, so swapping the client stays local.
/// </summary>
/// <remarks>
/// <para>Keys: <c>{prefix}case:{id}</c> holds the protobuf case state; <c>{prefix}due</c> is a sorted set of ids by
/// <see cref="CaseState.NextEscalationMs"/>; <c>{prefix}opened</c> a sorted set of ids by opening time; changes are
/// published on the channel <c>{prefix}changes</c>.</para>
/// <para>A transition is optimistic: read the state, run the transition in .NET, then write in a MULTI/EXEC guarded by
/// WATCH on the exact bytes read (StackExchange.Redis conditions). Only one of two concurrent writers of one case can
/// commit against the same state; the other re-reads and re-runs its transition on the new state (where, e.g., an
/// escalation is no longer due or a sign-for is refused). The index updates and the change notification (PUBLISH)
/// are in the same transaction, so every committed change is announced exactly once to every subscribed process.</para>
/// </remarks>
public sealed class RedisCaseStore : ICaseStore
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _db;
    private readonly ChannelMessageQueue _changes;
    private readonly string _prefix;
    private readonly RedisKey _due;
    private readonly RedisKey _opened;
    private readonly RedisKey _closed;
    private readonly int _maxAttempts;
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
        _maxAttempts = options.MaxAttempts;
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
                    return new RedisCaseStore(connection, changes, options);
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
            var current = raw.IsNull ? null : CaseState.Parser.ParseFrom((byte[])raw!);
            var next = transition(current?.Clone());
            if (next is null)
            {
                return new CaseUpdate(current, current, false);
            }

            next = next.Clone();
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
    /// entries go in one transaction. Any number of dispatch processes may retire at once: a case retired twice is
    /// deleted once.
    /// </remarks>
    public async ValueTask<int> RetireClosedAsync(long closedBeforeMs, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        try
        {
            var ids = await _db.SortedSetRangeByScoreAsync(_closed, double.NegativeInfinity, closedBeforeMs, Exclude.Stop, Order.Ascending, 0, max)
                .WaitAsync(cancellationToken);
            foreach (var id in ids)
            {
                var transaction = _db.CreateTransaction();
                _ = transaction.KeyDeleteAsync(CaseKey(id.ToString()));
                _ = transaction.SortedSetRemoveAsync(_opened, id);
                _ = transaction.SortedSetRemoveAsync(_due, id);
                _ = transaction.SortedSetRemoveAsync(_closed, id);
                await transaction.ExecuteAsync().WaitAsync(cancellationToken);
            }

            return ids.Length;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
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
        double from = query.FromMs == 0 ? double.NegativeInfinity : query.FromMs;
        double to = query.ToMs == 0 ? double.PositiveInfinity : query.ToMs;

        // Newest first in pages over the opening-time index; filters other than time run here (a district's
        // ~860 alerts a day keep this cheap).
        const int Page = 512;
        long skip = 0;
        while (result.Count < limit)
        {
            var ids = await _db.SortedSetRangeByScoreAsync(_opened, from, to, Exclude.None, Order.Descending, skip, Page).WaitAsync(cancellationToken);
            if (ids.Length == 0)
            {
                break;
            }

            skip += ids.Length;
            var keys = new RedisKey[ids.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                keys[i] = CaseKey(ids[i].ToString());
            }

            var values = await _db.StringGetAsync(keys).WaitAsync(cancellationToken);
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

            page.Sort(static (a, b) => a.OpenedMs != b.OpenedMs ? b.OpenedMs.CompareTo(a.OpenedMs) : string.CompareOrdinal(a.AlertId, b.AlertId));
            foreach (var state in page)
            {
                if (result.Count == limit)
                {
                    break;
                }

                result.Add(state);
            }

            if (ids.Length < Page)
            {
                break;
            }
        }

        return result;
    }

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
