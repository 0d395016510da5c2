using System.Runtime.CompilerServices;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// One rule firing with up to three condition values, kept on the stack until an alert is built.
/// Fact names are string literals, so recording a hit allocates nothing.
/// </summary>
internal struct Hit
{
    public RuleId Rule;
    public byte Severity;
    public string? Name1, Name2, Name3;
    public long Value1, Value2, Value3;
}

[InlineArray(Firing.Capacity)]
internal struct HitBuffer
{
    private Hit _first;
}

/// <summary>The rules fired by one event (at most <see cref="Capacity"/>), plus the context the alert needs.</summary>
internal struct Firing
{
    // Every payer-side rule (R07-R14) can fire on one transaction.
    public const int Capacity = 8;

    private HitBuffer _hits;

    public int Count;
    public int Typology;
    public long AmountMinor;
    public bool CitesSuspiciousCall;
    public bool CitesRebate;

    /// <summary>Earliest event time of a remembered fact a hit was completed with (0 when none): the time it counts from as a risk signal.</summary>
    public long EarliestFactMs;

    /// <summary>
    /// Empties a reused firing without clearing its hit slots (about 450 bytes): every reader stops at <see cref="Count"/>,
    /// and <see cref="Add"/> writes a whole slot.
    /// </summary>
    public void Reset()
    {
        Count = 0;
        Typology = 0;
        AmountMinor = 0;
        CitesSuspiciousCall = false;
        CitesRebate = false;
        EarliestFactMs = 0;
    }

    public void NoteFact(long factMs) => EarliestFactMs = EarliestFactMs == 0 ? factMs : Math.Min(EarliestFactMs, factMs);

    public void Add(RuleId rule, int severity, string? name1 = null, long value1 = 0, string? name2 = null, long value2 = 0, string? name3 = null, long value3 = 0)
    {
        if (Count == Capacity)
        {
            return;
        }

        _hits[Count++] = new Hit
        {
            Rule = rule, Severity = (byte)severity,
            Name1 = name1, Value1 = value1, Name2 = name2, Value2 = value2, Name3 = name3, Value3 = value3,
        };
    }

    public readonly Hit this[int index] => _hits[index];

    public readonly int Severity
    {
        get
        {
            var s = 4;
            for (var i = 0; i < Count; i++)
            {
                s = Math.Min(s, _hits[i].Severity);
            }

            return s;
        }
    }

    public readonly uint Mask
    {
        get
        {
            var m = 0u;
            for (var i = 0; i < Count; i++)
            {
                m |= RuleIds.Bit(_hits[i].Rule);
            }

            return m;
        }
    }
}
