namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// One string instance per distinct id (a station, a grid): what thousands of retained alerts or cases carry is kept
/// once. Grows with the jurisdiction's ids, which are bounded. Not thread-safe: its owner holds its own lock.
/// </summary>
internal sealed class IdPool
{
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);

    /// <summary>The pool's instance of <paramref name="id"/>.</summary>
    public string Intern(string id)
    {
        if (id.Length == 0)
        {
            return string.Empty;
        }

        if (!_ids.TryGetValue(id, out var held))
        {
            _ids.Add(id, held = id);
        }

        return held;
    }

    /// <summary><paramref name="route"/> with the pool's instance of each id.</summary>
    public AlertRoute Intern(in AlertRoute route) =>
        new(Intern(route.HomeStation), Intern(route.CurrentStation), Intern(route.HomeGrid), Intern(route.CurrentGrid));
}
