using System.Collections.Concurrent;
using System.Text;

namespace FraudShield.RuleEngine.State;

/// <summary>
/// Interns the small vocabulary of ids that FASTER values refer to (stations, grids, typologies, person ids) as ints,
/// so those values stay blittable. Written by table loaders, read by the engine when it builds an alert; thread-safe.
/// Reference 0 is the empty string.
/// </summary>
public sealed class StringTable
{
    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private string[] _values = new string[1024];
    private int _count = 1;

    /// <summary>Creates an empty table (reference 0 = "").</summary>
    public StringTable() => _values[0] = string.Empty;

    /// <summary>Number of interned strings, including the empty string.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The reference of <paramref name="utf8"/>, interning it when new. Allocates only for new strings and on lookup.</summary>
    public int Intern(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? 0 : Intern(Encoding.UTF8.GetString(utf8));

    /// <summary>The reference of <paramref name="value"/>, interning it when new.</summary>
    public int Intern(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return 0;
        }

        if (_ids.TryGetValue(value, out var id))
        {
            return id;
        }

        lock (_gate)
        {
            if (_ids.TryGetValue(value, out id))
            {
                return id;
            }

            id = _count;
            if (id == _values.Length)
            {
                Array.Resize(ref _values, _values.Length * 2);
            }

            _values[id] = value;
            Volatile.Write(ref _count, id + 1);
            _ids[value] = id;
            return id;
        }
    }

    /// <summary>
    /// The interned strings in id order, from reference 1 (the empty string at 0 is implied): what a table snapshot
    /// saves so that restored FASTER values keep pointing at the same strings. Thread-safe; strings interned during the
    /// call may or may not be included.
    /// </summary>
    /// <returns>A copy; element i is reference i + 1.</returns>
    public string[] Snapshot() => Interned().ToArray();

    /// <summary>
    /// The interned strings in id order, from reference 1, without a copy: element i is reference i + 1. A view of
    /// the table's own array, which is append-only below the count (a resize swaps in a copy and leaves the old array
    /// as it was), so it stays valid and unchanged while later strings are interned. What a table snapshot writes out:
    /// a copy of a province's table would be a large-object allocation per snapshot.
    /// </summary>
    /// <returns>The strings interned when the call was made (strings interned during it may or may not be included).</returns>
    public ReadOnlySpan<string> Interned()
    {
        var count = Volatile.Read(ref _count);

        // Read after the count: an array swapped in by a resize holds every reference below the count read.
        var values = Volatile.Read(ref _values);
        return values.AsSpan(1, count - 1);
    }

    /// <summary>
    /// Interns <paramref name="values"/> in order, so that value i gets reference i + 1: the inverse of
    /// <see cref="Snapshot"/>. Call it first, before anything else interns.
    /// </summary>
    /// <param name="values">Strings in id order from reference 1; non-empty and distinct.</param>
    /// <exception cref="InvalidOperationException">The table is not empty, or a value is empty or repeated.</exception>
    public void Restore(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        lock (_gate)
        {
            if (_count != 1)
            {
                throw new InvalidOperationException($"A string table is restored before anything is interned; it holds {_count - 1} strings.");
            }

            for (var i = 0; i < values.Count; i++)
            {
                if (string.IsNullOrEmpty(values[i]) || Intern(values[i]) != i + 1)
                {
                    throw new InvalidOperationException($"String {i + 1} of the restored table is empty or repeated.");
                }
            }
        }
    }

    /// <summary>The string behind <paramref name="reference"/>; empty for 0 or an unknown reference.</summary>
    public string this[int reference]
    {
        get
        {
            var values = Volatile.Read(ref _values);
            return (uint)reference < (uint)Count && (uint)reference < (uint)values.Length ? values[reference] ?? string.Empty : string.Empty;
        }
    }
}
