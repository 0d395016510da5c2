namespace FraudShield.Ingest.Events;

/// <summary>Why an event was rejected; the dead-letter header carries it (as Kestrel's RequestRejectionReason).</summary>
public enum RejectReason : byte
{
    /// <summary>Not rejected.</summary>
    None = 0,

    /// <summary>The message is longer than <see cref="ParserOptions.MaxEventBytes"/>.</summary>
    Oversized,

    /// <summary>The bytes are not well-formed JSON (including invalid UTF-8, trailing data and nesting deeper than 64).</summary>
    InvalidJson,

    /// <summary>The top-level JSON value is not an object.</summary>
    NotAnObject,

    /// <summary>A required field is absent or null.</summary>
    MissingField,

    /// <summary>A field has the wrong JSON type (for example a string where a number is expected).</summary>
    WrongType,

    /// <summary>A field has the right JSON type but an unacceptable value (unknown enum string, out of range number).</summary>
    InvalidValue,

    /// <summary>A phone number field does not normalize to E.164 digits.</summary>
    InvalidPhoneNumber,

    /// <summary>A known field occurs twice in the same object.</summary>
    DuplicateField,

    /// <summary>A signal's <c>kind</c> is neither <c>sms</c> nor <c>device</c>.</summary>
    UnknownEventKind,

    /// <summary>The event arrived too late to be evaluated (reported by the consumer, not by the parser).</summary>
    Late,
}

/// <summary>Direction of a call relative to the subscriber the record belongs to. JSON: <c>IN</c>, <c>OUT</c>, <c>FWD</c>.</summary>
public enum CallDirection : byte
{
    /// <summary>Not set.</summary>
    Unknown,

    /// <summary>Inbound call (<c>IN</c>).</summary>
    In,

    /// <summary>Outbound call (<c>OUT</c>).</summary>
    Out,

    /// <summary>Forwarded call (<c>FWD</c>).</summary>
    Fwd,
}

/// <summary>Where a call comes from. JSON: <c>DOMESTIC</c>, <c>INTERNATIONAL</c>, <c>VIRTUAL</c>, <c>LANDLINE</c>, <c>UNKNOWN</c>.</summary>
public enum CallOrigin : byte
{
    /// <summary>The operator could not classify the origin (<c>UNKNOWN</c>).</summary>
    Unknown,

    /// <summary>A domestic mobile number (<c>DOMESTIC</c>).</summary>
    Domestic,

    /// <summary>An international call (<c>INTERNATIONAL</c>).</summary>
    International,

    /// <summary>A virtual-operator number (<c>VIRTUAL</c>).</summary>
    Virtual,

    /// <summary>A fixed line (<c>LANDLINE</c>).</summary>
    Landline,
}

/// <summary>Class of an SMS sender. JSON: <c>PERSONAL</c>, <c>SHORT_CODE</c>, <c>INTERNATIONAL</c>, <c>OFFICIAL</c>.</summary>
public enum SenderClass : byte
{
    /// <summary>Not set.</summary>
    Unknown,

    /// <summary>A personal mobile number (<c>PERSONAL</c>).</summary>
    Personal,

    /// <summary>A service short code (<c>SHORT_CODE</c>).</summary>
    ShortCode,

    /// <summary>An international sender (<c>INTERNATIONAL</c>).</summary>
    International,

    /// <summary>A registered official sender (<c>OFFICIAL</c>).</summary>
    Official,
}

/// <summary>What happened on a handset. JSON: <c>INSTALL</c>, <c>SCREEN_SHARE_START</c>, <c>SCREEN_SHARE_STOP</c>,
/// <c>REMOTE_CONTROL</c>, <c>ACCESSIBILITY_ON</c>, <c>POWER_OFF</c>, <c>DETACH</c>.</summary>
public enum DeviceEventType : byte
{
    /// <summary>Not set.</summary>
    Unknown,

    /// <summary>An app was installed (<c>INSTALL</c>).</summary>
    Install,

    /// <summary>Screen sharing started (<c>SCREEN_SHARE_START</c>).</summary>
    ScreenShareStart,

    /// <summary>Screen sharing stopped (<c>SCREEN_SHARE_STOP</c>).</summary>
    ScreenShareStop,

    /// <summary>A remote-control session started (<c>REMOTE_CONTROL</c>).</summary>
    RemoteControl,

    /// <summary>An accessibility service was enabled (<c>ACCESSIBILITY_ON</c>).</summary>
    AccessibilityOn,

    /// <summary>The handset was switched off (<c>POWER_OFF</c>).</summary>
    PowerOff,

    /// <summary>The handset detached from the network (<c>DETACH</c>).</summary>
    Detach,
}

/// <summary>Risk category of an app. JSON: <c>MEETING</c>, <c>SCREEN_SHARE</c>, <c>REMOTE_CONTROL</c>, <c>FAKE_INVEST</c>,
/// <c>FAKE_LOAN</c>, <c>UNKNOWN_APK</c>; absent or null is <see cref="None"/>.</summary>
public enum AppCategory : byte
{
    /// <summary>No category (absent or null).</summary>
    None,

    /// <summary>Meeting app (<c>MEETING</c>).</summary>
    Meeting,

    /// <summary>Screen-share app (<c>SCREEN_SHARE</c>).</summary>
    ScreenShare,

    /// <summary>Remote-control app (<c>REMOTE_CONTROL</c>).</summary>
    RemoteControl,

    /// <summary>Known fake investment app (<c>FAKE_INVEST</c>).</summary>
    FakeInvest,

    /// <summary>Known fake loan app (<c>FAKE_LOAN</c>).</summary>
    FakeLoan,

    /// <summary>Side-loaded package of unknown origin (<c>UNKNOWN_APK</c>).</summary>
    UnknownApk,
}

/// <summary>Kind of a bank transaction. JSON: <c>TRANSFER</c>, <c>CASH_OUT</c>, <c>DEPOSIT</c>, <c>LOAN_DRAWDOWN</c>, <c>DEPOSIT_BREAK</c>.</summary>
public enum TxnType : byte
{
    /// <summary>Account-to-account transfer (<c>TRANSFER</c>).</summary>
    Transfer,

    /// <summary>Cash withdrawal (<c>CASH_OUT</c>).</summary>
    CashOut,

    /// <summary>Inbound deposit (<c>DEPOSIT</c>).</summary>
    Deposit,

    /// <summary>Loan drawdown into the account (<c>LOAN_DRAWDOWN</c>).</summary>
    LoanDrawdown,

    /// <summary>Early break of a time deposit (<c>DEPOSIT_BREAK</c>).</summary>
    DepositBreak,
}

/// <summary>Kind of payee. JSON: <c>PERSON</c>, <c>CORP</c>, <c>PSP</c>; absent or null is <see cref="Unknown"/>.</summary>
public enum PayeeKind : byte
{
    /// <summary>Not given.</summary>
    Unknown,

    /// <summary>A private person (<c>PERSON</c>).</summary>
    Person,

    /// <summary>A company (<c>CORP</c>).</summary>
    Corp,

    /// <summary>A payment service provider (<c>PSP</c>).</summary>
    Psp,
}

/// <summary>What a watchlist key identifies. JSON: <c>MSISDN</c>, <c>IMEI</c>, <c>ACCOUNT</c>, <c>URL</c>, <c>APP_PKG</c>, <c>DEVICE</c>.</summary>
public enum WatchKeyType : byte
{
    /// <summary>A phone number (<c>MSISDN</c>).</summary>
    Msisdn,

    /// <summary>A handset IMEI (<c>IMEI</c>).</summary>
    Imei,

    /// <summary>A bank account (<c>ACCOUNT</c>).</summary>
    Account,

    /// <summary>A URL or domain (<c>URL</c>).</summary>
    Url,

    /// <summary>An app package name (<c>APP_PKG</c>).</summary>
    AppPkg,

    /// <summary>A device id (<c>DEVICE</c>).</summary>
    Device,
}

/// <summary>Confidence of a watchlist entry. JSON: <c>CONFIRMED</c>, <c>SUSPECTED</c>.</summary>
public enum WatchLevel : byte
{
    /// <summary>Confirmed by police (<c>CONFIRMED</c>).</summary>
    Confirmed,

    /// <summary>Suspected, for example from intelligence rules (<c>SUSPECTED</c>).</summary>
    Suspected,
}

/// <summary>Flags of a registered subject. JSON: an array of <c>"elderly"</c>, <c>"student"</c>, <c>"corporate"</c>.</summary>
[Flags]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Name fixed by the shared event API.")]
public enum SubjectFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Elderly person (<c>"elderly"</c>).</summary>
    Elderly = 1,

    /// <summary>Student (<c>"student"</c>).</summary>
    Student = 2,

    /// <summary>A company whose accounts are corporate accounts; its numbers are those of the staff who pay from them (<c>"corporate"</c>).</summary>
    Corporate = 4,
}

/// <summary>Which event an <c>fs.signals</c> message holds.</summary>
public enum SignalKind : byte
{
    /// <summary>An <see cref="SmsEvent"/>.</summary>
    Sms,

    /// <summary>A <see cref="DeviceEvent"/>.</summary>
    Device,
}
