using System.Diagnostics;
using System.Globalization;
using System.Text;
using FraudShield.RuleEngine.State;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- strings 1500000</c>: what the engine's <see cref="StringTable"/> costs
/// the garbage collector for a register of N residents. The register interns three ids per resident (person, address,
/// family numbers, as <see cref="RegisterSession.Upsert"/> does) and a small vocabulary (stations, grids, beats, grid
/// workers); the strings live as long as the process. Printed: the managed heap they add per resident, the time of a
/// full blocking collection with the table alive next to one without it (what every Gen2 pays to mark the table), the
/// time to intern a new id and an id already held (a register reload), and to read one back; then the time and the
/// allocation of restoring the table from a snapshot's bytes, the way restores read them now and the way they did.
/// </summary>
internal static class StringTableReport
{
    private const int Stations = 40;
    private const int GridsPerStation = 25;

    public static int Run(int residents)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; residents {residents:N0}");
        var emptyPause = HeapProbe.FullCollectionMs();
        var ids = Ids(residents);
        var before = HeapProbe.Settle();

        var table = new StringTable();
        var clock = Stopwatch.StartNew();
        Intern(table, ids);
        var internNewNs = clock.Elapsed.TotalNanoseconds / ids.Length;

        // The ids are alive in both figures, so the difference is the table's; then they go, so the collection
        // marks the table alone.
        var after = HeapProbe.Settle();
        ids = null;
        var heldPause = HeapProbe.FullCollectionMs();

        ids = Ids(residents);
        clock.Restart();
        Intern(table, ids);
        var internHeldNs = clock.Elapsed.TotalNanoseconds / ids.Length;

        var probe = new Random(11);
        var reads = 1 << 20;
        var length = 0L;
        clock.Restart();
        for (var i = 0; i < reads; i++)
        {
            length += table[1 + probe.Next(table.Count - 1)].Length;
        }

        var readNs = clock.Elapsed.TotalNanoseconds / reads;
        GC.KeepAlive(table);

        Console.WriteLine("| residents | strings | managed heap added B/resident | full blocking GC ms, table held (without) | intern new ns | intern held ns | read ns |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(
            $"| {residents:N0} | {table.Count - 1:N0} | {(after - before) / (double)residents:F1} | {heldPause:F1} ({emptyPause:F1}) | " +
            $"{internNewNs:F0} | {internHeldNs:F0} | {readNs:F0} |");
        return length > 0 && RestoreFigures(table) ? 0 : 1;
    }

    // A snapshot's strings restored into a new table two ways, each timed with the bytes it allocated: read as one
    // string each (BinaryReader.ReadString) and interned from them, as restores did before 2026-12-07, and read as the
    // file's bytes (SavedStrings) and interned from those, as they do now. Both tables are checked against the source.
    private static bool RestoreFigures(StringTable table)
    {
        using var file = new MemoryStream();
        table.WriteTo(file, 1, table.Count);
        var bytes = file.ToArray();
        var count = table.Count - 1;
        Console.WriteLine();
        Console.WriteLine($"Restoring the table's {count:N0} strings ({bytes.Length / 1048576.0:F1} MiB as saved) into a new table:");
        Console.WriteLine("| path | s | MiB allocated | garbage collections (gen0/1/2) |");
        Console.WriteLine("|---|---:|---:|---|");
        var ok = true;
        foreach (var asBytes in (bool[])[false, true, false, true])
        {
            HeapProbe.Settle();
            var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var restored = new StringTable();
            if (asBytes)
            {
                restored.Restore(SavedStrings.TryRead(bytes, count) ?? throw new InvalidOperationException("the saved bytes did not read back"));
            }
            else
            {
                using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
                var strings = new string[count];
                for (var i = 0; i < count; i++)
                {
                    strings[i] = reader.ReadString();
                }

                restored.Restore(strings);
            }

            var elapsed = clock.Elapsed;
            var mib = (GC.GetAllocatedBytesForCurrentThread() - allocated) / 1048576.0;
            Console.WriteLine(
                $"| {(asBytes ? "the saved bytes (restores now)" : "one string each first (restores before 2026-12-07 read them so)")} | {elapsed.TotalSeconds:F2} | {mib:F0} | " +
                $"{GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3} |");
            for (var reference = 1; reference < table.Count; reference += 997)
            {
                ok &= restored.Holds(reference, table[reference]);
            }

            ok &= restored.Count == table.Count;
        }

        return ok;
    }

    // The UTF-8 ids the register interns, in load order: per resident its person, address and family numbers, and
    // the station, beat, grid and grid worker it belongs to (the simulator's shapes).
    private static byte[][] Ids(int residents)
    {
        var ids = new byte[residents * 7][];
        for (var i = 0; i < residents; i++)
        {
            var station = "S" + ((i % Stations) + 1).ToString("D2", CultureInfo.InvariantCulture);
            var grid = station + "-G" + (((i / Stations) % GridsPerStation) + 1).ToString("D2", CultureInfo.InvariantCulture);
            ids[(i * 7) + 0] = Encoding.UTF8.GetBytes("P" + i.ToString("D7", CultureInfo.InvariantCulture));
            ids[(i * 7) + 1] = Encoding.UTF8.GetBytes(station);
            ids[(i * 7) + 2] = Encoding.UTF8.GetBytes(station + "-B1");
            ids[(i * 7) + 3] = Encoding.UTF8.GetBytes(grid);
            ids[(i * 7) + 4] = Encoding.UTF8.GetBytes("W-" + grid);
            ids[(i * 7) + 5] = Encoding.UTF8.GetBytes("ADDR-" + i.ToString(CultureInfo.InvariantCulture));
            ids[(i * 7) + 6] = Encoding.UTF8.GetBytes((8613_800_000_000UL + (ulong)((i + 1) % residents)).ToString(CultureInfo.InvariantCulture));
        }

        return ids;
    }

    private static void Intern(StringTable table, byte[][] ids)
    {
        foreach (var id in ids)
        {
            table.Intern(id);
        }
    }
}
