using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FraudShield.Ingest.Events;

namespace FraudShield.Benchmarks;

/// <summary>
/// Parsing one message of each event type into its ref struct, against a bare <see cref="Utf8JsonReader"/> scan of
/// the same bytes (the baseline: the least any JSON parser must do). Setup checks each parse succeeds with the
/// expected fields; every benchmark checks its result.
/// </summary>
[BenchmarkCategory("parse")]
public class ParseBenchmarks
{
    private readonly EventParser _parser = new();
    private byte[] _json = [];
    private long _expected;
    private int _tokens;

    /// <summary>The event type parsed.</summary>
    [ParamsAllValues]
    public EventKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _json = CannedEvents.Of(Kind);
        _tokens = CountTokens(_json);
        _expected = ParseChecksum();
        WatchlistFixture.Check(_expected > 0, $"{Kind} sample did not parse");
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public int ReaderScan()
    {
        var tokens = CountTokens(_json);
        WatchlistFixture.Check(tokens == _tokens, "token count changed");
        return tokens;
    }

    [Benchmark]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public long Parse()
    {
        var checksum = ParseChecksum();
        WatchlistFixture.Check(checksum == _expected, "parse result changed");
        return checksum;
    }

    private static int CountTokens(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    // A value built from several parsed fields: the parse must have happened and found them.
    private long ParseChecksum()
    {
        switch (Kind)
        {
            case EventKind.Call:
                return _parser.TryParseCall(_json, out var call, out _) ? (long)(call.Called ^ call.Calling) + call.StartMs + call.EventId.Length : -1;
            case EventKind.Sms:
            case EventKind.Device:
                if (!_parser.TryParseSignal(_json, out var kind, out var sms, out var device, out _))
                {
                    return -1;
                }

                return kind == SignalKind.Sms
                    ? (long)(sms.Sender ^ sms.Receiver) + sms.TsMs
                    : (long)device.Msisdn + device.TsMs + (long)device.Type + device.Package.Length;
            case EventKind.Txn:
                return _parser.TryParseTxn(_json, out var txn, out _) ? (long)txn.PayerMsisdn + txn.AmountMinor + txn.PayeeAccount.Length : -1;
            case EventKind.Watchlist:
                return _parser.TryParseWatchlistEntry(_json, out var entry, out _) ? (long)entry.KeyNumber + entry.Typology.Length : -1;
            default:
                return _parser.TryParseSubject(_json, out var subject, out _) ? subject.PersonId.Length + (subject.BirthYear ?? 0) + subject.StationId.Length : -1;
        }
    }
}
