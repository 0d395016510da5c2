using System.Text.Json;

namespace FraudShield.Ingest.Events.Internal;

/// <summary>
/// Enum readers: the JSON value must be a string (else <see cref="RejectReason.WrongType"/>) equal to one of the
/// upper-case names (else <see cref="RejectReason.InvalidValue"/>). <c>ValueTextEquals</c> compares without allocating
/// and also matches escaped spellings.
/// </summary>
internal static class EnumRead
{
    public static RejectReason Direction<TTokens>(scoped ref TTokens r, out CallDirection value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("IN"u8)) { value = CallDirection.In; }
        else if (r.ValueTextEquals("OUT"u8)) { value = CallDirection.Out; }
        else if (r.ValueTextEquals("FWD"u8)) { value = CallDirection.Fwd; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason Origin<TTokens>(scoped ref TTokens r, out CallOrigin value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("DOMESTIC"u8)) { value = CallOrigin.Domestic; }
        else if (r.ValueTextEquals("INTERNATIONAL"u8)) { value = CallOrigin.International; }
        else if (r.ValueTextEquals("VIRTUAL"u8)) { value = CallOrigin.Virtual; }
        else if (r.ValueTextEquals("LANDLINE"u8)) { value = CallOrigin.Landline; }
        else if (r.ValueTextEquals("UNKNOWN"u8)) { value = CallOrigin.Unknown; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason SenderClass<TTokens>(scoped ref TTokens r, out SenderClass value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("PERSONAL"u8)) { value = Events.SenderClass.Personal; }
        else if (r.ValueTextEquals("SHORT_CODE"u8)) { value = Events.SenderClass.ShortCode; }
        else if (r.ValueTextEquals("INTERNATIONAL"u8)) { value = Events.SenderClass.International; }
        else if (r.ValueTextEquals("OFFICIAL"u8)) { value = Events.SenderClass.Official; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason DeviceType<TTokens>(scoped ref TTokens r, out DeviceEventType value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("INSTALL"u8)) { value = DeviceEventType.Install; }
        else if (r.ValueTextEquals("SCREEN_SHARE_START"u8)) { value = DeviceEventType.ScreenShareStart; }
        else if (r.ValueTextEquals("SCREEN_SHARE_STOP"u8)) { value = DeviceEventType.ScreenShareStop; }
        else if (r.ValueTextEquals("REMOTE_CONTROL"u8)) { value = DeviceEventType.RemoteControl; }
        else if (r.ValueTextEquals("ACCESSIBILITY_ON"u8)) { value = DeviceEventType.AccessibilityOn; }
        else if (r.ValueTextEquals("POWER_OFF"u8)) { value = DeviceEventType.PowerOff; }
        else if (r.ValueTextEquals("DETACH"u8)) { value = DeviceEventType.Detach; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason AppCategory<TTokens>(scoped ref TTokens r, out AppCategory value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("MEETING"u8)) { value = Events.AppCategory.Meeting; }
        else if (r.ValueTextEquals("SCREEN_SHARE"u8)) { value = Events.AppCategory.ScreenShare; }
        else if (r.ValueTextEquals("REMOTE_CONTROL"u8)) { value = Events.AppCategory.RemoteControl; }
        else if (r.ValueTextEquals("FAKE_INVEST"u8)) { value = Events.AppCategory.FakeInvest; }
        else if (r.ValueTextEquals("FAKE_LOAN"u8)) { value = Events.AppCategory.FakeLoan; }
        else if (r.ValueTextEquals("UNKNOWN_APK"u8)) { value = Events.AppCategory.UnknownApk; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason TxnType<TTokens>(scoped ref TTokens r, out TxnType value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("TRANSFER"u8)) { value = Events.TxnType.Transfer; }
        else if (r.ValueTextEquals("CASH_OUT"u8)) { value = Events.TxnType.CashOut; }
        else if (r.ValueTextEquals("DEPOSIT"u8)) { value = Events.TxnType.Deposit; }
        else if (r.ValueTextEquals("LOAN_DRAWDOWN"u8)) { value = Events.TxnType.LoanDrawdown; }
        else if (r.ValueTextEquals("DEPOSIT_BREAK"u8)) { value = Events.TxnType.DepositBreak; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason PayeeKind<TTokens>(scoped ref TTokens r, out PayeeKind value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("PERSON"u8)) { value = Events.PayeeKind.Person; }
        else if (r.ValueTextEquals("CORP"u8)) { value = Events.PayeeKind.Corp; }
        else if (r.ValueTextEquals("PSP"u8)) { value = Events.PayeeKind.Psp; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason WatchKeyType<TTokens>(scoped ref TTokens r, out WatchKeyType value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("MSISDN"u8)) { value = Events.WatchKeyType.Msisdn; }
        else if (r.ValueTextEquals("IMEI"u8)) { value = Events.WatchKeyType.Imei; }
        else if (r.ValueTextEquals("ACCOUNT"u8)) { value = Events.WatchKeyType.Account; }
        else if (r.ValueTextEquals("URL"u8)) { value = Events.WatchKeyType.Url; }
        else if (r.ValueTextEquals("APP_PKG"u8)) { value = Events.WatchKeyType.AppPkg; }
        else if (r.ValueTextEquals("DEVICE"u8)) { value = Events.WatchKeyType.Device; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    public static RejectReason WatchLevel<TTokens>(scoped ref TTokens r, out WatchLevel value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.String)
        {
            return RejectReason.WrongType;
        }

        if (r.ValueTextEquals("CONFIRMED"u8)) { value = Events.WatchLevel.Confirmed; }
        else if (r.ValueTextEquals("SUSPECTED"u8)) { value = Events.WatchLevel.Suspected; }
        else { return RejectReason.InvalidValue; }

        return RejectReason.None;
    }

    /// <summary>Subject flags: an array of <c>"elderly"</c>, <c>"student"</c> and <c>"corporate"</c>; an unknown flag is an invalid value.</summary>
    public static RejectReason SubjectFlags<TTokens>(scoped ref TTokens r, out SubjectFlags value)
        where TTokens : IJsonTokens, allows ref struct
    {
        value = default;
        if (r.TokenType != JsonTokenType.StartArray)
        {
            return RejectReason.WrongType;
        }

        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.String)
            {
                return RejectReason.WrongType;
            }

            if (r.ValueTextEquals("elderly"u8)) { value |= Events.SubjectFlags.Elderly; }
            else if (r.ValueTextEquals("student"u8)) { value |= Events.SubjectFlags.Student; }
            else if (r.ValueTextEquals("corporate"u8)) { value |= Events.SubjectFlags.Corporate; }
            else { return RejectReason.InvalidValue; }
        }

        return RejectReason.None;
    }
}
