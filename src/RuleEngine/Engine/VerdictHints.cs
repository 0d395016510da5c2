using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Hints for a record about to be judged, given as the poll hands it over: the CPU starts loading what the verdict
/// will wait for first, while the rest of the poll is read. At city scale each is a DRAM miss per event: the party's
/// index bucket in the party store (<see cref="FasterStore{TValue}.PrefetchIndex"/>; the record key is the party's
/// number) and, for a call, the watchlist filter block of the other side of the call (the number R02 looks up),
/// found by <see cref="EventParser.PeekCallNumbers"/> without parsing the record. Once the poll is handed over, the
/// buckets have arrived and <see cref="FollowUp"/> starts loading each party's record they point at
/// (<see cref="FasterStore{TValue}.PrefetchRecord"/>). Hints never change a result; a key or record they cannot read
/// gets none. Measured in <c>EngineBenchmarks.BenignCold</c> (bench/results/2026-12-06-cold.md) and end to end
/// (bench/results/2026-12-06-record-hint.md).
/// </summary>
public sealed class VerdictHints
{
    private readonly FasterStore<PartyState> _parties;
    private readonly Watchlist _watchlist;
    private readonly EventParser _parser;

    // Parties handed over since the last FollowUp (at most a poll's worth; any beyond get no record hint).
    private readonly long[] _partyKeys = new long[EngineWorker.MaxBatch];
    private int _pending;

    /// <summary>Hints over <paramref name="stores"/>, reading numbers as <paramref name="options"/> say.</summary>
    public VerdictHints(EngineStores stores, ParserOptions options)
    {
        ArgumentNullException.ThrowIfNull(stores);
        _parties = stores.Parties;
        _watchlist = stores.Watchlist;
        _parser = new EventParser(options);
    }

    /// <summary>Gives the hints for one record of <paramref name="topic"/>.</summary>
    /// <param name="topic">The record's input topic.</param>
    /// <param name="key">The record key: the party's number in E.164 digits (the event topics' and fs.rebates' keying).</param>
    /// <param name="value">The record's value.</param>
    public void Give(EventTopic topic, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        // A key that is not a party's number (another producer's keying) gets no party hint, and reads as 0 below.
        if (PhoneNumber.TryParseE164Digits(key, out var party))
        {
            _parties.PrefetchIndex((long)party);
            if (_pending < _partyKeys.Length)
            {
                _partyKeys[_pending++] = (long)party;
            }
        }

        if (topic == EventTopic.Calls)
        {
            // The party is the callee of an inbound call and the caller of a call-back; R02 looks up the other side.
            _parser.PeekCallNumbers(value, out var calling, out var called);
            _watchlist.Prefetch(WatchKeyType.Msisdn, party != 0 && party == calling ? called : calling);
        }
    }

    /// <summary>
    /// The second hint for the records handed over since the last call: each party's record, found through the index
    /// bucket <see cref="Give"/> asked for. Call it when the poll is handed over, before the records are judged.
    /// </summary>
    public void FollowUp()
    {
        var keys = _partyKeys;
        for (var i = 0; i < _pending; i++)
        {
            _parties.PrefetchRecord(keys[i]);
        }

        _pending = 0;
    }
}
