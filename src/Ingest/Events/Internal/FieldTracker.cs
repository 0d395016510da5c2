using System.Numerics;
using System.Text.Json;

namespace FraudShield.Ingest.Events.Internal;

/// <summary>
/// The bookkeeping every event parser's field loop shares: a known key given twice is rejected, an explicit null counts
/// as absent, a field read successfully is present, and after the object the first missing required field (in
/// declaration order) is reported by name. A stack-only struct: no allocation.
/// </summary>
internal struct FieldTracker
{
    private readonly uint _required;
    private readonly string[] _names;
    private uint _seen;
    private uint _present;

    public FieldTracker(uint required, string[] names)
    {
        _required = required;
        _names = names;
    }

    /// <summary>Enters field <paramref name="field"/>, whose value is a <paramref name="token"/>; false for a duplicate key.</summary>
    public bool Enter(int field, JsonTokenType token, out bool isNull, out ParseError error)
    {
        var bit = 1u << field;
        isNull = false;
        if ((_seen & bit) != 0)
        {
            error = new ParseError(RejectReason.DuplicateField, _names[field]);
            return false;
        }

        _seen |= bit;
        isNull = token == JsonTokenType.Null;
        error = default;
        return true;
    }

    /// <summary>Records the outcome of reading the field: present when <paramref name="reason"/> is None, else the error.</summary>
    public bool Accept(int field, RejectReason reason, out ParseError error)
    {
        if (reason != RejectReason.None)
        {
            error = new ParseError(reason, _names[field]);
            return false;
        }

        _present |= 1u << field;
        error = default;
        return true;
    }

    /// <summary>Whether field <paramref name="field"/> was read with a non-null value.</summary>
    public readonly bool Has(int field) => (_present & (1u << field)) != 0;

    /// <summary>After the object: false with the first required field that was absent or null.</summary>
    public readonly bool Complete(out ParseError error)
    {
        var missing = _required & ~_present;
        error = missing == 0 ? default : new ParseError(RejectReason.MissingField, _names[BitOperations.TrailingZeroCount(missing)]);
        return missing == 0;
    }
}
