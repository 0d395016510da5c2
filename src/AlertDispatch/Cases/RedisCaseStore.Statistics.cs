using System.Globalization;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using StackExchange.Redis;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// <c>Alerts.Stats</c> from counters summed ahead, and the schema upgrade that builds them for a store written before.
/// </summary>
/// <remarks>
/// <para>Keys: <c>{prefix}r:{hour}:{scope}</c> is a hash of the statistics counters (<see cref="CaseStatistics"/>)
/// summed over the cases opened in that hour (hours since the epoch, UTC) that the scope holds, one field per status,
/// severity and counter (<c>{status}.{severity}.{counter}</c>); the scopes are <c>all</c> and the <c>station:{id}</c>
/// and <c>grid:{id}</c> of each case's home and current jurisdictions, as the query indexes have them.
/// <c>{prefix}rh:{scope}</c> is a sorted set of the hours a scope has counters in.</para>
/// <para>The transaction that changes a case takes its old counters away and adds its new ones, and a retirement
/// takes them away, so a bucket always sums exactly the cases stored. Statistics over a station's, a grid's or the
/// province's window then read one hash per hour wholly inside the window and count the cases of the partial hours at
/// its ends one by one (<see cref="ScanAsync"/>); a filter on station and grid together counts every case.</para>
/// </remarks>
public sealed partial class RedisCaseStore
{
    // The schema key's value once the query indexes and the statistics counters are kept, and the value it had when
    // only the indexes were (a store written by the version before the counters).
    private const string CurrentSchema = "stats-counters-1";
    private const string QueryIndexSchema = "query-indexes-1";

    private const long BucketMs = 3_600_000;
    private const string AllScope = "all";
    private static readonly TimeSpan UpgradeLockTime = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    /// <remarks>Reads the counters of every whole hour of the window (<see cref="RedisCaseStore"/>'s remarks), about 1 ms per 10 hours, whatever the cases number.</remarks>
    public async Task<StatsReply> StatsAsync(CaseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var tally = new CaseStatistics.Tally();

        // The hours wholly inside [FromMs, ToMs]; 0 leaves that end open.
        var first = query.FromMs == 0 ? long.MinValue : FloorDiv(query.FromMs + BucketMs - 1, BucketMs);
        var last = query.ToMs == 0 ? long.MaxValue : FloorDiv(query.ToMs + 1, BucketMs) - 1;

        // Counters are summed per station or per grid, not per pair of them; a window within one hour holds no whole one.
        if ((!string.IsNullOrEmpty(query.StationId) && !string.IsNullOrEmpty(query.GridId)) || first > last)
        {
            await tally.AddAsync(ScanAsync(query, cancellationToken), cancellationToken);
            return tally.Reply();
        }

        if (query.FromMs != 0 && query.FromMs < first * BucketMs)
        {
            await tally.AddAsync(ScanAsync(query with { ToMs = (first * BucketMs) - 1 }, cancellationToken), cancellationToken);
        }

        if (query.ToMs != 0 && query.ToMs >= (last + 1) * BucketMs)
        {
            await tally.AddAsync(ScanAsync(query with { FromMs = (last + 1) * BucketMs }, cancellationToken), cancellationToken);
        }

        try
        {
            await AddCountersAsync(tally, query, first, last, cancellationToken);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        return tally.Reply();
    }

    private async Task AddCountersAsync(CaseStatistics.Tally tally, CaseQuery query, long first, long last, CancellationToken cancellationToken)
    {
        var scope = !string.IsNullOrEmpty(query.StationId) ? StationKind + query.StationId
            : !string.IsNullOrEmpty(query.GridId) ? GridKind + query.GridId
            : AllScope;
        var buckets = await _db.SortedSetRangeByScoreAsync(
            BucketsKey(scope),
            first == long.MinValue ? double.NegativeInfinity : first,
            last == long.MaxValue ? double.PositiveInfinity : last).WaitAsync(cancellationToken);
        const int Pipelined = 256;
        for (var start = 0; start < buckets.Length; start += Pipelined)
        {
            var batch = _db.CreateBatch();
            var reads = new Task<HashEntry[]>[Math.Min(Pipelined, buckets.Length - start)];
            for (var i = 0; i < reads.Length; i++)
            {
                reads[i] = batch.HashGetAllAsync(CountersKey((long)buckets[start + i], scope));
            }

            batch.Execute();
            foreach (var entries in await Task.WhenAll(reads).WaitAsync(cancellationToken))
            {
                foreach (var entry in entries)
                {
                    var (status, severity, counter) = ParseField(entry.Name.ToString());
                    if ((query.Status == AlertStatus.Unspecified || status == query.Status)
                        && (query.Severity == Severity.Unspecified || severity == query.Severity))
                    {
                        tally.Add(status, counter, (long)entry.Value);
                    }
                }
            }
        }
    }

    /// <summary>The counter changes of one transaction: the counters of the states it takes away and of those it adds.</summary>
    private sealed class CounterChanges(RedisCaseStore store)
    {
        private readonly Dictionary<(RedisKey Key, string Field), long> _deltas = [];
        private readonly HashSet<(string Scope, long Bucket)> _added = [];
        private readonly HashSet<(string Scope, long Bucket)> _removed = [];
        private readonly List<(string Name, long Value)> _counters = [];

        /// <summary>Adds (<paramref name="sign"/> 1) or takes away (-1) one case state's counters; null does nothing.</summary>
        public void Add(CaseState? state, int sign)
        {
            if (state is null)
            {
                return;
            }

            _counters.Clear();
            CaseStatistics.CountersOf(state, _counters);
            var bucket = FloorDiv(state.OpenedMs, BucketMs);
            var prefix = ((int)state.Status).ToString(CultureInfo.InvariantCulture) + "."
                + ((int)(state.Alert?.Severity ?? Severity.Unspecified)).ToString(CultureInfo.InvariantCulture) + ".";
            foreach (var scope in (List<string>)[AllScope, .. JurisdictionsOf(state)])
            {
                (sign > 0 ? _added : _removed).Add((scope, bucket));
                var key = store.CountersKey(bucket, scope);
                foreach (var (name, value) in _counters)
                {
                    var field = (key, prefix + name);
                    _deltas[field] = _deltas.GetValueOrDefault(field) + (sign * value);
                }
            }
        }

        /// <summary>Queues the changes on a transaction or batch; returns the tasks of the queued commands.</summary>
        public List<Task> WriteTo(IBatch batch)
        {
            var tasks = new List<Task>(_deltas.Count + _added.Count);
            foreach (var ((key, field), delta) in _deltas)
            {
                if (delta != 0)
                {
                    tasks.Add(batch.HashIncrementAsync(key, field, delta));
                }
            }

            foreach (var (scope, bucket) in _added)
            {
                if (!_removed.Contains((scope, bucket)))
                {
                    tasks.Add(batch.SortedSetAddAsync(store.BucketsKey(scope), bucket, bucket));
                }
            }

            return tasks;
        }
    }

    private RedisKey CountersKey(long bucket, string scope) => _prefix + "r:" + bucket.ToString(CultureInfo.InvariantCulture) + ":" + scope;

    private RedisKey BucketsKey(string scope) => _prefix + "rh:" + scope;

    private static (AlertStatus Status, Severity Severity, string Counter) ParseField(string field)
    {
        var statusEnd = field.IndexOf('.', StringComparison.Ordinal);
        var severityEnd = field.IndexOf('.', statusEnd + 1);
        return (
            (AlertStatus)int.Parse(field.AsSpan(0, statusEnd), NumberStyles.None, CultureInfo.InvariantCulture),
            (Severity)int.Parse(field.AsSpan(statusEnd + 1, severityEnd - statusEnd - 1), NumberStyles.None, CultureInfo.InvariantCulture),
            field[(severityEnd + 1)..]);
    }

    private static long FloorDiv(long value, long divisor) => (value / divisor) - ((value % divisor) < 0 ? 1 : 0);

    /// <summary>
    /// Brings a store written by an earlier version up to <see cref="CurrentSchema"/>, once: under a lock key (other
    /// processes connecting meanwhile wait for the schema key), deletes counters an upgrade cut short may have left,
    /// then reads every case through the opening-time index a page at a time and adds its query index entries (a store
    /// from before them) and its counters, and records the schema. Every dispatch process sharing the store must run a
    /// version that keeps the counters before any of them serves again (docs/run-config.md): a change written by an
    /// earlier version while or after they are built is not counted.
    /// A page's writes and the schema are written in a transaction that holds only while the lock is still this
    /// process's: one paused past the lock's 30 s (another process then took it and started over) writes nothing more
    /// and waits for that process's upgrade like any other.
    /// </summary>
    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        RedisKey upgradeLock = _prefix + "schema-lock";
        while (await _db.StringGetAsync(_schema).WaitAsync(cancellationToken) != CurrentSchema)
        {
            RedisValue token = Guid.NewGuid().ToString("N");
            if (!await _db.LockTakeAsync(upgradeLock, token, UpgradeLockTime).WaitAsync(cancellationToken))
            {
                await Task.Delay(100, cancellationToken);
                continue;
            }

            try
            {
                if (await UpgradeUnderLockAsync(upgradeLock, token, cancellationToken))
                {
                    return;
                }
            }
            finally
            {
                await _db.LockReleaseAsync(upgradeLock, token);
            }
        }
    }

    // The upgrade itself, under the lock: false when the lock was lost (nothing was written after that).
    private async Task<bool> UpgradeUnderLockAsync(RedisKey upgradeLock, RedisValue token, CancellationToken cancellationToken)
    {
        var schema = await _db.StringGetAsync(_schema).WaitAsync(cancellationToken);
        if (schema == CurrentSchema)
        {
            return true;
        }

        await DeleteCountersAsync(cancellationToken);
        const int Page = 1_000;
        for (long start = 0; ; start += Page)
        {
            if (_beforeUpgradePage is { } beforePage)
            {
                await beforePage(start / Page);
            }

            if (!await _db.LockExtendAsync(upgradeLock, token, UpgradeLockTime).WaitAsync(cancellationToken))
            {
                return false;
            }

            var ids = await _db.SortedSetRangeByRankAsync(_opened, start, start + Page - 1).WaitAsync(cancellationToken);
            if (ids.Length == 0)
            {
                break;
            }

            var values = await _db.StringGetAsync(Array.ConvertAll(ids, id => CaseKey(id.ToString()))).WaitAsync(cancellationToken);
            var transaction = _db.CreateTransaction();
            transaction.AddCondition(Condition.StringEqual(upgradeLock, token));
            var counters = new CounterChanges(this);
            var writes = new List<Task>();
            for (var i = 0; i < ids.Length; i++)
            {
                if (values[i].IsNull)
                {
                    continue;
                }

                var state = CaseState.Parser.ParseFrom((byte[])values[i]!);
                counters.Add(state, +1);
                if (schema != QueryIndexSchema)
                {
                    foreach (var index in QueryIndexesOf(state))
                    {
                        writes.Add(transaction.SortedSetAddAsync(index, ids[i], state.OpenedMs));
                    }
                }
            }

            writes.AddRange(counters.WriteTo(transaction));
            if (!await transaction.ExecuteAsync().WaitAsync(cancellationToken))
            {
                return false;
            }

            await Task.WhenAll(writes).WaitAsync(cancellationToken);
        }

        var done = _db.CreateTransaction();
        done.AddCondition(Condition.StringEqual(upgradeLock, token));
        _ = done.StringSetAsync(_schema, CurrentSchema);
        return await done.ExecuteAsync().WaitAsync(cancellationToken);
    }

    // Every counter key of this prefix (SCAN, so the server is never held up), deleted.
    private async Task DeleteCountersAsync(CancellationToken cancellationToken)
    {
        foreach (var pattern in new[] { GlobEscape(_prefix) + "r:*", GlobEscape(_prefix) + "rh:*" })
        {
            var cursor = "0";
            do
            {
                var reply = (RedisResult[])(await _db.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1_000).WaitAsync(cancellationToken))!;
                cursor = reply[0].ToString();
                var keys = (RedisKey[])reply[1]!;
                if (keys.Length != 0)
                {
                    await _db.KeyDeleteAsync(keys).WaitAsync(cancellationToken);
                }
            }
            while (cursor != "0");
        }
    }

    private static string GlobEscape(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
