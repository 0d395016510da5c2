using FraudShield.AlertDispatch.Internal;
using Google.Protobuf;

namespace FraudShield.AlertDispatch.Tests;

/// <summary><see cref="HandedOffVersions"/>: which read-back records the feed may skip, and the peek at a record's id and version.</summary>
public sealed class HandedOffVersionsTests
{
    private static (string Id, int Version)? Peek(byte[] record)
    {
        Span<char> id = stackalloc char[HandedOffVersions.MaxIdLength];
        return HandedOffVersions.TryPeek(record, id, out var length, out var version) ? (id[..length].ToString(), version) : null;
    }

    [Fact]
    public void TryPeek_EncodedAlerts_GivesTheirIdAndVersion()
    {
        Assert.Equal(("A-220f7ef778f7ae1e", 2), Peek(TestAlerts.Make("A-220f7ef778f7ae1e", version: 2).ToByteArray()));
        Assert.Equal(("A-1", 300), Peek(TestAlerts.Make("A-1", version: 300).ToByteArray()));
        Assert.Equal(("A-1", 0), Peek(TestAlerts.Make("A-1", version: 0).ToByteArray())); // proto3 leaves a 0 out
    }

    [Fact]
    public void TryPeek_AnythingElse_IsFalse()
    {
        Assert.Null(Peek([]));
        Assert.Null(Peek("not an alert"u8.ToArray()));
        Assert.Null(Peek(TestAlerts.Make(new string('x', HandedOffVersions.MaxIdLength + 1)).ToByteArray()));
        Assert.Null(Peek(TestAlerts.Make("A-é").ToByteArray()));
        Assert.Null(Peek(TestAlerts.Make(string.Empty, version: 3).ToByteArray()));
        var truncated = TestAlerts.Make("A-123456").ToByteArray()[..5];
        Assert.Null(Peek(truncated));
    }

    [Fact]
    public void TryTake_ThatVersionOrAnEarlierOne_UntilTheLatestIsReadBack()
    {
        var handedOff = new HandedOffVersions();
        handedOff.Add("A-1", 1);
        handedOff.Add("A-1", 2);

        Assert.False(handedOff.TryTake("A-2", 1));
        Assert.False(handedOff.TryTake("A-1", 3));
        Assert.True(handedOff.TryTake("A-1", 1));
        Assert.True(handedOff.TryTake("A-1", 2));
        Assert.False(handedOff.TryTake("A-1", 2));
        Assert.Equal(0, handedOff.Count);
    }

    [Fact]
    public void Add_PastTheCapacity_ForgetsTheOldest()
    {
        var handedOff = new HandedOffVersions(capacity: 3);
        for (var i = 1; i <= 4; i++)
        {
            handedOff.Add($"A-{i}", 1);
        }

        Assert.False(handedOff.TryTake("A-1", 1));
        Assert.True(handedOff.TryTake("A-4", 1));

        // Read-back alerts leave no trace: a thousand more hand-offs keep at most the capacity.
        for (var i = 0; i < 1_000; i++)
        {
            handedOff.Add($"B-{i}", 1);
            Assert.True(handedOff.TryTake($"B-{i}", 1));
        }

        Assert.InRange(handedOff.Count, 0, 3);
    }
}
