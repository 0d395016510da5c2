using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using FraudShield.AlertDispatch;
using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Dispatch.V1;
using Google.Protobuf;

namespace FraudShield.Benchmarks;

/// <summary>
/// Writing alerts as gRPC messages into a stream's response body, per message: the dispatch's way (each hub entry's
/// delivery kept encoded, framed by <see cref="DeliveryWire.WriteGrpcMessage"/>, as <c>AlertStreamService</c> writes it)
/// for a console that sees the full number and for one that gets the withheld form, against what grpc-dotnet's
/// generated marshaller does for every message of every subscriber (size the <see cref="AlertDelivery"/> object, write
/// it after the 5-byte prefix). The body is a <see cref="Pipe"/> drained every 64 KiB, the service's flush size, as
/// Kestrel's HTTP/2 output drains the response body. The alerts are copies of the seed scenario's L1 alert
/// (<see cref="SeedAlert"/>, a 539-byte message), each with its own id, published to an <see cref="AlertHub"/>. Setup
/// checks that each way writes the same bytes for the same entry.
/// </summary>
[BenchmarkCategory("grpc")]
public class GrpcFrameBenchmarks : IDisposable
{
    private const int Batch = 1024;
    private const int FlushBytes = 64 * 1024;

    private readonly Pipe _body = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: 16 * 1024, useSynchronizationContext: false));
    private AlertHub? _hub;
    private RetainedAlert[] _entries = [];
    private AlertDelivery[] _messages = [];
    private AlertScope _home = AlertScope.All;
    private AlertScope _elsewhere = AlertScope.All;
    private long _expectedFull;

    [GlobalSetup]
    public void Setup()
    {
        var seed = SeedAlert.Build();
        _home = AlertScope.Station(seed.Home.StationId);
        _elsewhere = AlertScope.Station(seed.Home.StationId + "-elsewhere");
        _hub = new AlertHub(new AlertHubOptions { RetentionCapacity = Batch, DeduplicationCapacity = Batch, SubscriberBufferCapacity = Batch });
        using var reader = _hub.Subscribe(AlertScope.All);
        for (var i = 0; i < Batch; i++)
        {
            var alert = SeedAlert.Numbered(seed, i);
            _hub.Publish(alert);
        }

        _entries = new RetainedAlert[Batch];
        _messages = new AlertDelivery[Batch];
        for (var i = 0; i < Batch; i++)
        {
            WatchlistFixture.Check(reader.TryRead(out _entries[i]), "the hub did not retain every alert");
            _messages[i] = new AlertDelivery
            {
                Alert = _entries[i].DecodeAlert(),
                ResumeToken = _hub.FormatResumeToken(_entries[i].Sequence),
                PublishedMs = _entries[i].PublishedMs,
            };
        }

        // The same bytes both ways; the withheld form differs (no full number) and is encoded once, here.
        var encoded = Frame(b => DeliveryWire.WriteGrpcMessage(b, _entries[0].Delivery(_home)));
        var generated = Frame(b => WriteGenerated(b, _messages[0]));
        WatchlistFixture.Check(encoded.AsSpan().SequenceEqual(generated), "the encoded frame differs from the generated marshaller's");
        WatchlistFixture.Check(BinaryPrimitives.ReadUInt32BigEndian(encoded.AsSpan(1)) == encoded.Length - DeliveryWire.GrpcMessageHeaderSize, "frame length prefix");
        var withheld = AlertDelivery.Parser.ParseFrom(Frame(b => DeliveryWire.WriteGrpcMessage(b, _entries[0].Delivery(_elsewhere))).AsSpan(DeliveryWire.GrpcMessageHeaderSize));
        WatchlistFixture.Check(withheld.Alert.Subject.Msisdn.Length == 0 && withheld.Alert.AlertId == _entries[0].AlertId, "the withheld form carries the number");
        _expectedFull = 0;
        foreach (var entry in _entries)
        {
            var (alert, fields) = entry.Delivery(_home);
            _expectedFull += DeliveryWire.GrpcMessageHeaderSize + alert.Length + fields.Length;
            _ = entry.Delivery(_elsewhere);
        }

        Console.WriteLine($"// gRPC message: {encoded.Length} bytes full, {DeliveryWire.GrpcMessageHeaderSize + withheld.CalculateSize()} withheld");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _hub?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>grpc-dotnet's generated marshaller: each message sized and serialized from its object, per subscriber.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long GeneratedMarshaller()
    {
        var writer = _body.Writer;
        long total = 0;
        var unflushed = 0;
        foreach (var message in _messages)
        {
            unflushed += WriteGenerated(writer, message);
            unflushed = DrainEvery(unflushed, ref total);
        }

        return Expect(_expectedFull, Drain(unflushed, total));
    }

    /// <summary>The dispatch's stream to a console that sees the full number: the entry's shared bytes, framed.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public long EncodedFull() => Expect(_expectedFull, Encoded(_home));

    /// <summary>The same to a console outside the alert's jurisdiction: the withheld form, encoded once per alert version.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    [BenchmarkCategory(BenchConfig.ZeroAlloc)]
    public long EncodedWithheld() => Encoded(_elsewhere);

    private long Encoded(AlertScope scope)
    {
        var writer = _body.Writer;
        long total = 0;
        var unflushed = 0;
        foreach (var entry in _entries)
        {
            unflushed += DeliveryWire.WriteGrpcMessage(writer, entry.Delivery(scope));
            unflushed = DrainEvery(unflushed, ref total);
        }

        return Drain(unflushed, total);
    }

    // The generated serializer's steps: compute the size, write the prefix, write the message.
    private static int WriteGenerated(PipeWriter writer, AlertDelivery message)
    {
        var size = message.CalculateSize();
        var span = writer.GetSpan(DeliveryWire.GrpcMessageHeaderSize + size);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)size);
        message.WriteTo(span.Slice(DeliveryWire.GrpcMessageHeaderSize, size));
        writer.Advance(DeliveryWire.GrpcMessageHeaderSize + size);
        return DeliveryWire.GrpcMessageHeaderSize + size;
    }

    private int DrainEvery(int unflushed, ref long total)
    {
        if (unflushed < FlushBytes)
        {
            return unflushed;
        }

        total = Drain(unflushed, total);
        return 0;
    }

    // Flush (completes at once: no pause threshold) and let the reader take everything, as the transport would.
    private long Drain(int unflushed, long total)
    {
        var flushed = _body.Writer.FlushAsync();
        WatchlistFixture.Check(flushed.IsCompletedSuccessfully, "the flush did not complete at once");
        WatchlistFixture.Check(_body.Reader.TryRead(out var read), "nothing to read after a flush");
        var length = read.Buffer.Length;
        _body.Reader.AdvanceTo(read.Buffer.End);
        WatchlistFixture.Check(length == unflushed, "the reader saw other bytes than were written");
        return total + length;
    }

    private byte[] Frame(Func<PipeWriter, int> write)
    {
        var written = write(_body.Writer);
        var flushed = _body.Writer.FlushAsync();
        WatchlistFixture.Check(flushed.IsCompletedSuccessfully, "the flush did not complete at once");
        WatchlistFixture.Check(_body.Reader.TryRead(out var read), "the frame was not readable after a flush");
        var bytes = read.Buffer.ToArray();
        _body.Reader.AdvanceTo(read.Buffer.End);
        WatchlistFixture.Check(bytes.Length == written, "frame length");
        return bytes;
    }

    private static long Expect(long expected, long actual)
    {
        WatchlistFixture.Check(actual == expected, "bytes written differ from the entries' frames");
        return actual;
    }
}
