using System.Buffers;
using BenchmarkDotNet.Attributes;
using FraudShield.Contracts.Alerts.V1;
using Google.Protobuf;

namespace FraudShield.Benchmarks;

/// <summary>
/// Encoding an alert for fs.alerts and the gRPC stream: <see cref="MessageExtensions.ToByteArray"/> (a new array per
/// alert) against writing into a reused buffer. The alert is the real L1 alert of the seed scenario, as the engine
/// builds it (<see cref="SeedAlert"/>); setup checks every encoding decodes back to an equal alert.
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
        _alert = SeedAlert.Build();
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
}
