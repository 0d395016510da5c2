using System.Text;
using FraudShield.Ingest.Events;
using static FraudShield.Ingest.Tests.Samples;

namespace FraudShield.Ingest.Tests;

/// <summary><see cref="EventParser.PeekCallNumbers"/>: the parse's numbers where producers write them plainly, 0 otherwise.</summary>
public sealed class PeekCallNumbersTests
{
    private readonly EventParser _parser = new();

    [Fact]
    public void PeekCallNumbers_Samples_SameNumbersAsTheParse()
    {
        foreach (var json in new[] { Call.Full, Call.Minimal })
        {
            Assert.True(_parser.TryParseCall(json, out var call, out var error), error.ToString());
            _parser.PeekCallNumbers(json, out var calling, out var called);
            Assert.Equal(call.Calling, calling);
            Assert.Equal(call.Called, called);
        }
    }

    [Theory]
    [InlineData("""{"event_id":"c","called":"13900139000"}""", 0UL, 8613900139000UL)] // no calling field
    [InlineData("""{"calling" : "+447911123456","called":"x"}""", 0UL, 0UL)] // spaced colon; a called that is no number
    [InlineData("""{"calling":"\u002B447911123456","called":"+447911123457"}""", 0UL, 447911123457UL)] // an escape
    [InlineData("""{"note":"\"calling\":\"+447911123456","called":"+447911123457"}""", 0UL, 447911123457UL)] // inside a string
    [InlineData("""{"calling":"+44791112345""", 0UL, 0UL)] // truncated
    public void PeekCallNumbers_NotPlainlyWritten_Zero(string json, ulong expectedCalling, ulong expectedCalled)
    {
        _parser.PeekCallNumbers(Encoding.UTF8.GetBytes(json), out var calling, out var called);
        Assert.Equal(expectedCalling, calling);
        Assert.Equal(expectedCalled, called);
    }
}
