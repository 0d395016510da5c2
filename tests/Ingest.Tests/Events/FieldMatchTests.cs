using FraudShield.Ingest.Events;

namespace FraudShield.Ingest.Tests;

/// <summary>
/// The property-name matchers (a switch on the name's length, then the names of that length): every name is matched
/// (the full samples, and escaped in ParserContractTests), and a name of the same length that differs in one byte is
/// not: it is skipped as unknown, so a value no field accepts leaves the parse unchanged.
/// </summary>
public sealed class FieldMatchTests
{
    private readonly EventParser _parser = new();

    public static TheoryData<string> Kinds() => Samples.KindNames();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_NearMissNames_SkippedAsUnknown(string kind)
    {
        var k = Samples.ByName(kind);
        var expected = k.ParseSpan(_parser, k.Full);
        Assert.True(expected.Ok);
        foreach (var name in k.Fields.Select(f => f.Name))
        {
            foreach (var nearMiss in NearMisses(name))
            {
                var extra = new SampleField(nearMiss, "{\"x\":[1]}", FieldType.Obj, false);
                Assert.Equal(expected, k.ParseSpan(_parser, Samples.Build(k.Fields.Prepend(extra))));
                Assert.Equal(expected, k.ParseSpan(_parser, Samples.Build(k.Fields.Append(extra))));
            }
        }
    }

    [Theory]
    [InlineData("payer")]
    [InlineData("payee")]
    public void TryParseTxn_NearMissNestedNames_SkippedAsUnknown(string parent)
    {
        var k = Samples.Txn;
        var expected = k.ParseSpan(_parser, k.Full);
        string[] names = parent == "payer" ? ["account", "msisdn", "customer_id", "age"] : ["account", "bank", "kind", "opened_ms"];
        foreach (var nearMiss in names.SelectMany(NearMisses))
        {
            var fields = k.Fields.Select(f => f.Name == parent ? f with { Json = "{\"" + nearMiss + "\":{\"x\":[1]}," + f.Json[1..] } : f);
            Assert.Equal(expected, k.ParseSpan(_parser, Samples.Build(fields)));
        }
    }

    // The first, a middle and the last byte changed; the name cut by one; the name extended by one.
    private static IEnumerable<string> NearMisses(string name)
    {
        foreach (var at in new[] { 0, name.Length / 2, name.Length - 1 })
        {
            yield return name[..at] + (char)(name[at] ^ 0x20) + name[(at + 1)..];
        }

        yield return name[..^1];
        yield return name + "s";
    }
}
