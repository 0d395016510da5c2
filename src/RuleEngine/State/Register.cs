using System.Runtime.InteropServices;
using System.Text;
using FraudShield.Ingest.Events;
using FraudShield.RuleEngine.Internal;

namespace FraudShield.RuleEngine.State;

/// <summary>A resident as the engine needs them: who, how old, and where their station and grid are. Blittable.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SubjectInfo
{
    /// <summary>The resident's first number (E.164), the party key of their state.</summary>
    public ulong Msisdn;

    /// <summary>String-table references.</summary>
    public int Person, Station, Beat, Grid, GridWorker, Address, Family;

    /// <summary>Year of birth; 0 when unknown.</summary>
    public short BirthYear;

    /// <summary>Register flags (elderly, student, corporate).</summary>
    public SubjectFlags Flags;

    /// <summary>Age in whole years at <paramref name="nowMs"/>, or -1 when the birth year is unknown.</summary>
    public readonly int AgeAt(long nowMs) =>
        BirthYear <= 0 ? -1 : DateTimeOffset.FromUnixTimeMilliseconds(nowMs).Year - BirthYear;
}

/// <summary>
/// The resident register (DOMAIN.md "subject"): every number and account of a resident points at the same
/// <see cref="SubjectInfo"/>. Fed from the compacted fs.registry topic; read by the engine for age-dependent rules
/// and for the home jurisdiction of an alert.
/// </summary>
public sealed class Register : IDisposable
{
    private const byte AccountKind = 200;
    private readonly FasterStore<SubjectInfo> _store;
    private readonly string? _checkpoints;
    private long _subjects;
    private long _version;

    /// <summary>Creates an empty register.</summary>
    public Register(FasterStoreOptions options, StringTable strings)
    {
        _store = new FasterStore<SubjectInfo>("register", options);
        _checkpoints = options.Directory is null ? null : Path.Combine(options.Directory, "register", "checkpoints");
        Strings = strings;
    }

    /// <summary>The string table the register's ids are interned in.</summary>
    public StringTable Strings { get; }

    /// <summary>Subject records applied.</summary>
    public long SubjectsApplied => Interlocked.Read(ref _subjects);

    /// <summary>A session for the calling thread.</summary>
    public RegisterSession NewSession() => new(this, _store.NewSession());

    /// <summary>Changes with every write to the store (after it); sessions compare it to keep a read.</summary>
    internal long Version => Volatile.Read(ref _version);

    internal void CountApplied() => Interlocked.Increment(ref _subjects);

    internal void MarkChanged() => Interlocked.Increment(ref _version);

    /// <summary>A FASTER snapshot checkpoint of the store; call it on the writing thread between two writes.</summary>
    internal Guid Checkpoint() => _store.CheckpointFull();

    /// <summary>Restores the store to checkpoint <paramref name="token"/> after <paramref name="subjects"/> subject records; before any session is opened.</summary>
    internal void Recover(Guid token, long subjects)
    {
        _store.Recover(token);
        Interlocked.Exchange(ref _subjects, subjects);
        MarkChanged();
    }

    /// <summary>Deletes the files of checkpoint <paramref name="token"/>.</summary>
    internal void Purge(Guid token) => _store.Purge(token);

    /// <summary>
    /// False when the metadata files of checkpoint <paramref name="token"/> are missing or empty (purged or torn); true
    /// otherwise, and always for a store in a temporary folder.
    /// </summary>
    internal bool HasCheckpoint(Guid token) => _checkpoints is null || CheckpointFiles.Exist(_checkpoints, token);

    internal static long AccountKey(ReadOnlySpan<byte> account) => KeyHash.Of(AccountKind, account);

    /// <inheritdoc />
    public void Dispose() => _store.Dispose();
}

/// <summary>
/// One thread's access to the <see cref="Register"/>. It keeps the last number it read (found or not) until the register
/// changes: judging one event asks for its party's entry up to three times (R01's elder check, R17, the alert's
/// subject), each a FASTER read of a store too large for the cache.
/// </summary>
public sealed class RegisterSession : IDisposable
{
    private readonly Register _owner;
    private readonly FasterSession<SubjectInfo> _session;
    private ulong _lastNumber;
    private long _lastVersion;
    private bool _lastFound;
    private SubjectInfo _last;

    internal RegisterSession(Register owner, FasterSession<SubjectInfo> session)
    {
        _owner = owner;
        _session = session;
    }

    /// <summary>See <see cref="FasterSession{TValue}.BeginBatch"/>.</summary>
    public void BeginBatch() => _session.BeginBatch();

    /// <summary>See <see cref="FasterSession{TValue}.EndBatch"/>.</summary>
    public void EndBatch() => _session.EndBatch();

    /// <summary>Adds or replaces a resident under each of their numbers and accounts.</summary>
    public void Upsert(in SubjectRecord record, ParserOptions parserOptions)
    {
        var strings = _owner.Strings;
        var family = new StringBuilder();
        Span<byte> buffer = stackalloc byte[256];
        foreach (var raw in record.FamilyMsisdns)
        {
            if (PhoneNumber.TryNormalize(StringArray.Unescape(raw, buffer), parserOptions, out var n))
            {
                family.Append(family.Length == 0 ? "" : ",").Append(n);
            }
        }

        var info = new SubjectInfo
        {
            Person = strings.Intern(record.PersonId),
            Station = strings.Intern(record.StationId),
            Beat = strings.Intern(record.BeatId),
            Grid = strings.Intern(record.GridId),
            GridWorker = strings.Intern(record.GridWorkerId),
            Address = strings.Intern(record.AddressId),
            Family = family.Length == 0 ? 0 : strings.Intern(family.ToString()),
            BirthYear = (short)(record.BirthYear ?? 0),
            Flags = record.Flags,
        };
        try
        {
            foreach (var raw in record.Msisdns)
            {
                if (PhoneNumber.TryNormalize(StringArray.Unescape(raw, buffer), parserOptions, out var msisdn))
                {
                    info.Msisdn = info.Msisdn == 0 ? msisdn : info.Msisdn;
                    _session.Upsert((long)msisdn, info);
                }
            }

            foreach (var account in record.Accounts)
            {
                _session.Upsert(Register.AccountKey(StringArray.Unescape(account, buffer)), info);
            }
        }
        finally
        {
            // After the writes, even some of them: a session that kept an entry reads it again.
            _owner.MarkChanged();
        }

        _owner.CountApplied();
    }

    /// <summary>The resident holding number <paramref name="msisdn"/>.</summary>
    public bool TryGetByNumber(ulong msisdn, out SubjectInfo info)
    {
        if (msisdn == 0)
        {
            info = default;
            return false;
        }

        // The version is read before the store: a write after it changes the version, and the next call reads again.
        var version = _owner.Version;
        if (msisdn != _lastNumber || version != _lastVersion)
        {
            _lastFound = _session.TryRead((long)msisdn, out _last);
            _lastNumber = msisdn;
            _lastVersion = version;
        }

        info = _last;
        return _lastFound;
    }

    /// <summary>The resident holding account <paramref name="account"/>.</summary>
    public bool TryGetByAccount(ReadOnlySpan<byte> account, out SubjectInfo info)
    {
        info = default;
        return !account.IsEmpty && _session.TryRead(Register.AccountKey(account), out info);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}

/// <summary>Where FASTER's local checkpoint manager keeps a full checkpoint's metadata.</summary>
internal static class CheckpointFiles
{
    /// <summary>True when both metadata files of checkpoint <paramref name="token"/> under <paramref name="folder"/> exist and are not empty.</summary>
    public static bool Exist(string folder, Guid token) =>
        NonEmpty(Path.Combine(folder, "cpr-checkpoints", token.ToString(), "info.dat.0")) &&
        NonEmpty(Path.Combine(folder, "index-checkpoints", token.ToString(), "info.dat.0"));

    private static bool NonEmpty(string file) => File.Exists(file) && new FileInfo(file).Length > 0;
}
