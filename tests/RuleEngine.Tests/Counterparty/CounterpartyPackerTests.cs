using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Counterparty;

namespace FraudShield.RuleEngine.Tests.Counterparty;

/// <summary><see cref="CounterpartyPacker"/>: records packed by their key's partition, in order, each with its own source time.</summary>
public sealed class CounterpartyPackerTests
{
    private const int Partitions = 12;
    private readonly List<(int Partition, long TimestampMs, byte[] Value)> _emitted = [];

    private CounterpartyPacker NewPacker() => new(Partitions, (p, ms, value) => _emitted.Add((p, ms, value.ToArray())));

    private static CounterpartyRecord Call(long caller, long timeMs) => new()
    {
        Kind = CounterpartyKind.CallerCall,
        Key = CounterpartyRecord.KeyOfCaller((ulong)caller),
        Subject = (ulong)caller,
        Other = 8613800000000 + timeMs,
        TimeMs = timeMs,
    };

    private static List<CounterpartyRecord> Records(byte[] value)
    {
        Assert.Equal(0, value.Length % CounterpartyRecord.Size);
        var records = new List<CounterpartyRecord>();
        for (var at = 0; at < value.Length; at += CounterpartyRecord.Size)
        {
            Assert.True(CounterpartyRecord.TryRead(value.AsSpan(at, CounterpartyRecord.Size), out var record));
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public void EmitAll_RecordsOfManyKeys_OneMessagePerPartitionOnTheKeysPartitionInOrder()
    {
        var packer = NewPacker();
        var added = new List<(CounterpartyRecord Record, long SourceMs)>();
        for (var i = 0; i < 40; i++)
        {
            var record = Call(8617000000000 + (i % 7), 1_000 + i);
            var sourceMs = 1_790_000_000_000 + (i * 3) - (i % 2 == 0 ? 0 : 5); // not in order across records
            packer.Add(ref record, sourceMs);
            added.Add((record, sourceMs));
        }

        Assert.Empty(_emitted);
        Assert.Equal(40, packer.Pending);
        packer.EmitAll();
        Assert.Equal(0, packer.Pending);

        // One message per partition that got records, each on the partition a message keyed by the record's key gets.
        Assert.Equal(_emitted.Count, _emitted.Select(e => e.Partition).Distinct().Count());
        var key = new byte[8];
        var decoded = new List<(CounterpartyRecord Record, long SourceMs)>();
        foreach (var (partition, timestampMs, value) in _emitted)
        {
            foreach (var record in Records(value))
            {
                CounterpartyRecord.WriteKey(record.Key, key);
                Assert.Equal(KeyPartitioner.Partition(key, Partitions), partition);
                decoded.Add((record, timestampMs + record.SourceDeltaMs));
            }
        }

        // Every record once, with its own source time; a key's records in the order added.
        Assert.Equal(40, decoded.Count);
        foreach (var group in added.GroupBy(a => a.Record.Key))
        {
            var got = decoded.Where(d => d.Record.Key == group.Key).Select(d => (d.Record.TimeMs, d.SourceMs));
            Assert.Equal(group.Select(a => (a.Record.TimeMs, a.SourceMs)), got);
        }
    }

    [Fact]
    public void Add_ToAFullPack_EmitsItFirst()
    {
        var packer = NewPacker();
        var record = Call(8617000000001, 0);
        for (var i = 0; i < CounterpartyPacker.MaxRecords + 1; i++)
        {
            record.TimeMs = i;
            packer.Add(ref record, 1_790_000_000_000 + i);
        }

        var (_, timestampMs, value) = Assert.Single(_emitted);
        Assert.Equal(1_790_000_000_000, timestampMs);
        Assert.Equal(CounterpartyPacker.MaxRecords, Records(value).Count);
        Assert.Equal(CounterpartyPacker.MaxRecords - 1, Records(value)[^1].SourceDeltaMs);
        Assert.Equal(1, packer.Pending);
    }

    [Fact]
    public void Add_SourceTimeBeyondTheDeltaRange_StartsANewMessage()
    {
        var packer = NewPacker();
        var record = Call(8617000000002, 0);
        packer.Add(ref record, 1_790_000_000_000);
        packer.Add(ref record, 1_790_000_000_000 - CounterpartyRecord.MaxSourceDeltaMs); // the far end, still in range
        packer.Add(ref record, 1_790_000_000_000 + CounterpartyRecord.MaxSourceDeltaMs + 1); // out of range: the pack goes first
        packer.EmitAll();

        Assert.Equal(2, _emitted.Count);
        Assert.Equal([0, -CounterpartyRecord.MaxSourceDeltaMs], Records(_emitted[0].Value).Select(r => r.SourceDeltaMs));
        Assert.Equal(1_790_000_000_000 + CounterpartyRecord.MaxSourceDeltaMs + 1, _emitted[1].TimestampMs);
        Assert.Equal(0, Assert.Single(Records(_emitted[1].Value)).SourceDeltaMs);
    }

    [Fact]
    public void Add_EmitThrows_ThePackStaysForTheNextAttempt()
    {
        var fail = true;
        var emitted = 0;
        var packer = new CounterpartyPacker(Partitions, (_, _, _) =>
        {
            if (fail)
            {
                throw new OperationCanceledException();
            }

            emitted++;
        });
        var record = Call(8617000000003, 0);
        packer.Add(ref record, 1_790_000_000_000);
        Assert.Throws<OperationCanceledException>(packer.EmitAll);
        Assert.Equal(1, packer.Pending);

        fail = false;
        packer.EmitAll();
        Assert.Equal(1, emitted);
        Assert.Equal(0, packer.Pending);
    }

    [Fact]
    public void AddAndEmit_AfterTheFirstPacks_AllocateNothing()
    {
        long bytes = 0;
        var packer = new CounterpartyPacker(Partitions, (_, _, value) => bytes += value.Length);
        var record = Call(8617000000005, 0);
        void Batch(int n)
        {
            for (var i = 0; i < n; i++)
            {
                record.Key = CounterpartyRecord.KeyOfCaller((ulong)(8617000000000 + (i % 500)));
                packer.Add(ref record, 1_790_000_000_000 + i);
            }

            packer.EmitAll();
        }

        // Every pack length once, so each partition's buffer and each length's scratch array exist.
        for (var n = 1; n <= 2 * CounterpartyPacker.MaxRecords * Partitions; n++)
        {
            Batch(n);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 200; round++)
        {
            Batch(512);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(bytes > 0);
    }

    [Fact]
    public void SourceDelta_RoundTripsThroughTheWire_BothSigns()
    {
        var wire = new byte[CounterpartyRecord.Size];
        foreach (var delta in new[] { 0, 1, -1, 255, 256, -65_536, CounterpartyRecord.MaxSourceDeltaMs, -CounterpartyRecord.MaxSourceDeltaMs })
        {
            var record = Call(8617000000004, 5) with { SourceDeltaMs = delta };
            record.Write(wire);
            Assert.Equal(delta, CounterpartyRecord.SourceDeltaOf(wire));
            Assert.True(CounterpartyRecord.TryRead(wire, out var read));
            Assert.Equal(delta, read.SourceDeltaMs);
        }
    }
}
