using System.Text;
using FraudShield.Ingest.Events;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests;

/// <summary>The same contract checked against every event type (and the fs.signals dispatcher).</summary>
public sealed class ParserContractTests
{
    private readonly EventParser _parser = new();

    public static TheoryData<string> Kinds() => Samples.KindNames();

    public static TheoryData<string, string> RequiredFields()
    {
        var data = new TheoryData<string, string>();
        foreach (var k in Samples.All)
        {
            // Without "receiver" (or "kind") fs.signals reads the message as a device event: covered in SignalParserTests.
            foreach (var f in k.Fields.Where(f => f.Required && !(k == Samples.SignalSms && f.Name == "receiver")))
            {
                data.Add(k.Name, f.Name);
            }
        }

        return data;
    }

    public static TheoryData<string, string> AllFields()
    {
        var data = new TheoryData<string, string>();
        foreach (var k in Samples.All)
        {
            foreach (var f in k.Fields)
            {
                data.Add(k.Name, f.Name);
            }
        }

        return data;
    }

    public static TheoryData<string, string> EnumFields()
    {
        var data = new TheoryData<string, string>();
        foreach (var k in Samples.All)
        {
            foreach (var f in k.Fields.Where(f => f.Type == FieldType.Enum))
            {
                data.Add(k.Name, f.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_FullSample_Succeeds(string kind)
    {
        var k = Samples.ByName(kind);
        var result = k.ParseSpan(_parser, k.Full);
        Assert.True(result.Ok, $"{result.Reason} {result.Field}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_MinimalSample_Succeeds(string kind)
    {
        var k = Samples.ByName(kind);
        var result = k.ParseSpan(_parser, k.Minimal);
        Assert.True(result.Ok, $"{result.Reason} {result.Field}");
    }

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void Parse_RequiredFieldMissing_MissingFieldWithName(string kind, string field)
    {
        var k = Samples.ByName(kind);
        var json = Samples.Build(k.Fields.Where(f => f.Name != field));
        var result = k.ParseSpan(_parser, json);
        Assert.False(result.Ok);
        Assert.Equal(RejectReason.MissingField, result.Reason);
        Assert.Equal(field, result.Field);
    }

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void Parse_RequiredFieldNull_MissingFieldWithName(string kind, string field)
    {
        var k = Samples.ByName(kind);
        var json = Samples.Build(k.Fields.Select(f => f.Name == field ? f with { Json = "null" } : f));
        var result = k.ParseSpan(_parser, json);
        Assert.Equal((false, RejectReason.MissingField, field), (result.Ok, result.Reason, result.Field));
    }

    [Theory]
    [MemberData(nameof(AllFields))]
    public void Parse_WrongJsonType_WrongTypeWithName(string kind, string field)
    {
        var k = Samples.ByName(kind);
        var target = k.Fields.Single(f => f.Name == field);
        string wrong = target.Type switch
        {
            FieldType.Str => "123",
            FieldType.Num => "\"1\"",
            FieldType.Bool => "1",
            FieldType.Enum => "7",
            FieldType.Phone => "true",
            FieldType.Digits => "false",
            FieldType.Arr => "{}",
            _ => "\"x\"",
        };
        var json = Samples.Build(k.Fields.Select(f => f.Name == field ? f with { Json = wrong } : f));
        var result = k.ParseSpan(_parser, json);
        Assert.Equal((false, RejectReason.WrongType, field), (result.Ok, result.Reason, result.Field));
    }

    [Theory]
    [MemberData(nameof(EnumFields))]
    public void Parse_UnknownEnumString_InvalidValueWithName(string kind, string field)
    {
        var k = Samples.ByName(kind);
        var json = Samples.Build(k.Fields.Select(f => f.Name == field ? f with { Json = "\"NOPE\"" } : f));
        var result = k.ParseSpan(_parser, json);
        Assert.Equal((false, RejectReason.InvalidValue, field), (result.Ok, result.Reason, result.Field));
    }

    [Theory]
    [MemberData(nameof(AllFields))]
    public void Parse_DuplicateKey_DuplicateFieldWithName(string kind, string field)
    {
        var k = Samples.ByName(kind);
        var target = k.Fields.Single(f => f.Name == field);
        var json = Samples.Build(k.Fields.Append(target));
        var result = k.ParseSpan(_parser, json);
        Assert.Equal((false, RejectReason.DuplicateField, field), (result.Ok, result.Reason, result.Field));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_TruncatedAtEveryLength_InvalidJson(string kind)
    {
        var k = Samples.ByName(kind);
        var full = k.Full;
        for (int length = 0; length < full.Length; length++)
        {
            var result = k.ParseSpan(_parser, full.AsSpan(0, length));
            Assert.False(result.Ok, $"length {length}");
            Assert.Equal(RejectReason.InvalidJson, result.Reason);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_LongerThanMaxEventBytes_Oversized(string kind)
    {
        var k = Samples.ByName(kind);
        var padding = new string('x', 16 * 1024);
        var json = Samples.Build(k.Fields.Prepend(new SampleField("padding", $"\"{padding}\"", FieldType.Str, false)));
        var result = k.ParseSpan(_parser, json);
        Assert.Equal(RejectReason.Oversized, result.Reason);
        Assert.Equal(RejectReason.Oversized, k.ParseSequence(_parser, Sequences.Split(json, json.Length / 2)).Reason);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_ExactlyMaxEventBytes_SucceedsAndOneLessIsOversized(string kind)
    {
        var k = Samples.ByName(kind);
        var full = k.Full;
        Assert.True(k.ParseSpan(new EventParser(new ParserOptions { MaxEventBytes = full.Length }), full).Ok);
        var small = new EventParser(new ParserOptions { MaxEventBytes = full.Length - 1 });
        Assert.Equal(RejectReason.Oversized, k.ParseSpan(small, full).Reason);
        Assert.Equal(RejectReason.Oversized, k.ParseSequence(small, Sequences.OneBytePerSegment(full)).Reason);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_NotAnObject_Rejected(string kind)
    {
        var k = Samples.ByName(kind);
        foreach (var json in new[] { "[]", "1", "\"x\"", "null", "true", "[{\"event_id\":\"x\"}]" })
        {
            var result = k.ParseSpan(_parser, Samples.Utf8(json));
            Assert.False(result.Ok);
            Assert.True(result.Reason is RejectReason.NotAnObject or RejectReason.InvalidJson, $"{json}: {result.Reason}");
        }

        foreach (var json in new[] { "", "   ", "{", "}", "{}{}", "{} x", "{\"a\":1,}", "{'a':1}", "{\"a\":1 /* c */}" })
        {
            var result = k.ParseSpan(_parser, Samples.Utf8(json));
            Assert.Equal((false, RejectReason.InvalidJson), (result.Ok, result.Reason));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_DeepNestingInUnknownField_InvalidJson(string kind)
    {
        var k = Samples.ByName(kind);
        var deep = new string('[', 100) + new string(']', 100);
        var json = Samples.Build(k.Fields.Prepend(new SampleField("zz_deep", deep, FieldType.Arr, false)));
        var result = k.ParseSpan(_parser, json);
        Assert.Equal((false, RejectReason.InvalidJson), (result.Ok, result.Reason));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_ModerateNestingInUnknownField_Ignored(string kind)
    {
        var k = Samples.ByName(kind);
        var nested = new string('[', 30) + "{\"a\":null}" + new string(']', 30);
        var json = Samples.Build(k.Fields.Prepend(new SampleField("zz_nested", nested, FieldType.Arr, false)));
        Assert.Equal(k.ParseSpan(_parser, k.Full), k.ParseSpan(_parser, json));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_UnknownFields_IgnoredSameResult(string kind)
    {
        var k = Samples.ByName(kind);
        var expected = k.ParseSpan(_parser, k.Full);
        var fields = k.Fields.ToList();
        fields.Insert(0, new("zz_obj", "{\"a\":[1,2,{\"b\":null}],\"c\":\"d\",\"event_id\":5}", FieldType.Obj, false));
        fields.Insert(fields.Count / 2, new("zz_num", "-1.5e3", FieldType.Num, false));
        fields.Add(new("zz_str", "\"\\u00e9\\n\"", FieldType.Str, false));
        fields.Add(new("zz_null", "null", FieldType.Str, false));
        var actual = k.ParseSpan(_parser, Samples.Build(fields));
        Assert.True(actual.Ok);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_WhitespaceAroundTokens_SameResult(string kind)
    {
        var k = Samples.ByName(kind);
        var spaced = "\r\n { " + string.Join(" ,\n\t", k.Fields.Select(f => $"\"{f.Name}\" : {f.Json}")) + " } \n";
        Assert.Equal(k.ParseSpan(_parser, k.Full), k.ParseSpan(_parser, Samples.Utf8(spaced)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_InvalidUtf8InsideString_Rejected(string kind)
    {
        var k = Samples.ByName(kind);
        foreach (var field in k.Fields.Where(f => f.Type == FieldType.Str))
        {
            var json = Samples.Build(k.Fields.Select(f => f.Name == field.Name ? f with { Json = "\"aXb\"" } : f));
            int at = IndexOf(json, "aXb"u8) + 1;
            json[at] = 0xFF;
            var result = k.ParseSpan(_parser, json);
            Assert.False(result.Ok, field.Name);
            Assert.Equal(RejectReason.InvalidJson, result.Reason);
        }

        // Invalid UTF-8 inside an ignored string: the reader validates structure only, so the message must still not throw.
        var unknown = Samples.Build(k.Fields.Prepend(new SampleField("zz", "\"aXb\"", FieldType.Str, false)));
        unknown[IndexOf(unknown, "aXb"u8) + 1] = 0xC3;
        _ = k.ParseSpan(_parser, unknown);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Parse_EscapedPropertyNames_Matched(string kind)
    {
        var k = Samples.ByName(kind);
        if (k == Samples.SignalSms)
        {
            // The fs.signals fallback looks for the literal bytes "receiver"; an escaped name needs "kind" (SignalParserTests).
            return;
        }

        var escaped = "{" + string.Join(",", k.Fields.Select(f => $"\"{Escape(f.Name)}\":{f.Json}")) + "}";
        Assert.Equal(k.ParseSpan(_parser, k.Full), k.ParseSpan(_parser, Samples.Utf8(escaped)));

        static string Escape(string name) => "\\u" + ((int)name[0]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + name[1..];
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ParseSequence_SplitAtEveryOffset_SameAsSpan(string kind)
    {
        var k = Samples.ByName(kind);
        foreach (var bytes in new[] { k.Full, k.Minimal })
        {
            var expected = k.ParseSpan(_parser, bytes);
            Assert.True(expected.Ok);
            for (int i = 0; i <= bytes.Length; i++)
            {
                Assert.Equal(expected, k.ParseSequence(_parser, Sequences.Split(bytes, i)));
            }

            Assert.Equal(expected, k.ParseSequence(_parser, Sequences.OneBytePerSegment(bytes)));
            Assert.Equal(expected, k.ParseSequence(_parser, new System.Buffers.ReadOnlySequence<byte>(bytes)));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ParseSequence_InvalidMessages_SameRejectionAsSpan(string kind)
    {
        var k = Samples.ByName(kind);
        var full = k.Full;
        for (int length = 0; length < full.Length; length += 7)
        {
            var expected = k.ParseSpan(_parser, full.AsSpan(0, length));
            Assert.Equal(expected, k.ParseSequence(_parser, Sequences.Split(full.AsMemory(0, length), length / 2)));
        }

        var missing = Samples.Build(k.Fields.Skip(1));
        Assert.Equal(k.ParseSpan(_parser, missing), k.ParseSequence(_parser, Sequences.OneBytePerSegment(missing)));
    }

    [Fact]
    public void ParseSequence_ScratchReusedAcrossSizes_EachResultCorrect()
    {
        foreach (var k in Samples.All)
        {
            var expected = k.ParseSpan(_parser, k.Full);
            Assert.Equal(expected, k.ParseSequence(_parser, Sequences.Split(k.Full, 3)));
            Assert.Equal(k.ParseSpan(_parser, k.Minimal), k.ParseSequence(_parser, Sequences.Split(k.Minimal, 3)));
        }
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);

    [Fact]
    public void ParseError_ToString_ReasonAndField()
    {
        Assert.Equal("MissingField(payer.account)", new ParseError(RejectReason.MissingField, "payer.account").ToString());
        Assert.Equal("Oversized", new ParseError(RejectReason.Oversized, "").ToString());
        Assert.Equal(string.Empty, default(ParseError).Field);
        Assert.Equal(RejectReason.None, default(ParseError).Reason);
        _ = Encoding.UTF8;
    }
}
