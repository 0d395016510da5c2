using System.Runtime.InteropServices;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;

namespace FraudShield.RuleEngine.State;

/// <summary>A watchlist entry as stored: 32 bytes, blittable.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct WatchValue
{
    /// <summary>Start of validity (epoch ms); 0 = always.</summary>
    public long ValidFromMs;

    /// <summary>End of validity (epoch ms); 0 = open-ended.</summary>
    public long ValidToMs;

    /// <summary>Second, independent hash of the key: guards against 64-bit key collisions.</summary>
    public uint Check;

    /// <summary>Typology reference in the <see cref="StringTable"/>.</summary>
    public int Typology;

    /// <summary>CONFIRMED or SUSPECTED.</summary>
    public WatchLevel Level;

    /// <summary>True when the entry is valid at <paramref name="nowMs"/>.</summary>
    public readonly bool IsValidAt(long nowMs) =>
        (ValidFromMs == 0 || nowMs >= ValidFromMs) && (ValidToMs == 0 || nowMs < ValidToMs);
}

/// <summary>A watchlist hit handed to the rules.</summary>
public readonly record struct WatchHit(WatchLevel Level, int Typology);

/// <summary>What a watchlist occupies, in bytes, by part.</summary>
/// <param name="LogBytes">FASTER log written (records of 48 bytes: 8 header, 8 key, 32 value), in memory or on disk.</param>
/// <param name="InMemoryLogBytes">The part of the log held in memory.</param>
/// <param name="IndexBytes">FASTER hash index, main and overflow buckets.</param>
/// <param name="FilterBytes">The membership filter.</param>
internal readonly record struct WatchlistMemory(long LogBytes, long InMemoryLogBytes, long IndexBytes, long FilterBytes)
{
    /// <summary>Log, index and filter together.</summary>
    public long TotalBytes => LogBytes + IndexBytes + FilterBytes;
}

/// <summary>
/// The watchlists (numbers, IMEIs, accounts, URLs, app packages, devices) in one FASTER store, keyed by a hash of
/// (key type, key). Number keys are hashed from their E.164 value, so every spelling of a number finds the entry.
/// Shared and read-mostly: the table loader writes through its own <see cref="WatchlistSession"/>, each engine
/// thread reads through its own.
/// </summary>
/// <remarks>
/// Most lookups miss (benign traffic), so a <see cref="BlockedBloomFilter"/> over the FASTER key sits in front of the
/// store: a lookup reads FASTER only when the filter says the key is possibly present. Writers add the key to the
/// filter before they upsert it, so a reader that misses in the filter ran before the upsert became visible. Removals
/// leave the key's filter bits set; the resulting false positive reads FASTER, which finds nothing. The filter is
/// sized from <see cref="FasterStoreOptions.ExpectedEntries"/>.
/// </remarks>
public sealed class Watchlist : IDisposable
{
    private readonly FasterStore<WatchValue> _store;
    private readonly string? _checkpoints;
    private long _count;

    /// <summary>Creates an empty watchlist store.</summary>
    public Watchlist(FasterStoreOptions options, StringTable strings)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = new FasterStore<WatchValue>("watchlist", options);
        _checkpoints = options.Directory is null ? null : Path.Combine(options.Directory, "watchlist", "checkpoints");
        Filter = new BlockedBloomFilter(options.ExpectedEntries);
        Strings = strings;
    }

    /// <summary>The string table typologies are interned in.</summary>
    public StringTable Strings { get; }

    /// <summary>Entries added minus entries removed (approximate under concurrent writers).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>A session for the calling thread.</summary>
    public WatchlistSession NewSession() => new(this, _store.NewSession());

    /// <summary>The membership filter in front of the store.</summary>
    internal BlockedBloomFilter Filter { get; }

    /// <summary>Bytes held by the store's log and index and by the filter.</summary>
    internal WatchlistMemory Memory => new(_store.LogBytes, _store.InMemoryLogBytes, _store.IndexBytes, Filter.SizeBytes);

    internal void AdjustCount(long delta) => Interlocked.Add(ref _count, delta);

    /// <summary>
    /// Starts loading the filter block of a number into the cache, so a lookup of it some work later does not wait
    /// for memory (the filter of 1 M entries is 1.5 MB, past the L2 cache). Any thread; no effect on results.
    /// </summary>
    public void Prefetch(WatchKeyType type, ulong number)
    {
        if (number != 0)
        {
            Filter.Prefetch((ulong)WatchlistSession.KeyOfNumber(type, number).Key);
        }
    }

    /// <summary>
    /// A FASTER snapshot checkpoint of the store; call it on the writing thread between two writes, and save the
    /// <see cref="Filter"/> bits and <see cref="Count"/> with it.
    /// </summary>
    internal Guid Checkpoint() => _store.CheckpointFull();

    /// <summary>Restores the store to checkpoint <paramref name="token"/> holding <paramref name="count"/> entries; before any session is opened.</summary>
    internal void Recover(Guid token, long count)
    {
        _store.Recover(token);
        Interlocked.Exchange(ref _count, count);
    }

    /// <summary>Deletes the files of checkpoint <paramref name="token"/>.</summary>
    internal void Purge(Guid token) => _store.Purge(token);

    /// <summary>
    /// False when the metadata files of checkpoint <paramref name="token"/> are missing or empty (purged or torn); true
    /// otherwise, and always for a store in a temporary folder.
    /// </summary>
    internal bool HasCheckpoint(Guid token) => _checkpoints is null || CheckpointFiles.Exist(_checkpoints, token);

    /// <inheritdoc />
    public void Dispose() => _store.Dispose();
}

/// <summary>One thread's access to the <see cref="Watchlist"/>.</summary>
public sealed class WatchlistSession : IDisposable
{
    private readonly Watchlist _owner;
    private readonly BlockedBloomFilter _filter;
    private readonly FasterSession<WatchValue> _session;

    internal WatchlistSession(Watchlist owner, FasterSession<WatchValue> session)
    {
        _owner = owner;
        _filter = owner.Filter;
        _session = session;
    }

    /// <summary>See <see cref="FasterSession{TValue}.BeginBatch"/>.</summary>
    public void BeginBatch() => _session.BeginBatch();

    /// <summary>See <see cref="FasterSession{TValue}.EndBatch"/>.</summary>
    public void EndBatch() => _session.EndBatch();

    /// <summary>Adds or replaces an entry.</summary>
    public void Upsert(in WatchlistEntry entry)
    {
        var (key, check) = KeyOf(entry.KeyType, entry.Key, entry.KeyNumber);
        var value = new WatchValue
        {
            ValidFromMs = entry.ValidFromMs ?? 0,
            ValidToMs = entry.ValidToMs ?? 0,
            Check = check,
            Typology = _owner.Strings.Intern(entry.Typology),
            Level = entry.Level,
        };
        if (!_session.TryRead(key, out _))
        {
            _owner.AdjustCount(1);
        }

        // Filter first: once the record is visible in FASTER, every reader's filter test passes.
        _filter.Add((ulong)key);
        _session.Upsert(key, value);
    }

    /// <summary>Removes the entry of a key given as text (a tombstone on the compacted topic carries only the key).</summary>
    public void Remove(WatchKeyType type, ReadOnlySpan<byte> key, ulong keyNumber)
    {
        var (k, _) = KeyOf(type, key, keyNumber);
        if (_session.TryRead(k, out _))
        {
            _owner.AdjustCount(-1);
            _session.Delete(k);
        }
    }

    /// <summary>See <see cref="Watchlist.Prefetch"/>.</summary>
    public void Prefetch(WatchKeyType type, ulong number) => _owner.Prefetch(type, number);

    /// <summary>Looks up a number (MSISDN or IMEI) valid at <paramref name="nowMs"/>.</summary>
    public bool TryLookup(WatchKeyType type, ulong number, long nowMs, out WatchHit hit)
    {
        hit = default;
        if (number == 0)
        {
            return false;
        }

        var (key, check) = KeyOfNumber(type, number);
        return Found(key, check, nowMs, out hit);
    }

    /// <summary>
    /// Looks up a batch of numbers of one type valid at <paramref name="nowMs"/>, as many calls of
    /// <see cref="TryLookup(WatchKeyType, ulong, long, out WatchHit)"/> would, but with the filter blocks of up to
    /// <see cref="BlockedBloomFilter.BatchWindow"/> numbers requested from memory at once
    /// (<see cref="BlockedBloomFilter.MightContainBatch"/>): when the filter is larger than the caches, their misses
    /// overlap. Numbers the filter may hold are then read from the store one by one. Allocates nothing.
    /// </summary>
    /// <param name="type">The key type of every number (MSISDN or IMEI).</param>
    /// <param name="numbers">The numbers; 0 (no number) never hits.</param>
    /// <param name="nowMs">The time the entries must be valid at.</param>
    /// <param name="hits">Per number, its hit or null; at least as long as <paramref name="numbers"/>.</param>
    /// <returns>The number of hits.</returns>
    public int TryLookupBatch(WatchKeyType type, ReadOnlySpan<ulong> numbers, long nowMs, Span<WatchHit?> hits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hits.Length, numbers.Length, nameof(hits));
        var windowLength = Math.Min(BlockedBloomFilter.BatchWindow, numbers.Length);
        Span<ulong> keys = stackalloc ulong[windowLength];
        Span<bool> possible = stackalloc bool[windowLength];
        var found = 0;
        for (var start = 0; start < numbers.Length; start += keys.Length)
        {
            var window = numbers.Slice(start, Math.Min(keys.Length, numbers.Length - start));
            for (var i = 0; i < window.Length; i++)
            {
                keys[i] = (ulong)KeyOfNumber(type, window[i]).Key;
            }

            _filter.MightContainBatch(keys[..window.Length], possible);
            var windowHits = hits.Slice(start, window.Length);
            for (var i = 0; i < window.Length; i++)
            {
                var number = window[i];
                if (number != 0 && possible[i] && FoundInStore((long)keys[i], CheckOfNumber(number), nowMs, out var hit))
                {
                    windowHits[i] = hit;
                    found++;
                }
                else
                {
                    windowHits[i] = null;
                }
            }
        }

        return found;
    }

    /// <summary>Looks up a textual key (account, URL, package, device) valid at <paramref name="nowMs"/>.</summary>
    public bool TryLookup(WatchKeyType type, ReadOnlySpan<byte> key, long nowMs, out WatchHit hit)
    {
        hit = default;
        if (key.IsEmpty)
        {
            return false;
        }

        return Found(KeyHash.Of((byte)type, key), KeyHash.Check(key), nowMs, out hit);
    }

    /// <summary>As <see cref="TryLookup(WatchKeyType, ulong, long, out WatchHit)"/>, bypassing the filter (benchmarks, tests).</summary>
    internal bool TryLookupUnfiltered(WatchKeyType type, ulong number, long nowMs, out WatchHit hit)
    {
        hit = default;
        if (number == 0)
        {
            return false;
        }

        var (key, check) = KeyOfNumber(type, number);
        return FoundInStore(key, check, nowMs, out hit);
    }

    private bool Found(long key, uint check, long nowMs, out WatchHit hit)
    {
        if (!_filter.MightContain((ulong)key))
        {
            hit = default;
            return false;
        }

        return FoundInStore(key, check, nowMs, out hit);
    }

    private bool FoundInStore(long key, uint check, long nowMs, out WatchHit hit)
    {
        if (_session.TryRead(key, out var value) && value.Check == check && value.IsValidAt(nowMs))
        {
            hit = new WatchHit(value.Level, value.Typology);
            return true;
        }

        hit = default;
        return false;
    }

    private static (long Key, uint Check) KeyOf(WatchKeyType type, ReadOnlySpan<byte> key, ulong keyNumber) =>
        keyNumber != 0 && type is WatchKeyType.Msisdn or WatchKeyType.Imei
            ? KeyOfNumber(type, keyNumber)
            : (KeyHash.Of((byte)type, key), KeyHash.Check(key));

    internal static (long Key, uint Check) KeyOfNumber(WatchKeyType type, ulong number) =>
        (KeyHash.Of((byte)type, number), CheckOfNumber(number));

    private static uint CheckOfNumber(ulong number) => (uint)(number ^ (number >> 32));

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
