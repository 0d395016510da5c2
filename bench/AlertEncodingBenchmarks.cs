using System.Buffers;
using BenchmarkDotNet.Attributes;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Simulation;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using FraudShield.RuleEngine.State;
using Google.Protobuf;

namespace FraudShield.Benchmarks;

/// <summary>
/// Encoding an alert for fs.alerts and the gRPC stream: <see cref="MessageExtensions.ToByteArray"/> (a new array per
/// alert) against writing into a reused buffer. The alert is the real L1 alert of the seed scenario, as the engine
/// builds it; setup checks every encoding decodes back to an equal alert.
/// </summary>
[BenchmarkCategory("alert")]
public class AlertEncodingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private Alert _alert = new();
    private byte[] _span = [];
    private int _size;

    [GlobalSetup]
    public void Setup()
    {
        var city = new CitySimulator(new CityOptions { Residents = 1_000 }, seed: 7);
        var alerts = new List<Alert>();
        using (var stores = new EngineStores(new FasterStoreOptions { IndexBuckets = 1 << 12, MemorySizeBits = 22, PageSizeBits = 18, ExpectedEntries = 1_000 }))
        using (var tables = new TableApplier(stores))
        using (var core = new EngineCore(stores, new RulePackOptions(), new ListSink(alerts)))
        {
            foreach (var record in city.Register().Concat(city.Watchlist()))
            {
                _ = record.Topic == Contracts.Topics.Registry
                    ? tables.ApplyRegistry(record.Value, false, out _)
                    : tables.ApplyWatchlist(record.Key, record.Value, false, out _);
            }

            var dispatcher = new EventDispatcher(core, new EventParser());
            foreach (var record in city.NextScenario(CannedEvents.T0).Records)
            {
                EventDispatcher.TryGetTopic(record.Topic, out var topic);
                dispatcher.TryProcess(topic, record.Value, CannedEvents.T0, out _);
            }
        }

        WatchlistFixture.Check(alerts.Count > 0 && alerts[^1].Severity == Severity.L1, "seed scenario gave no L1 alert");
        _alert = alerts[^1];
        _size = _alert.CalculateSize();
        _span = new byte[_size];
        WatchlistFixture.Check(Alert.Parser.ParseFrom(_alert.ToByteArray()).Equals(_alert), "ToByteArray does not round-trip");
        WriteToPooledBuffer();
        WatchlistFixture.Check(Alert.Parser.ParseFrom(_buffer.WrittenSpan).Equals(_alert), "WriteTo(IBufferWriter) does not round-trip");
        WriteToSpan();
        WatchlistFixture.Check(Alert.Parser.ParseFrom(_span).Equals(_alert), "WriteTo(Span) does not round-trip");
        Console.WriteLine($"// alert: {_size} bytes, {_alert.Hits.Count} rule hits");
    }

    [Benchmark(Baseline = true)]
    public int ToByteArray() => Expect(_alert.ToByteArray().Length);

    // Not zero-alloc: Google.Protobuf's WriteTo allocates inside the library (168 B/op for this alert, measured),
    // our code adds nothing. Alert encoding runs once per alert, off the per-event path.
    [Benchmark]
    public int WriteToPooledBuffer()
    {
        _buffer.ResetWrittenCount();
        _alert.WriteTo(_buffer);
        return Expect(_buffer.WrittenCount);
    }

    [Benchmark]
    public int WriteToSpan()
    {
        var size = _alert.CalculateSize();
        _alert.WriteTo(_span.AsSpan(0, size));
        return Expect(size);
    }

    private int Expect(int size)
    {
        WatchlistFixture.Check(size == _size, "encoded size changed");
        return size;
    }

    private sealed class ListSink(List<Alert> alerts) : IAlertSink
    {
        public void Emit(Alert alert) => alerts.Add(alert);
    }
}
