using FraudShield.Ingest.Events;
using static FraudShield.Ingest.Tests.Samples;

namespace FraudShield.Ingest.Tests;

/// <summary>Every field of every event type, from the full and the minimal samples, plus per-type value rules.</summary>
public sealed class EventFieldTests
{
    private readonly EventParser _parser = new();

    [Fact]
    public void TryParseCall_FullSample_EveryField()
    {
        Assert.True(_parser.TryParseCall(Call.Full, out var e, out var error), error.ToString());
        Assert.Equal(RejectReason.None, error.Reason);
        Assert.Equal("c-1", S(e.EventId));
        Assert.Equal("call-9", S(e.CallId));
        Assert.Equal(447911123456UL, e.Calling);
        Assert.Equal(8613800138000UL, e.Presented);
        Assert.Equal(8613900139000UL, e.Called);
        Assert.Equal(CallDirection.In, e.Direction);
        Assert.Equal(1700000000000L, e.StartMs);
        Assert.Equal(1700000005000L, e.AnswerMs);
        Assert.Equal(1700000725000L, e.EndMs);
        Assert.Equal(720, e.DurationS);
        Assert.True(e.Answered);
        Assert.Equal(CallOrigin.International, e.Origin);
        Assert.Equal("GB", S(e.OriginCountry));
        Assert.Equal(356938035643809UL, e.Imei);
        Assert.Equal(460001234567890UL, e.Imsi);
        Assert.Equal("CELL-77", S(e.CellId));
        Assert.True(e.Roaming);
    }

    [Fact]
    public void TryParseCall_MinimalSample_OptionalsDefault()
    {
        Assert.True(_parser.TryParseCall(Call.Minimal, out var e, out _));
        Assert.Equal("c-1", S(e.EventId));
        Assert.True(e.CallId.IsEmpty);
        Assert.Equal(0UL, e.Presented);
        Assert.Null(e.AnswerMs);
        Assert.Null(e.EndMs);
        Assert.True(e.OriginCountry.IsEmpty);
        Assert.Equal(0UL, e.Imei);
        Assert.Equal(0UL, e.Imsi);
        Assert.True(e.CellId.IsEmpty);
        Assert.False(e.Roaming);
    }

    [Theory]
    [InlineData("direction", "\"OUT\"", "Out")]
    [InlineData("direction", "\"FWD\"", "Fwd")]
    [InlineData("origin", "\"DOMESTIC\"", "Domestic")]
    [InlineData("origin", "\"VIRTUAL\"", "Virtual")]
    [InlineData("origin", "\"LANDLINE\"", "Landline")]
    [InlineData("origin", "\"UNKNOWN\"", "Unknown")]
    [InlineData("origin", "\"\\u0056IRTUAL\"", "Virtual")]
    public void TryParseCall_EnumSpellings_Mapped(string field, string json, string expected)
    {
        var bytes = Build(CallFields.Select(f => f.Name == field ? f with { Json = json } : f));
        Assert.True(_parser.TryParseCall(bytes, out var e, out _));
        Assert.Equal(expected, field == "direction" ? e.Direction.ToString() : e.Origin.ToString());
    }

    [Theory]
    [InlineData("direction", "\"in\"", RejectReason.InvalidValue)]
    [InlineData("direction", "\"\"", RejectReason.InvalidValue)]
    [InlineData("calling", "\"abc\"", RejectReason.InvalidPhoneNumber)]
    [InlineData("calling", "\"12\"", RejectReason.InvalidPhoneNumber)]
    [InlineData("called", "1.5", RejectReason.InvalidPhoneNumber)]
    [InlineData("presented", "\"+\"", RejectReason.InvalidPhoneNumber)]
    [InlineData("start_ms", "1.5", RejectReason.InvalidValue)]
    [InlineData("start_ms", "99999999999999999999", RejectReason.InvalidValue)]
    [InlineData("duration_s", "-1", RejectReason.InvalidValue)]
    [InlineData("duration_s", "3000000000", RejectReason.InvalidValue)]
    [InlineData("imei", "\"35693803564380X\"", RejectReason.InvalidValue)]
    [InlineData("imei", "\"12345678901234567890\"", RejectReason.InvalidValue)]
    [InlineData("imsi", "-4", RejectReason.InvalidValue)]
    public void TryParseCall_BadValue_RejectedWithField(string field, string json, RejectReason reason)
    {
        var bytes = Build(CallFields.Select(f => f.Name == field ? f with { Json = json } : f));
        Assert.False(_parser.TryParseCall(bytes, out _, out var error));
        Assert.Equal((reason, field), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseCall_PhoneAsJsonNumber_Normalized()
    {
        var bytes = Build(CallFields.Select(f => f.Name == "called" ? f with { Json = "13900139000" } : f));
        Assert.True(_parser.TryParseCall(bytes, out var e, out _));
        Assert.Equal(8613900139000UL, e.Called);
    }

    [Fact]
    public void TryParseCall_EscapedStringValue_KeptRaw()
    {
        var bytes = Build(CallFields.Select(f => f.Name == "cell_id" ? f with { Json = "\"A\\u0042\\\"C\"" } : f));
        Assert.True(_parser.TryParseCall(bytes, out var e, out _));
        Assert.Equal("A\\u0042\\\"C", S(e.CellId));
    }

    [Fact]
    public void TryParseCall_EscapedPhoneNumber_Unescaped()
    {
        var bytes = Build(CallFields.Select(f => f.Name == "called" ? f with { Json = "\"\\u002B8613900139000\"" } : f));
        Assert.True(_parser.TryParseCall(bytes, out var e, out _));
        Assert.Equal(8613900139000UL, e.Called);
    }

    [Fact]
    public void TryParseCall_OtherCountryOption_UsedForNationalNumbers()
    {
        var parser = new EventParser(new ParserOptions { DefaultCountryCode = 44, NationalNumberLength = 10 });
        var bytes = Build(CallFields.Select(f => f.Name == "called" ? f with { Json = "\"07911123456\"" } : f));
        Assert.True(parser.TryParseCall(bytes, out var e, out _));
        Assert.Equal(447911123456UL, e.Called);
    }

    [Fact]
    public void TryParseSms_FullSample_EveryField()
    {
        Assert.True(_parser.TryParseSms(Sms.Full, out var e, out var error), error.ToString());
        Assert.Equal("s-1", S(e.EventId));
        Assert.Equal(8613800138000UL, e.Sender);
        Assert.Equal("+8613800138000", S(e.SenderRaw));
        Assert.Equal(8613900139000UL, e.Receiver);
        Assert.Equal(1700000001000L, e.TsMs);
        Assert.Equal(SenderClass.Personal, e.SenderClass);
        Assert.Equal(2, e.KeywordFlags.Count);
        Assert.Equal("[refund|police]#2", S(e.KeywordFlags));
        Assert.True(e.KeywordFlags.Contains("police"u8));
        Assert.False(e.KeywordFlags.Contains("polic"u8));
        Assert.Equal("[\"refund\", \"police\"]", S(e.KeywordFlags.RawJson));
        Assert.Equal("[evil.example]#1", S(e.UrlDomains));
    }

    [Fact]
    public void TryParseSms_MinimalSample_OptionalsDefault()
    {
        Assert.True(_parser.TryParseSms(Sms.Minimal, out var e, out _));
        Assert.Equal(0UL, e.Sender);
        Assert.True(e.SenderRaw.IsEmpty);
        Assert.True(e.KeywordFlags.IsEmpty);
        Assert.Equal(0, e.UrlDomains.Count);
        foreach (var unused in e.UrlDomains)
        {
            Assert.Fail("empty array enumerated an item");
        }
    }

    [Theory]
    [InlineData("\"95588\"", 95588UL, "95588")]
    [InlineData("\"ICBC\"", 0UL, "ICBC")]
    [InlineData("\"+1-800-FLOWERS\"", 0UL, "+1-800-FLOWERS")]
    [InlineData("10086", 10086UL, "10086")]
    public void TryParseSms_Sender_NumberOrAlphanumeric(string json, ulong number, string raw)
    {
        var bytes = Build(SmsFields.Select(f => f.Name == "sender" ? f with { Json = json } : f));
        Assert.True(_parser.TryParseSms(bytes, out var e, out _));
        Assert.Equal(number, e.Sender);
        Assert.Equal(raw, S(e.SenderRaw));
    }

    [Theory]
    [InlineData("\"SHORT_CODE\"", SenderClass.ShortCode)]
    [InlineData("\"INTERNATIONAL\"", SenderClass.International)]
    [InlineData("\"OFFICIAL\"", SenderClass.Official)]
    public void TryParseSms_SenderClass_Mapped(string json, SenderClass expected)
    {
        var bytes = Build(SmsFields.Select(f => f.Name == "sender_class" ? f with { Json = json } : f));
        Assert.True(_parser.TryParseSms(bytes, out var e, out _));
        Assert.Equal(expected, e.SenderClass);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("[\"a\", null]")]
    [InlineData("[[\"a\"]]")]
    [InlineData("[{}]")]
    public void TryParseSms_ArrayWithNonString_WrongType(string json)
    {
        var bytes = Build(SmsFields.Select(f => f.Name == "url_domains" ? f with { Json = json } : f));
        Assert.False(_parser.TryParseSms(bytes, out _, out var error));
        Assert.Equal((RejectReason.WrongType, "url_domains"), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseSms_ReceiverInvalid_InvalidPhoneNumber()
    {
        var bytes = Build(SmsFields.Select(f => f.Name == "receiver" ? f with { Json = "\"ICBC\"" } : f));
        Assert.False(_parser.TryParseSms(bytes, out _, out var error));
        Assert.Equal((RejectReason.InvalidPhoneNumber, "receiver"), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseDevice_FullSample_EveryField()
    {
        Assert.True(_parser.TryParseDevice(Device.Full, out var e, out var error), error.ToString());
        Assert.Equal("d-1", S(e.EventId));
        Assert.Equal(8613900139000UL, e.Msisdn);
        Assert.Equal("dev-1", S(e.DeviceId));
        Assert.Equal(1700000002000L, e.TsMs);
        Assert.Equal(DeviceEventType.ScreenShareStart, e.Type);
        Assert.Equal("com.example.meeting", S(e.Package));
        Assert.Equal(AppCategory.Meeting, e.AppCategory);
        Assert.True(e.OnCall);
    }

    [Fact]
    public void TryParseDevice_MinimalSample_OptionalsDefault()
    {
        Assert.True(_parser.TryParseDevice(Device.Minimal, out var e, out _));
        Assert.True(e.DeviceId.IsEmpty);
        Assert.True(e.Package.IsEmpty);
        Assert.Equal(AppCategory.None, e.AppCategory);
        Assert.False(e.OnCall);
    }

    [Theory]
    [InlineData("INSTALL", DeviceEventType.Install)]
    [InlineData("SCREEN_SHARE_START", DeviceEventType.ScreenShareStart)]
    [InlineData("SCREEN_SHARE_STOP", DeviceEventType.ScreenShareStop)]
    [InlineData("REMOTE_CONTROL", DeviceEventType.RemoteControl)]
    [InlineData("ACCESSIBILITY_ON", DeviceEventType.AccessibilityOn)]
    [InlineData("POWER_OFF", DeviceEventType.PowerOff)]
    [InlineData("DETACH", DeviceEventType.Detach)]
    public void TryParseDevice_EveryType_Mapped(string json, DeviceEventType expected)
    {
        var bytes = Build(DeviceFields.Select(f => f.Name == "type" ? f with { Json = $"\"{json}\"" } : f));
        Assert.True(_parser.TryParseDevice(bytes, out var e, out _));
        Assert.Equal(expected, e.Type);
    }

    [Theory]
    [InlineData("MEETING", AppCategory.Meeting)]
    [InlineData("SCREEN_SHARE", AppCategory.ScreenShare)]
    [InlineData("REMOTE_CONTROL", AppCategory.RemoteControl)]
    [InlineData("FAKE_INVEST", AppCategory.FakeInvest)]
    [InlineData("FAKE_LOAN", AppCategory.FakeLoan)]
    [InlineData("UNKNOWN_APK", AppCategory.UnknownApk)]
    public void TryParseDevice_EveryAppCategory_Mapped(string json, AppCategory expected)
    {
        var bytes = Build(DeviceFields.Select(f => f.Name == "app_category" ? f with { Json = $"\"{json}\"" } : f));
        Assert.True(_parser.TryParseDevice(bytes, out var e, out _));
        Assert.Equal(expected, e.AppCategory);
    }

    [Fact]
    public void TryParseTxn_FullSample_EveryField()
    {
        Assert.True(_parser.TryParseTxn(Txn.Full, out var e, out var error), error.ToString());
        Assert.Equal("t-1", S(e.TxnId));
        Assert.Equal(1700000003000L, e.TsMs);
        Assert.Equal("POSTED", S(e.Status));
        Assert.Equal("MOBILE", S(e.Channel));
        Assert.Equal(TxnType.Transfer, e.Type);
        Assert.Equal("6222020000001234", S(e.PayerAccount));
        Assert.Equal(8613900139000UL, e.PayerMsisdn);
        Assert.Equal("cust-1", S(e.PayerCustomerId));
        Assert.Equal(67, e.PayerAge);
        Assert.Equal("6217000000005678", S(e.PayeeAccount));
        Assert.Equal("ICBC", S(e.PayeeBank));
        Assert.Equal(PayeeKind.Person, e.PayeeKind);
        Assert.Equal(1690000000000L, e.PayeeOpenedMs);
        Assert.Equal(5000000L, e.AmountMinor);
        Assert.Equal("CNY", S(e.Currency));
        Assert.Equal(120000L, e.PayerBalanceAfterMinor);
        Assert.Equal("dev-1", S(e.DeviceId));
    }

    [Fact]
    public void TryParseTxn_MinimalWithMinimalParties_OptionalsDefault()
    {
        var bytes = Build(TxnFields.Where(f => f.Required).Select(f => f.Name switch
        {
            "payer" => f with { Json = "{\"account\":\"A1\"}" },
            "payee" => f with { Json = "{\"account\":\"B2\"}" },
            _ => f,
        }));
        Assert.True(_parser.TryParseTxn(bytes, out var e, out var error), error.ToString());
        Assert.Equal("A1", S(e.PayerAccount));
        Assert.Equal("B2", S(e.PayeeAccount));
        Assert.Equal(0UL, e.PayerMsisdn);
        Assert.True(e.PayerCustomerId.IsEmpty);
        Assert.Null(e.PayerAge);
        Assert.True(e.PayeeBank.IsEmpty);
        Assert.Equal(PayeeKind.Unknown, e.PayeeKind);
        Assert.Null(e.PayeeOpenedMs);
        Assert.True(e.Status.IsEmpty);
        Assert.True(e.Channel.IsEmpty);
        Assert.True(e.Currency.IsEmpty);
        Assert.Null(e.PayerBalanceAfterMinor);
        Assert.True(e.DeviceId.IsEmpty);
    }

    [Theory]
    [InlineData("payer", "{\"msisdn\":\"13900139000\"}", RejectReason.MissingField, "payer.account")]
    [InlineData("payee", "{\"bank\":\"X\"}", RejectReason.MissingField, "payee.account")]
    [InlineData("payer", "{\"account\":null}", RejectReason.MissingField, "payer.account")]
    [InlineData("payer", "{}", RejectReason.MissingField, "payer.account")]
    [InlineData("payer", "{\"account\":1}", RejectReason.WrongType, "payer.account")]
    [InlineData("payer", "{\"account\":\"A\",\"msisdn\":\"abc\"}", RejectReason.InvalidPhoneNumber, "payer.msisdn")]
    [InlineData("payer", "{\"account\":\"A\",\"msisdn\":false}", RejectReason.WrongType, "payer.msisdn")]
    [InlineData("payer", "{\"account\":\"A\",\"customer_id\":[]}", RejectReason.WrongType, "payer.customer_id")]
    [InlineData("payer", "{\"account\":\"A\",\"age\":\"67\"}", RejectReason.WrongType, "payer.age")]
    [InlineData("payer", "{\"account\":\"A\",\"age\":-1}", RejectReason.InvalidValue, "payer.age")]
    [InlineData("payer", "{\"account\":\"A\",\"account\":\"B\"}", RejectReason.DuplicateField, "payer.account")]
    [InlineData("payee", "{\"account\":\"A\",\"kind\":\"BANK\"}", RejectReason.InvalidValue, "payee.kind")]
    [InlineData("payee", "{\"account\":\"A\",\"kind\":3}", RejectReason.WrongType, "payee.kind")]
    [InlineData("payee", "{\"account\":\"A\",\"opened_ms\":\"x\"}", RejectReason.WrongType, "payee.opened_ms")]
    [InlineData("payee", "{\"account\":\"A\",\"bank\":1}", RejectReason.WrongType, "payee.bank")]
    [InlineData("payee", "[]", RejectReason.WrongType, "payee")]
    [InlineData("amount_minor", "-1", RejectReason.InvalidValue, "amount_minor")]
    [InlineData("amount_minor", "10.5", RejectReason.InvalidValue, "amount_minor")]
    public void TryParseTxn_BadNestedOrValue_RejectedWithDottedField(string field, string json, RejectReason reason, string expectedField)
    {
        var bytes = Build(TxnFields.Select(f => f.Name == field ? f with { Json = json } : f));
        Assert.False(_parser.TryParseTxn(bytes, out _, out var error));
        Assert.Equal((reason, expectedField), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseTxn_PayerObjectTwice_DuplicateField()
    {
        var bytes = Build(TxnFields.Append(new SampleField("payer", FullPayer, FieldType.Obj, true)));
        Assert.False(_parser.TryParseTxn(bytes, out _, out var error));
        Assert.Equal((RejectReason.DuplicateField, "payer"), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseTxn_NestedUnknownFieldsAndTopLevelAccount_Ignored()
    {
        var bytes = Build(TxnFields.Select(f => f.Name == "payer"
            ? f with { Json = "{\"x\":{\"account\":\"NO\"},\"account\":\"A9\",\"bank\":\"ignored\"}" }
            : f).Prepend(new SampleField("account", "\"TOP\"", FieldType.Str, false)));
        Assert.True(_parser.TryParseTxn(bytes, out var e, out var error), error.ToString());
        Assert.Equal("A9", S(e.PayerAccount));
        Assert.Null(e.PayerAge);
    }

    [Theory]
    [InlineData("CASH_OUT", TxnType.CashOut)]
    [InlineData("DEPOSIT", TxnType.Deposit)]
    [InlineData("LOAN_DRAWDOWN", TxnType.LoanDrawdown)]
    [InlineData("DEPOSIT_BREAK", TxnType.DepositBreak)]
    [InlineData("TRANSFER", TxnType.Transfer)]
    public void TryParseTxn_EveryType_Mapped(string json, TxnType expected)
    {
        var bytes = Build(TxnFields.Select(f => f.Name == "type" ? f with { Json = $"\"{json}\"" } : f));
        Assert.True(_parser.TryParseTxn(bytes, out var e, out _));
        Assert.Equal(expected, e.Type);
    }

    [Theory]
    [InlineData("CORP", PayeeKind.Corp)]
    [InlineData("PSP", PayeeKind.Psp)]
    public void TryParseTxn_PayeeKinds_Mapped(string json, PayeeKind expected)
    {
        var bytes = Build(TxnFields.Select(f => f.Name == "payee" ? f with { Json = $"{{\"account\":\"A\",\"kind\":\"{json}\"}}" } : f));
        Assert.True(_parser.TryParseTxn(bytes, out var e, out _));
        Assert.Equal(expected, e.PayeeKind);
    }

    [Fact]
    public void TryParseWatchlistEntry_FullSample_EveryField()
    {
        Assert.True(_parser.TryParseWatchlistEntry(Watch.Full, out var e, out var error), error.ToString());
        Assert.Equal(WatchKeyType.Msisdn, e.KeyType);
        Assert.Equal("+86 138-0013-8000", S(e.Key));
        Assert.Equal(8613800138000UL, e.KeyNumber);
        Assert.Equal(WatchLevel.Confirmed, e.Level);
        Assert.Equal("POLICE_IMPERSONATION", S(e.Typology));
        Assert.Equal("MPS", S(e.Source));
        Assert.Equal("CASE-1", S(e.CaseRef));
        Assert.Equal(1690000000000L, e.ValidFromMs);
        Assert.Equal(1790000000000L, e.ValidToMs);
    }

    [Fact]
    public void TryParseWatchlistEntry_MinimalSample_OptionalsDefault()
    {
        Assert.True(_parser.TryParseWatchlistEntry(Watch.Minimal, out var e, out _));
        Assert.True(e.Typology.IsEmpty);
        Assert.True(e.Source.IsEmpty);
        Assert.True(e.CaseRef.IsEmpty);
        Assert.Null(e.ValidFromMs);
        Assert.Null(e.ValidToMs);
    }

    [Theory]
    [InlineData("{\"key\":\"13800138000\",\"key_type\":\"MSISDN\",\"level\":\"SUSPECTED\"}", WatchKeyType.Msisdn, 8613800138000UL, WatchLevel.Suspected)]
    [InlineData("{\"key_type\":\"IMEI\",\"key\":\"356938035643809\",\"level\":\"CONFIRMED\"}", WatchKeyType.Imei, 356938035643809UL, WatchLevel.Confirmed)]
    [InlineData("{\"key_type\":\"ACCOUNT\",\"key\":\"6217000000005678\",\"level\":\"CONFIRMED\"}", WatchKeyType.Account, 0UL, WatchLevel.Confirmed)]
    [InlineData("{\"key_type\":\"URL\",\"key\":\"evil.example\",\"level\":\"CONFIRMED\"}", WatchKeyType.Url, 0UL, WatchLevel.Confirmed)]
    [InlineData("{\"key_type\":\"APP_PKG\",\"key\":\"com.evil\",\"level\":\"CONFIRMED\"}", WatchKeyType.AppPkg, 0UL, WatchLevel.Confirmed)]
    [InlineData("{\"key_type\":\"DEVICE\",\"key\":\"dev-9\",\"level\":\"CONFIRMED\"}", WatchKeyType.Device, 0UL, WatchLevel.Confirmed)]
    public void TryParseWatchlistEntry_KeyTypes_KeyNumber(string json, WatchKeyType type, ulong number, WatchLevel level)
    {
        Assert.True(_parser.TryParseWatchlistEntry(Utf8(json), out var e, out var error), error.ToString());
        Assert.Equal(type, e.KeyType);
        Assert.Equal(number, e.KeyNumber);
        Assert.Equal(level, e.Level);
    }

    [Theory]
    [InlineData("{\"key_type\":\"MSISDN\",\"key\":\"not-a-number\",\"level\":\"CONFIRMED\"}", RejectReason.InvalidPhoneNumber)]
    [InlineData("{\"key\":\"12\",\"key_type\":\"MSISDN\",\"level\":\"CONFIRMED\"}", RejectReason.InvalidPhoneNumber)]
    [InlineData("{\"key_type\":\"IMEI\",\"key\":\"35-69\",\"level\":\"CONFIRMED\"}", RejectReason.InvalidValue)]
    [InlineData("{\"key_type\":\"IMEI\",\"key\":\"\",\"level\":\"CONFIRMED\"}", RejectReason.InvalidValue)]
    public void TryParseWatchlistEntry_BadKey_RejectedOnKey(string json, RejectReason reason)
    {
        Assert.False(_parser.TryParseWatchlistEntry(Utf8(json), out _, out var error));
        Assert.Equal((reason, "key"), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseSubject_FullSample_EveryField()
    {
        Assert.True(_parser.TryParseSubject(Subject.Full, out var e, out var error), error.ToString());
        Assert.Equal("p-1", S(e.PersonId));
        Assert.Equal("[13900139000|+8613900139001]#2", S(e.Msisdns));
        Assert.Equal("[6222020000001234]#1", S(e.Accounts));
        Assert.Equal(1950, e.BirthYear);
        Assert.Equal(SubjectFlags.Elderly | SubjectFlags.Student, e.Flags);
        Assert.Equal("addr-1", S(e.AddressId));
        Assert.Equal("st-1", S(e.StationId));
        Assert.Equal("beat-1", S(e.BeatId));
        Assert.Equal("grid-1", S(e.GridId));
        Assert.Equal("gw-1", S(e.GridWorkerId));
        Assert.Equal("[13700137000]#1", S(e.FamilyMsisdns));
    }

    [Fact]
    public void TryParseSubject_MinimalSample_OptionalsDefault()
    {
        Assert.True(_parser.TryParseSubject(Subject.Minimal, out var e, out _));
        Assert.True(e.Accounts.IsEmpty);
        Assert.Null(e.BirthYear);
        Assert.Equal(SubjectFlags.None, e.Flags);
        Assert.True(e.AddressId.IsEmpty);
        Assert.True(e.BeatId.IsEmpty);
        Assert.True(e.GridId.IsEmpty);
        Assert.True(e.GridWorkerId.IsEmpty);
        Assert.True(e.FamilyMsisdns.IsEmpty);
    }

    [Theory]
    [InlineData("msisdns", "[]", RejectReason.InvalidValue)]
    [InlineData("msisdns", "[\"13900139000\",\"abc\"]", RejectReason.InvalidPhoneNumber)]
    [InlineData("msisdns", "[\"13900139000\",7]", RejectReason.WrongType)]
    [InlineData("flags", "[\"elderly\",\"pensioner\"]", RejectReason.InvalidValue)]
    [InlineData("flags", "[1]", RejectReason.WrongType)]
    [InlineData("flags", "\"elderly\"", RejectReason.WrongType)]
    [InlineData("birth_year", "1950.5", RejectReason.InvalidValue)]
    public void TryParseSubject_BadValue_RejectedWithField(string field, string json, RejectReason reason)
    {
        var bytes = Build(SubjectFields.Select(f => f.Name == field ? f with { Json = json } : f));
        Assert.False(_parser.TryParseSubject(bytes, out _, out var error));
        Assert.Equal((reason, field), (error.Reason, error.Field));
    }

    [Fact]
    public void TryParseSubject_CorporateFlag_Parsed()
    {
        var bytes = Build(SubjectFields.Select(f => f.Name == "flags" ? f with { Json = "[\"corporate\",\"elderly\"]" } : f));
        Assert.True(_parser.TryParseSubject(bytes, out var e, out var error), error.ToString());
        Assert.Equal(SubjectFlags.Corporate | SubjectFlags.Elderly, e.Flags);
    }

    [Fact]
    public void TryParseSubject_EmptyFlagsAndEscapedItems_Accepted()
    {
        var bytes = Build(SubjectFields.Select(f => f.Name switch
        {
            "flags" => f with { Json = "[]" },
            "accounts" => f with { Json = "[\"a\\\"b\", \"\"]" },
            "msisdns" => f with { Json = "[\"\\u0031\\u0033900139000\"]" },
            _ => f,
        }));
        Assert.True(_parser.TryParseSubject(bytes, out var e, out var error), error.ToString());
        Assert.Equal(SubjectFlags.None, e.Flags);
        Assert.Equal("[a\\\"b|]#2", S(e.Accounts));
        Assert.Equal(1, e.Msisdns.Count);
    }
}
