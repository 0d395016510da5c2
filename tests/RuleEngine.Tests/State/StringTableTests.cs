using FraudShield.RuleEngine.State;

namespace FraudShield.RuleEngine.Tests.State;

/// <summary>The string table's ids, its copy and its no-copy view.</summary>
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
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void Interned_TakenBeforeTheTableGrows_StillHoldsWhatItHeldThen()
    {
        var table = new StringTable();
        for (var i = 0; i < 1000; i++)
        {
            table.Intern("first-" + i);
        }

        var view = table.Interned();

        // Past the initial capacity: the table swaps its array; the view keeps reading the old one.
        for (var i = 0; i < 5000; i++)
        {
            table.Intern("later-" + i);
        }

        Assert.Equal(1000, view.Length);
        for (var i = 0; i < view.Length; i++)
        {
            Assert.Equal("first-" + i, view[i]);
        }

        var all = table.Interned();
        Assert.Equal(6000, all.Length);
        Assert.Equal("later-4999", all[^1]);
        Assert.Equal(all.ToArray(), table.Snapshot());
    }
}
