using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// The case store of a single dispatch process: cases in memory, every change appended to a journal file
/// (<c>cases.journal</c>, one JSON case state per line, or <c>{"retired":"alert id"}</c> for a retired case) in a
/// folder and replayed at start, so state survives a restart. At start the journal is compacted to one line per
/// case (written aside, then renamed over it), and again while open whenever it has grown to four times its size
/// after the last compaction (and to at least <see cref="MinCompactionBytes"/>), so a dispatch that runs for months
/// keeps a journal of the cases it holds, not of every change.
/// Volumes are a district's ~860 alerts a day, so holding every case in memory and walking them newest first for queries is cheap;
/// pending escalations are indexed by their deadline and closed cases by their closing time, so the escalation poll
/// and retirement read only the due ones however many cases the journal holds. A case is held encoded (its protobuf
/// bytes and the fields the indexes and queries read): two objects with its id, where a <see cref="CaseState"/> is
/// dozens (the alert, its hits and evidence, the history) for every Gen2 collection to mark; every read decodes a
/// new instance, which is the copy the store gave out before.
/// </summary>
/// <remarks>
/// One lock serializes transitions, the journal write and the <see cref="Changed"/> event, so a transition runs
/// exactly once and events follow the journal order. The wait for the disk (fsync) is outside that lock: a signature's
/// flush, 1 ms at the median and tens of ms at the tail, no longer holds up the alerts' case openings and deliveries
/// behind it, and changes waiting for the disk together share one flush. The folder is locked (<c>cases.lock</c>): a second process on
/// the same folder fails to open it. A torn last line (a crash mid-write) is dropped at replay; a bad line elsewhere
/// fails the open, naming the line.
/// </remarks>
public sealed class InProcessCaseStore : ICaseStore
{
    /// <summary>The journal's file name inside the folder.</summary>
    public const string JournalFileName = "cases.journal";

    /// <summary>The journal size below which it is not compacted while the store is open: 64 MiB.</summary>
    public const long MinCompactionBytes = 64L << 20;

    private const string LockFileName = "cases.lock";

    // How many times its size after the last compaction the journal grows before it is compacted again.
    private const int CompactionFactor = 4;

    // Cases ScanAsync decodes between two yields of the thread.
    private const int ScanPage = 512;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private readonly Lock _gate = new();

    // Serializes the disk flushes and the journal's replacement. Taken after _gate or alone, never before it.
    private readonly Lock _diskGate = new();
    private readonly Dictionary<string, StoredCase> _cases = new(StringComparer.Ordinal);
    private readonly IdPool _jurisdictionIds = new();

    // (NextEscalationMs, alert id) of every case with an escalation pending, earliest first.
    private readonly SortedSet<(long At, string Id)> _due = new(TimeOrder.Instance);

    // (ClosedMs, alert id) of every closed case, earliest first.
    private readonly SortedSet<(long At, string Id)> _closed = new(TimeOrder.Instance);

    // (OpenedMs, alert id) of every case, newest first: the order of QueryAsync's answers.
    private readonly SortedSet<(long At, string Id)> _newest = new(NewestFirst.Instance);
    private readonly string _journalPath;
    private readonly FileStream _folderLock;
    private readonly bool _flushToDisk;
    private readonly long _minCompactionBytes;
    private FileStream _journal;
    private StreamWriter _journalWriter;

    // The journal's handle, taken once per journal file (reading FileStream.SafeFileHandle flushes the stream, so it
    // is not read outside _gate); read under _diskGate, which its replacement holds.
    private SafeFileHandle _journalHandle;

    // Journal writes handed to the operating system (under _gate), and how many of them the disk has (under _diskGate).
    private long _written;
    private long _durable;
    private long _journalBytes;
    private long _compactedBytes;
    private long _compactions;
    private bool _disposed;
    private long _diskFlushes;

    private InProcessCaseStore(Dictionary<string, CaseState> cases, string journalPath, FileStream folderLock, bool flushToDisk, long minCompactionBytes)
    {
        _journalPath = journalPath;
        _journal = new FileStream(journalPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        _journalWriter = JournalWriter(_journal);
        _journalHandle = _journal.SafeFileHandle;
        _journalBytes = _compactedBytes = _journal.Length;
        _folderLock = folderLock;
        _flushToDisk = flushToDisk;
        _minCompactionBytes = minCompactionBytes;
        foreach (var state in cases.Values)
        {
            var stored = new StoredCase(state, _jurisdictionIds);
            _cases.Add(state.AlertId, stored);
            Index(state.AlertId, null, stored);
        }
    }

    /// <inheritdoc />
    public event EventHandler<CaseChangedEventArgs>? Changed;

    /// <summary>Cases held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _cases.Count;
            }
        }
    }

    /// <summary>Opens (creating when missing) the store in <paramref name="folder"/> and replays its journal.</summary>
    /// <param name="folder">The folder of the journal; created when missing.</param>
    /// <param name="flushToDisk">Flush each change to the disk before returning (survives a machine crash, not only a process crash). Default true.</param>
    /// <exception cref="InvalidDataException">A journal line other than the last is not a case state.</exception>
    /// <exception cref="IOException">Another process holds the folder.</exception>
    public static InProcessCaseStore Open(string folder, bool flushToDisk = true) => Open(folder, flushToDisk, MinCompactionBytes);

    /// <summary><see cref="Open(string, bool)"/> with the journal compacted while open from <paramref name="minCompactionBytes"/> on (tests).</summary>
    internal static InProcessCaseStore Open(string folder, bool flushToDisk, long minCompactionBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, JournalFileName);

        // Held for the life of the store: FileShare.None takes an advisory lock on Unix too, so a second process
        // on the same folder fails here instead of interleaving journal lines.
        var folderLock = new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            var cases = new Dictionary<string, CaseState>(StringComparer.Ordinal);
            if (File.Exists(path))
            {
                Replay(path, cases);
            }

            WriteCompacted(path, cases.Values);
            return new InProcessCaseStore(cases, path, folderLock, flushToDisk, minCompactionBytes);
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<CaseState?> GetAsync(string alertId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ValueTask.FromResult(_cases.TryGetValue(alertId, out var stored) ? stored.Decode() : null);
        }
    }

    /// <summary>Times the journal was compacted while open (not counting the one at start).</summary>
    public long Compactions => Interlocked.Read(ref _compactions);

    /// <summary>Called as a flush to the disk starts, outside the store's lock (tests hold the flush there).</summary>
    internal Action? DiskFlushStarting { get; set; }

    /// <summary>Times a change was taken to the disk (fsync) before its update returned.</summary>
    public long DiskFlushes => Interlocked.Read(ref _diskFlushes);

    /// <inheritdoc />
    public ValueTask<CaseUpdate> UpdateAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken = default) =>
        Update(alertId, transition, _flushToDisk, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Written to the journal (the operating system has it) without waiting for the disk: an fsync under load costs
    /// 1 ms at the median and 23-54 ms at the tail on the dev box, twice per alert (its opening and its first
    /// delivery) on its way to the console. Such a line reaches the disk with the next <see cref="UpdateAsync"/>'s
    /// flush (the whole file is flushed), at close, or by the kernel's own writeback.
    /// </remarks>
    public ValueTask<CaseUpdate> UpdateRederivableAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken = default) =>
        Update(alertId, transition, flushToDisk: false, cancellationToken);

    private ValueTask<CaseUpdate> Update(string alertId, Func<CaseState?, CaseState?> transition, bool flushToDisk, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(alertId);
        ArgumentNullException.ThrowIfNull(transition);
        cancellationToken.ThrowIfCancellationRequested();
        CaseUpdate update;
        long written;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            StoredCase? current = _cases.TryGetValue(alertId, out var found) ? found : null;

            // One decoding serves the transition and the answer: a transition returns a new instance and never changes
            // its argument (ICaseStore.UpdateAsync), so what it was given is still the previous state afterwards; and
            // what it returned is the answer's current state (the store keeps the bytes, not the instance).
            var previous = current?.Decode();
            var next = transition(previous);
            if (next is null)
            {
                return ValueTask.FromResult(new CaseUpdate(previous, previous, false));
            }

            if (ReferenceEquals(next, previous))
            {
                next = next.Clone();
            }

            next.AlertId = alertId;
            next.Revision = (current?.Revision ?? 0) + 1;
            _journalBytes += Append(_journal, _journalWriter, next);
            written = ++_written;
            var stored = new StoredCase(next, _jurisdictionIds);
            _cases[alertId] = stored;
            Index(alertId, current, stored);
            Changed?.Invoke(this, new CaseChangedEventArgs(next));
            CompactIfGrown();
            update = new CaseUpdate(previous, next, true);
        }

        if (flushToDisk)
        {
            FlushToDisk(written);
            Interlocked.Increment(ref _diskFlushes);
        }

        return ValueTask.FromResult(update);
    }

    // Returns once the disk has the journal's first `written` writes: at once when another flush took them there,
    // else after one flush that also takes every write made before it started.
    private void FlushToDisk(long written)
    {
        lock (_diskGate)
        {
            if (_durable >= written || _journalHandle.IsClosed)
            {
                return; // an earlier flush, the last compaction or the close took them to the disk
            }

            var reached = Volatile.Read(ref _written);
            DiskFlushStarting?.Invoke();
            RandomAccess.FlushToDisk(_journalHandle);
            _durable = reached;
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetDueAsync(long nowMs, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var result = new List<string>();
            foreach (var (at, id) in _due)
            {
                if (at > nowMs || result.Count == max)
                {
                    break;
                }

                result.Add(id);
            }

            return ValueTask.FromResult<IReadOnlyList<string>>(result);
        }
    }

    /// <inheritdoc />
    /// <remarks>Each retired case is a <c>{"retired":"alert id"}</c> line in the journal, flushed like a change.</remarks>
    public ValueTask<int> RetireClosedAsync(long closedBeforeMs, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var retired = 0;
        long written = 0;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (retired < max && _closed.Count > 0 && _closed.Min is var (at, id) && at < closedBeforeMs)
            {
                _closed.Remove((at, id));
                if (_cases.Remove(id, out var stored))
                {
                    _due.Remove((stored.NextEscalationMs, id));
                    _newest.Remove((stored.OpenedMs, id));
                }

                var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new RetiredLine(id), RetiredLineContext.Default.RetiredLine) + "\n");
                _journal.Write(line);
                _journalBytes += line.Length;
                retired++;
            }

            if (retired > 0)
            {
                _journal.Flush(flushToDisk: false);
                written = ++_written;
                CompactIfGrown();
            }
        }

        if (retired > 0 && _flushToDisk)
        {
            FlushToDisk(written);
        }

        return ValueTask.FromResult(retired);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Walks the cases newest opened first and stops at the limit: an unfiltered query reads as many cases as it
    /// returns, a station's about as many as the stations sharing the store times that. Only the cases returned are
    /// decoded.
    /// </remarks>
    public ValueTask<IReadOnlyList<CaseState>> QueryAsync(CaseQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = query.EffectiveLimit;
        var result = new List<CaseState>(Math.Min(limit, 256));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var stored in Matching(query))
            {
                result.Add(stored.Decode());
                if (result.Count == limit)
                {
                    break;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<CaseState>>(result);
    }

    /// <inheritdoc />
    /// <remarks>The matching cases are listed under the lock and decoded after it, one as it is read.</remarks>
    public async IAsyncEnumerable<CaseState> ScanAsync(CaseQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var matches = new List<StoredCase>();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            matches.AddRange(Matching(query));
        }

        for (var i = 0; i < matches.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i % ScanPage == ScanPage - 1)
            {
                // A long scan (statistics over a month) lets the rest of the dispatch run between pages.
                await Task.Yield();
            }

            yield return matches[i].Decode();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            lock (_diskGate)
            {
                _journalWriter.Flush();
                _journal.Flush(flushToDisk: true);
                _journalWriter.Dispose();
                _durable = _written;
            }

            _folderLock.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    // The cases matching the query's filters, newest opened first; call holding the lock.
    private IEnumerable<StoredCase> Matching(CaseQuery query)
    {
        foreach (var (openedMs, id) in _newest)
        {
            if (query.FromMs != 0 && openedMs < query.FromMs)
            {
                break;
            }

            var stored = _cases[id];
            if (query.Matches(stored.Status, stored.Severity, openedMs, stored.Route))
            {
                yield return stored;
            }
        }
    }

    // Moves a case's entries in the escalation, closing and opening-time indexes from its previous state's times to its new ones.
    private void Index(string id, StoredCase? previous, in StoredCase next)
    {
        if (previous is { NextEscalationMs: not 0 } before)
        {
            _due.Remove((before.NextEscalationMs, id));
        }

        if (next.NextEscalationMs != 0)
        {
            _due.Add((next.NextEscalationMs, id));
        }

        if (previous is not { } known || known.OpenedMs != next.OpenedMs)
        {
            if (previous is { } moved)
            {
                _newest.Remove((moved.OpenedMs, id));
            }

            _newest.Add((next.OpenedMs, id));
        }

        if (previous is { Status: AlertStatus.Closed } closed)
        {
            _closed.Remove((closed.ClosedMs, id));
        }

        if (next.Status == AlertStatus.Closed)
        {
            _closed.Add((next.ClosedMs, id));
        }
    }

    private static void Replay(string path, Dictionary<string, CaseState> cases)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: false,
            new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 64 * 1024 });
        var lineNumber = 0;
        string? pendingError = null;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (pendingError is not null)
            {
                // A bad line followed by more lines is corruption, not a torn tail.
                throw new InvalidDataException(pendingError);
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith(RetiredLinePrefix, StringComparison.Ordinal))
            {
                if (TryParseRetired(line) is { } retired)
                {
                    cases.Remove(retired);
                }
                else
                {
                    pendingError = $"{path} line {lineNumber} is not a retired case's line: {line}";
                }

                continue;
            }

            try
            {
                var state = Parser.Parse<CaseState>(line);
                if (string.IsNullOrEmpty(state.AlertId))
                {
                    pendingError = $"{path} line {lineNumber} has no alert_id.";
                    continue;
                }

                cases[state.AlertId] = state;
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException)
            {
                pendingError = $"{path} line {lineNumber} is not a case state: {ex.Message}";
            }
        }
    }

    private const string RetiredLinePrefix = "{\"retired\":";

    private static string? TryParseRetired(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, RetiredLineContext.Default.RetiredLine)?.Retired is { Length: > 0 } id ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed class TimeOrder : IComparer<(long At, string Id)>
    {
        public static readonly TimeOrder Instance = new();

        public int Compare((long At, string Id) x, (long At, string Id) y) => x.At != y.At ? x.At.CompareTo(y.At) : string.CompareOrdinal(x.Id, y.Id);
    }

    private sealed class NewestFirst : IComparer<(long At, string Id)>
    {
        public static readonly NewestFirst Instance = new();

        public int Compare((long At, string Id) x, (long At, string Id) y) => x.At != y.At ? y.At.CompareTo(x.At) : string.CompareOrdinal(y.Id, x.Id);
    }

    // A case as the store keeps it: its protobuf encoding, and the fields the indexes and queries read (the route's ids
    // shared through the store's pool).
    private readonly struct StoredCase
    {
        private readonly byte[] _bytes;

        public StoredCase(CaseState state, IdPool ids)
        {
            _bytes = state.ToByteArray();
            Revision = state.Revision;
            Status = state.Status;
            Severity = state.Alert?.Severity ?? Severity.Unspecified;
            OpenedMs = state.OpenedMs;
            ClosedMs = state.ClosedMs;
            NextEscalationMs = state.NextEscalationMs;
            Route = state.Alert is { } alert ? ids.Intern(AlertRoute.Of(alert)) : default;
        }

        public long Revision { get; }

        public AlertStatus Status { get; }

        public Severity Severity { get; }

        public long OpenedMs { get; }

        public long ClosedMs { get; }

        public long NextEscalationMs { get; }

        public AlertRoute Route { get; }

        public CaseState Decode() => CaseState.Parser.ParseFrom(_bytes);
    }

    // A UTF-8 writer (no byte order mark) over a journal stream; disposing it closes the stream.
    private static StreamWriter JournalWriter(FileStream stream) => new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024);

    // Appends the state's line, formatted straight into the writer (no string of the line, no copy of its bytes: a
    // case's line is 2-3 KB and written at each of its changes), and hands it to the operating system (the wait for the
    // disk is the caller's: FlushToDisk, or the compaction's own flush); returns its bytes.
    private static int Append(FileStream stream, StreamWriter writer, CaseState state)
    {
        var start = stream.Position;
        Formatter.Format(state, writer);
        writer.Write('\n');
        writer.Flush();
        stream.Flush();
        return (int)(stream.Position - start);
    }

    // One line per case, written aside and renamed over the journal (atomic on one file system), so a crash at any
    // point leaves either the old or the new journal whole.
    private static void WriteCompacted(string path, IEnumerable<CaseState> states)
    {
        var side = path + ".compact";
        using (var output = new FileStream(side, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = JournalWriter(output))
        {
            foreach (var state in states)
            {
                Append(output, writer, state);
            }

            output.Flush(flushToDisk: true);
        }

        File.Move(side, path, overwrite: true);
    }

    // Compacts the journal while open once it has grown CompactionFactor times past its size after the last
    // compaction (and past the minimum); call holding the lock, after a change is in the journal. The change has
    // been made either way: a compaction that fails (a full disk) leaves the journal as it was, and is tried again
    // once the journal has grown CompactionFactor times past its size then.
    private void CompactIfGrown()
    {
        if (_journalBytes < Math.Max(_minCompactionBytes, CompactionFactor * _compactedBytes))
        {
            return;
        }

        // Every write so far is on the disk afterwards: in the compacted journal (written aside and flushed), or, when
        // the compaction fails, in the old one, flushed here first.
        lock (_diskGate)
        {
            _journal.Flush(flushToDisk: true);
            _journalWriter.Dispose();
            try
            {
                WriteCompacted(_journalPath, _cases.Values.Select(static stored => stored.Decode()));
                Interlocked.Increment(ref _compactions);
            }
            catch (IOException)
            {
            }
            finally
            {
                _journal = new FileStream(_journalPath, FileMode.Append, FileAccess.Write, FileShare.Read);
                _journalWriter = JournalWriter(_journal);
                _journalHandle = _journal.SafeFileHandle;
                _journalBytes = _compactedBytes = _journal.Length;
                _durable = _written;
            }
        }
    }
}

/// <summary>The journal line of a retired case.</summary>
/// <param name="Retired">The alert id of the retired case.</param>
internal sealed record RetiredLine([property: JsonPropertyName("retired")] string Retired);

[JsonSerializable(typeof(RetiredLine))]
internal sealed partial class RetiredLineContext : JsonSerializerContext;
