using System.Diagnostics;
using System.Globalization;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;

namespace FraudShield.Host.Bench;

/// <summary>
/// The load generator in a process of its own (`fraudshield bench-load`, started by the bench): the same
/// <see cref="LoadGenerator"/>, so its events, pacing and scheduled-time stamps are unchanged, but its garbage (about
/// a kilobyte per event: each event's JSON, key and the client's per-produce objects) is collected by its own runtime
/// and not counted in the bench process's GC collections and pauses, as with a real source of traffic.
/// </summary>
/// <remarks>
/// The two talk in lines. The child publishes the tables, prints <c>ready</c>, then waits for <c>start &lt;ms&gt;</c> on
/// stdin (the schedule's start on the shared <see cref="BenchClock"/>); it prints
/// <c>status &lt;sent&gt; &lt;allocated&gt; &lt;queue-full waits&gt; &lt;finished&gt;</c> every 100 ms and once more after it
/// stopped, and stops when stdin says <c>stop</c> or closes (so it never outlives the bench).
/// </remarks>
internal sealed class LoadProcess : ILoadSource
{
    private static readonly TimeSpan StatusEvery = TimeSpan.FromMilliseconds(100);

    private readonly Process _process;
    private readonly Task _reader;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _errors = [];
    private long _sent;
    private long _allocated;
    private long _queueFullWaits;
    private volatile bool _finished;
    private bool _disposed;

    private LoadProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (_errors)
                {
                    _errors.Add(line);
                }
            }
        };
        _process.BeginErrorReadLine();
        _reader = Task.Factory.StartNew(ReadStatus, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <inheritdoc/>
    public long Sent => Interlocked.Read(ref _sent);

    /// <inheritdoc/>
    public long AllocatedBytes => Interlocked.Read(ref _allocated);

    /// <inheritdoc/>
    public bool AllocatesInThisProcess => false;

    /// <inheritdoc/>
    public long QueueFullWaits => Interlocked.Read(ref _queueFullWaits);

    /// <inheritdoc/>
    public bool Finished => _finished;

    /// <inheritdoc/>
    public double? OwnProcessCpuSeconds
    {
        get
        {
            try
            {
                return _process.TotalProcessorTime.TotalSeconds;
            }
            catch (InvalidOperationException)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Starts `fraudshield bench-load` with this run's city, schedule and clock, and waits until it has published the
    /// register and the watchlists.
    /// </summary>
    public static async Task<LoadProcess> StartAsync(string bootstrap, CityOptions city, int seed, BenchClock clock, IReadOnlyList<LoadStep> steps, int scenarioEvery, CancellationToken cancellationToken)
    {
        // This program again: its apphost, or `dotnet fraudshield.dll`.
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(LoadProcess).Assembly.Location);
        }

        string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        foreach (var arg in new[]
        {
            "bench-load", "--bootstrap", bootstrap, "--residents", Inv($"{city.Residents}"), "--seed", Inv($"{seed}"),
            "--international-share", Inv($"{city.InternationalCallShare:R}"), "--scenario-every", Inv($"{scenarioEvery}"),
            "--anchor-ms", Inv($"{clock.AnchorUnixMs}"), "--steps", FormatSteps(steps),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = ChildProcess.Start(start);
        var load = new LoadProcess(process);
        try
        {
            await load._ready.Task.WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
        }
        catch (TimeoutException)
        {
            load.Dispose();
            throw new TimeoutException("the load generator process did not publish its tables within 120 s: " + load.ErrorTail());
        }
        catch
        {
            load.Dispose();
            throw;
        }

        return load;
    }

    /// <inheritdoc/>
    public void Start(double startMs)
    {
        _process.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"start {startMs:R}"));
        _process.StandardInput.Flush();
    }

    /// <summary>`rate:seconds` pairs, comma-separated.</summary>
    internal static string FormatSteps(IReadOnlyList<LoadStep> steps) =>
        string.Join(',', steps.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Rate:R}:{s.Duration.TotalSeconds:R}")));

    /// <summary>The inverse of <see cref="FormatSteps"/>; null when malformed.</summary>
    internal static List<LoadStep>? ParseSteps(string text)
    {
        var steps = new List<LoadStep>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split(':');
            if (pair.Length != 2
                || !double.TryParse(pair[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || rate <= 0
                || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
            {
                return null;
            }

            steps.Add(new LoadStep(rate, TimeSpan.FromSeconds(seconds)));
        }

        return steps.Count > 0 ? steps : null;
    }

    /// <summary>The child's side: publish the tables, wait for the start, run the schedule, report, stop on request.</summary>
    internal static int RunChild(string bootstrap, CityOptions city, int seed, long anchorUnixMs, IReadOnlyList<LoadStep> steps, int scenarioEvery)
    {
        var clock = new BenchClock(anchorUnixMs);
        using var generator = new LoadGenerator(KafkaOptions.For(bootstrap), new CitySimulator(city, seed), clock, steps, scenarioEvery);
        generator.PublishTables();
        var output = Console.Out;
        output.WriteLine("ready");
        output.Flush();

        var stop = new ManualResetEventSlim();
        var started = false;
        var input = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line)
            {
                if (line.StartsWith("start ", StringComparison.Ordinal) && !started
                    && double.TryParse(line.AsSpan(6), NumberStyles.Float, CultureInfo.InvariantCulture, out var startMs))
                {
                    started = true;
                    generator.Start(startMs);
                }
                else if (line == "stop")
                {
                    break;
                }
            }

            stop.Set();
        }) { IsBackground = true, Name = "fs-bench-load-stdin" };
        input.Start();

        void Report() => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"status {generator.Sent} {generator.AllocatedBytes} {generator.QueueFullWaits} {(generator.Finished ? 1 : 0)}"));
        while (!stop.Wait(StatusEvery))
        {
            Report();
            output.Flush();
        }

        generator.Dispose();
        Report();
        output.Flush();
        return 0;
    }

    private void ReadStatus()
    {
        Span<Range> fields = stackalloc Range[6];
        while (_process.StandardOutput.ReadLine() is { } line)
        {
            if (line == "ready")
            {
                _ready.TrySetResult();
                continue;
            }

            // Parsed in place: this bench process's allocation is one of the figures it reports.
            var text = line.AsSpan();
            if (text.Split(fields, ' ') == 5 && text[fields[0]] is "status")
            {
                Interlocked.Exchange(ref _sent, long.Parse(text[fields[1]], CultureInfo.InvariantCulture));
                Interlocked.Exchange(ref _allocated, long.Parse(text[fields[2]], CultureInfo.InvariantCulture));
                Interlocked.Exchange(ref _queueFullWaits, long.Parse(text[fields[3]], CultureInfo.InvariantCulture));
                _finished = text[fields[4]] is "1";
            }
        }

        _ready.TrySetException(new InvalidOperationException("the load generator process exited before it was ready: " + ErrorTail()));
    }

    private string ErrorTail()
    {
        lock (_errors)
        {
            return _errors.Count == 0 ? "(nothing on stderr)" : string.Join(" | ", _errors.TakeLast(5));
        }
    }

    /// <summary>Stops the child (it flushes its producer and reports once more) and waits for it, bounded.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _process.StandardInput.WriteLine("stop");
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It has exited already.
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(40)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(5));
        }

        _reader.Wait(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
