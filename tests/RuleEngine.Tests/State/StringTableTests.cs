using System.Text;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.State;

/// <summary>The string table's ids, its stored bytes as a snapshot file reads them, and readers while it grows.</summary>
public sealed class StringTableTests
{
    [Fact]
    public void Intern_SameValueTwice_SameIdAndEmptyIsZero()
    {
        var table = new StringTable();

        var a = table.Intern("S01");
        var b = table.Intern("S02");

        Assert.Equal(1, a);
        Assert.Equal(2, b);
        Assert.Equal(a, table.Intern("S01"u8));
        Assert.Equal(0, table.Intern(string.Empty));
        Assert.Equal(0, table.Intern(ReadOnlySpan<byte>.Empty));
        Assert.Equal(3, table.Count);
        Assert.Equal("S02", table[b]);
        Assert.Equal(string.Empty, table[0]);
        Assert.Equal(string.Empty, table[3]);
        Assert.Equal(string.Empty, table[-1]);
    }

    [Fact]
    public void Intern_ManyStringsOfEveryShape_EachKeepsItsIdAndReadsBack()
    {
        // Past the first chunk, the first slot and location arrays; multi-byte characters; lengths needing 1, 2 and 3
        // prefix bytes; one string longer than a chunk.
        var values = new List<string>();
        for (var i = 0; i < 200_000; i++)
        {
            values.Add((i % 3) switch { 0 => "P" + i.ToString("D7"), 1 => "派出所-" + i, _ => "ADDR-" + i });
        }

        values.Add(new string('x', 127));
        values.Add(new string('y', 128));
        values.Add(new string('z', 20_000));
        values.Add(new string('w', (1 << 20) + 5));
        values.Add("after the big one");

        var table = new StringTable();
        var ids = values.Select(table.Intern).ToList();

        Assert.Equal(Enumerable.Range(1, values.Count), ids);
        for (var i = 0; i < values.Count; i++)
        {
            Assert.Equal(values[i], table[ids[i]]);
            Assert.Equal(ids[i], table.Intern(Encoding.UTF8.GetBytes(values[i])));
            Assert.True(table.Holds(ids[i], values[i]));
        }

        Assert.Equal(values.Count + 1, table.Count);
        Assert.False(table.Holds(1, "P0000001"));
        Assert.False(table.Holds(values.Count + 1, "anything"));
    }

    [Fact]
    public void Intern_InvalidUtf8_IsTheStringItDecodesTo()
    {
        var table = new StringTable();

        var bad = table.Intern([0x41, 0xFF, 0x42]);

        Assert.Equal("A\uFFFDB", table[bad]);
        Assert.Equal(bad, table.Intern("A\uFFFDB"));
        Assert.Equal(bad, table.Intern([0x41, 0xC0, 0x42])); // another invalid byte, the same decoded string
        Assert.Equal(1, bad);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void WriteTo_ReadsBackAsBinaryWriterStrings_AndRestoresTheSameIds()
    {
        var table = new StringTable();
        var values = Enumerable.Range(0, 5000).Select(i => i % 2 == 0 ? "网格-" + i : new string('q', i % 300 + 1) + i).ToArray();
        foreach (var value in values)
        {
            table.Intern(value);
        }

        using var file = new MemoryStream();
        var head = table.WriteTo(file, 1, 101);
        var tail = table.WriteTo(file, 101, table.Count);
        Assert.Equal(file.Length, head + tail);
        Assert.Equal(0, table.WriteTo(file, 7, 7));

        file.Position = 0;
        using var reader = new BinaryReader(file, Encoding.UTF8);
        var read = values.Select(_ => reader.ReadString()).ToArray();
        Assert.Equal(file.Length, file.Position);
        Assert.Equal(values, read);
        Assert.Equal(values, table.Snapshot());

        var restored = new StringTable();
        restored.Restore(read);
        Assert.Equal(values, restored.Snapshot());
        Assert.Equal(table.Intern(values[4321]), restored.Intern(values[4321]));

        // Straight from the file's bytes, as snapshots and checkpoints restore.
        var saved = SavedStrings.TryRead(file.ToArray(), values.Length);
        Assert.NotNull(saved);
        var fromBytes = new StringTable();
        fromBytes.Restore(saved);
        Assert.Equal(values, fromBytes.Snapshot());
        Assert.True(fromBytes.Holds(4322, saved[4321]));
        Assert.False(fromBytes.Holds(4323, saved[4321]));
    }

    [Fact]
    public void SavedStrings_BytesThatAreNotExactlyTheStrings_AreRefused()
    {
        var bytes = SavedStrings.From(["alpha", "β", new string('x', 300)]);
        Assert.Equal(3, bytes.Count);
        Assert.Equal("β"u8.ToArray(), bytes[1].ToArray());
        Assert.Equal(300, bytes[2].Length);

        using var file = new MemoryStream();
        using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("alpha");
            writer.Write(new string('x', 300));
        }

        var whole = file.ToArray();
        Assert.NotNull(SavedStrings.TryRead(whole, 2));
        Assert.Null(SavedStrings.TryRead(whole, 1));
        Assert.Null(SavedStrings.TryRead(whole, 3));
        Assert.Null(SavedStrings.TryRead(whole[..^1], 2));
        Assert.Null(SavedStrings.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], 1));
        Assert.Null(SavedStrings.TryRead([0x80], 1));
        Assert.Null(SavedStrings.TryRead([0x05, (byte)'a'], 1));
    }

    [Fact]
    public void SavedStrings_IsPrefixOf_ComparesTheBytesInOrder()
    {
        var ab = SavedStrings.From(["a", "b"]);
        Assert.True(SavedStrings.Empty.IsPrefixOf(ab));
        Assert.True(SavedStrings.From(["a"]).IsPrefixOf(ab));
        Assert.True(ab.IsPrefixOf(SavedStrings.From(["a", "b", "c"])));
        Assert.False(SavedStrings.From(["b"]).IsPrefixOf(ab));
        Assert.False(ab.IsPrefixOf(SavedStrings.From(["a"])));
    }

    [Fact]
    public void WriteTo_OutsideTheTable_Throws()
    {
        var table = new StringTable();
        table.Intern("a");

        Assert.Throws<ArgumentOutOfRangeException>(() => table.WriteTo(Stream.Null, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.WriteTo(Stream.Null, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.WriteTo(Stream.Null, 2, 1));
    }

    [Fact]
    public void Restore_IntoATableInUseOrWithARepeat_Throws()
    {
        var used = new StringTable();
        used.Intern("a");
        Assert.Throws<InvalidOperationException>(() => used.Restore(["b"]));

        Assert.Throws<InvalidOperationException>(() => new StringTable().Restore(["a", "b", "a"]));
        Assert.Throws<InvalidOperationException>(() => new StringTable().Restore(["a", string.Empty]));
    }

    [Fact]
    public async Task Readers_WhileAWriterGrowsTheTable_SeeEveryReferenceBelowTheCountWhole()
    {
        var table = new StringTable();
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 300_000; i++)
            {
                table.Intern("value-" + i);
            }
        });
        var readers = Enumerable.Range(0, 2).Select(seed => Task.Run(() =>
        {
            var random = new Random(seed);
            var checkedCount = 0;
            while (!writer.IsCompleted || checkedCount == 0)
            {
                var count = table.Count;
                if (count > 1)
                {
                    var reference = 1 + random.Next(count - 1);
                    Assert.Equal("value-" + (reference - 1), table[reference]);
                    checkedCount++;
                }
            }

            return checkedCount;
        })).ToArray();

        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        var checks = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(checks, c => Assert.True(c > 0));
        Assert.Equal(300_001, table.Count);
    }
}
