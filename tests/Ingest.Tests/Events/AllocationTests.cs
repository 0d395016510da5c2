using System.Buffers;
using FraudShield.Ingest.Events;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests;

/// <summary>The success path allocates nothing: measured per thread after a warm-up.</summary>
public sealed class AllocationTests
{
    private const int Iterations = 1000;

    [Fact]
    public void TryParse_ValidEventsSpan_ZeroAllocations()
    {
        var parser = new EventParser();
        byte[] call = Samples.Call.Full, sms = Samples.Sms.Full, device = Samples.Device.Full, txn = Samples.Txn.Full,
            watch = Samples.Watch.Full, subject = Samples.Subject.Full;
        long checksum = 0;

        for (int pass = 0; pass < 2; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Iterations; i++)
            {
                checksum += ParseAll(parser, call, sms, device, txn, watch, subject);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (pass == 1)
            {
                Assert.Equal(0, allocated);
            }
        }

        Assert.True(checksum > 0);
    }

    [Fact]
    public void TryParse_ValidEventsMultiSegment_ZeroAllocationsAfterScratchGrown()
    {
        var parser = new EventParser();
        var sequences = Samples.All.Take(6).Select(k => Sequences.Split(k.Full, 10, 20)).ToArray();
        long checksum = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Iterations; i++)
            {
                checksum += ParseSequences(parser, sequences[0], sequences[1], sequences[2], sequences[3], sequences[4], sequences[5]);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (pass == 1)
            {
                Assert.Equal(0, allocated);
            }
        }

        Assert.True(checksum > 0);
    }

    private static long ParseAll(EventParser parser, byte[] call, byte[] sms, byte[] device, byte[] txn, byte[] watch, byte[] subject)
    {
        long sum = 0;
        if (parser.TryParseCall(call, out var c, out _)) { sum += (long)c.Calling + c.EventId.Length; }
        if (parser.TryParseSms(sms, out var s, out _))
        {
            foreach (var flag in s.KeywordFlags)
            {
                sum += flag.Length;
            }
        }

        if (parser.TryParseDevice(device, out var d, out _)) { sum += d.TsMs; }
        if (parser.TryParseTxn(txn, out var t, out _)) { sum += t.AmountMinor + t.PayerAge.GetValueOrDefault(); }
        if (parser.TryParseWatchlistEntry(watch, out var w, out _)) { sum += (long)w.KeyNumber; }
        if (parser.TryParseSubject(subject, out var r, out _))
        {
            foreach (var m in r.Msisdns)
            {
                if (PhoneNumber.TryNormalize(m, ParserOptions.Default, out var n)) { sum += (long)n; }
            }
        }

        if (parser.TryParseSignal(sms, out var kind, out _, out _, out _)) { sum += (long)kind + 1; }
        if (parser.TryParseSignal(device, out kind, out _, out _, out _)) { sum += (long)kind + 1; }
        return sum;
    }

    private static long ParseSequences(EventParser parser, in ReadOnlySequence<byte> call, in ReadOnlySequence<byte> sms,
        in ReadOnlySequence<byte> device, in ReadOnlySequence<byte> txn, in ReadOnlySequence<byte> watch, in ReadOnlySequence<byte> subject)
    {
        long sum = 0;
        if (parser.TryParseCall(call, out var c, out _)) { sum += (long)c.Calling; }
        if (parser.TryParseSms(sms, out var s, out _)) { sum += s.TsMs; }
        if (parser.TryParseDevice(device, out var d, out _)) { sum += d.TsMs; }
        if (parser.TryParseTxn(txn, out var t, out _)) { sum += t.AmountMinor; }
        if (parser.TryParseWatchlistEntry(watch, out var w, out _)) { sum += (long)w.KeyNumber; }
        if (parser.TryParseSubject(subject, out var r, out _)) { sum += r.Msisdns.Count; }
        if (parser.TryParseSignal(sms, out var kind, out _, out _, out _)) { sum += (long)kind + 1; }
        return sum;
    }
}
