using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Applies records of the compacted table topics (fs.watchlist, fs.registry, fs.cells) to the stores, through its own
/// sessions: one applier per loader thread. A watchlist tombstone (null value) removes the entry named by the
/// record key, "KEY_TYPE:key" (e.g. "ACCOUNT:6222880000000001"); a cells tombstone removes the cell whose id is the key.
/// </summary>
public sealed class TableApplier : IDisposable
{
    private readonly EventParser _parser;
    private readonly ParserOptions _parserOptions;
    private readonly WatchlistSession _watch;
    private readonly RegisterSession _register;
    private readonly CellTable _cells;

    /// <summary>Opens sessions on <paramref name="stores"/> for the calling thread.</summary>
    public TableApplier(EngineStores stores, ParserOptions? parserOptions = null)
    {
        ArgumentNullException.ThrowIfNull(stores);
        _parserOptions = parserOptions ?? ParserOptions.Default;
        _parser = new EventParser(_parserOptions);
        _watch = stores.Watchlist.NewSession();
        _register = stores.Register.NewSession();
        _cells = stores.Cells;
    }

    /// <summary>Applies one fs.watchlist record; false with the reason for bad input.</summary>
    public bool ApplyWatchlist(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, out ParseError error)
    {
        if (tombstone)
        {
            return TryRemove(key, out error);
        }

        if (!_parser.TryParseWatchlistEntry(value, out var entry, out error))
        {
            return false;
        }

        _watch.Upsert(in entry);
        return true;
    }

    /// <summary>Applies one fs.registry record; false with the reason for bad input. Tombstones are ignored.</summary>
    public bool ApplyRegistry(ReadOnlySpan<byte> value, bool tombstone, out ParseError error)
    {
        error = default;
        if (tombstone)
        {
            return true;
        }

        if (!_parser.TryParseSubject(value, out var subject, out error))
        {
            return false;
        }

        _register.Upsert(in subject, _parserOptions);
        return true;
    }

    /// <summary>Applies one fs.cells record (key: the cell id); false with the reason for bad input.</summary>
    public bool ApplyCell(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, out ParseError error)
    {
        if (tombstone)
        {
            if (key.IsEmpty)
            {
                error = new ParseError(RejectReason.MissingField, "key");
                return false;
            }

            _cells.Remove(key);
            error = default;
            return true;
        }

        if (!CellRecord.TryParse(value, out var cell, out error))
        {
            return false;
        }

        _cells.Upsert(cell);
        return true;
    }

    private bool TryRemove(ReadOnlySpan<byte> recordKey, out ParseError error)
    {
        if (!WatchlistKey.TryParse(recordKey, out var type, out var text))
        {
            error = new ParseError(RejectReason.InvalidValue, "key");
            return false;
        }

        ulong number = 0;
        if (type == WatchKeyType.Msisdn && !PhoneNumber.TryNormalize(text, _parserOptions, out number))
        {
            error = new ParseError(RejectReason.InvalidPhoneNumber, "key");
            return false;
        }

        if (type == WatchKeyType.Imei && !System.Buffers.Text.Utf8Parser.TryParse(text, out number, out _))
        {
            error = new ParseError(RejectReason.InvalidValue, "key");
            return false;
        }

        _watch.Remove(type, text, number);
        error = default;
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _register.Dispose();
        _watch.Dispose();
    }
}
