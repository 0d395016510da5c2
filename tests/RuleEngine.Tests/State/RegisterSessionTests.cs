using System.Text;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Tests.Engine;
using FraudShield.Tests.Shared;

namespace FraudShield.RuleEngine.Tests.State;

// RegisterSession keeps its last read until the register changes; a reader must still see every later write.
public sealed class RegisterSessionTests
{
    private static void Register(TableApplier applier, string msisdn, int birthYear, string station) =>
        Assert.True(
            applier.ApplyRegistry(Encoding.UTF8.GetBytes($$"""{"person_id":"P-{{msisdn}}","msisdns":["{{msisdn}}"],"birth_year":{{birthYear}},"station_id":"{{station}}"}"""), tombstone: false, out var error),
            error.ToString());

    [Fact]
    public void TryGetByNumber_AfterTheRegisterChanges_ReadsTheNewEntry()
    {
        using var dir = new TempDirectory();
        using var stores = TableSnapshotsTests.NewStores(dir.Path);
        using var applier = new TableApplier(stores);
        using var reader = stores.Register.NewSession();

        // A miss is kept as a miss only until the number is registered.
        Assert.False(reader.TryGetByNumber(8613900000001UL, out _));
        Assert.False(reader.TryGetByNumber(8613900000001UL, out _));
        Register(applier, "+8613900000001", 1950, "S05");
        Assert.True(reader.TryGetByNumber(8613900000001UL, out var first));
        Assert.Equal(1950, first.BirthYear);

        // A changed entry is read again, and a repeat read of the same number gives the same entry.
        Register(applier, "+8613900000001", 1961, "S07");
        Assert.True(reader.TryGetByNumber(8613900000001UL, out var changed));
        Assert.True(reader.TryGetByNumber(8613900000001UL, out var again));
        Assert.Equal(1961, changed.BirthYear);
        Assert.Equal("S07", stores.Strings[changed.Station]);
        Assert.Equal(changed.BirthYear, again.BirthYear);
        Assert.Equal(changed.Station, again.Station);

        // Another number between two reads of the first: each gets its own entry.
        Register(applier, "+8613900000002", 1990, "S01");
        Assert.True(reader.TryGetByNumber(8613900000002UL, out var other));
        Assert.True(reader.TryGetByNumber(8613900000001UL, out var back));
        Assert.Equal(1990, other.BirthYear);
        Assert.Equal(1961, back.BirthYear);
        Assert.False(reader.TryGetByNumber(0, out _));
    }
}
