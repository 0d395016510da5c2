using System.IO.Hashing;
using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// The string table as the engine's checkpoints save it: one append-only file (<see cref="FileName"/>: each string
/// length-prefixed UTF-8, as <see cref="BinaryWriter"/> writes it) to which a checkpoint appends only the strings
/// interned since the previous one. A manifest records how many strings and bytes of the file it covers and a hash of
/// those bytes, so a checkpoint costs what is new, not the whole table (the register interns a few ids per resident:
/// millions of strings at a province's scale).
/// </summary>
/// <remarks>
/// The table is append-only, so the strings a checkpoint's state refers to are a prefix of the table at any later
/// time; saving at commit (after the version cut) covers them. The first save of a process rewrites the file whole
/// (temp file, fsync, rename): after a recovery the table agrees with the recovered checkpoint's prefix only, and what
/// a crashed process appended beyond it may disagree. An older manifest whose bytes were rewritten differently no
/// longer matches its hash and is refused at recovery, like a manifest without strings (hash 0).
/// </remarks>
internal sealed class CheckpointStrings
{
    /// <summary>The file's name in the checkpoint folder.</summary>
    public const string FileName = "strings.bin";

    private readonly string _path;
    private readonly XxHash3 _hash = new();
    private int _saved = -1;
    private long _bytes;

    public CheckpointStrings(string directory) => _path = Path.Combine(directory, FileName);

    /// <summary>Saves the strings of <paramref name="table"/> not yet in the file and makes them durable.</summary>
    /// <returns>Strings (from reference 1) and bytes the file now holds, and the hash of those bytes.</returns>
    public (int Count, long Bytes, ulong Hash) Save(StringTable table)
    {
        var count = table.Count - 1;
        if (_saved < 0)
        {
            var temp = _path + ".tmp";
            _hash.Reset();
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                _bytes = Write(file, table, 0, count);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, _path, overwrite: true);
            _saved = count;
        }
        else if (count > _saved)
        {
            using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
            _bytes += Write(file, table, _saved, count);
            file.Flush(flushToDisk: true);
            _saved = count;
        }

        return (count, _bytes, _hash.GetCurrentHashAsUInt64());
    }

    /// <summary>The strings <paramref name="manifest"/> covers; null when the file no longer holds them as saved.</summary>
    public SavedStrings? TryRead(CheckpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        try
        {
            byte[] bytes;
            using (var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                if (manifest.StringsBytes < 0 || file.Length < manifest.StringsBytes)
                {
                    return null;
                }

                bytes = new byte[manifest.StringsBytes];
                file.ReadExactly(bytes);
            }

            return XxHash3.HashToUInt64(bytes) == manifest.StringsHash ? SavedStrings.TryRead(bytes, manifest.StringCount) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OverflowException)
        {
            return null;
        }
    }

    // Writes strings [from, to) (references from + 1 ..) to the file and the running hash; returns the bytes written.
    private long Write(Stream file, StringTable table, int from, int to)
    {
        using var buffer = new MemoryStream();
        table.WriteTo(buffer, from + 1, to + 1);
        var written = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        _hash.Append(written);
        file.Write(written);
        return written.Length;
    }
}
