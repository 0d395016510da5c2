using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Threading.Channels;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench -- fanout [alerts] [streams] [rounds]</c>: alert fan-out through the real
/// dispatch server (Kestrel, gRPC over h2c on loopback) in this process, to consoles in separate processes
/// (<see cref="FanoutConsole"/>), each stream a real <see cref="AlertStreamClient"/> on its own HTTP/2 connection that
/// parses every delivery.
/// Part 1: 4 console processes with one stream each; <c>rounds</c> rounds of <c>alerts</c> alerts published into the
/// hub as fast as it takes them (the first round is the cold one, later rounds see a warm server and warm consoles,
/// as a long-running dispatch has). Per round: alerts/s per console (publish start to that console's last alert,
/// timestamps on the shared monotonic clock), the CPU seconds of the server process and of each console process
/// (<c>/proc/&lt;pid&gt;/stat</c>), and the server's GC collections, bytes allocated per delivery and GC pause time.
/// Part 2: <c>streams</c> console streams held open, spread over 4 console processes, one connection each; one
/// alert to all of them every 100 ms for 5 s. Every stream must receive every alert; the report gives the worst
/// publish-to-receipt time per stream and the server's own file descriptors, threads and memory per stream.
/// </summary>
internal static class FanoutReport
{
    private const int Consoles = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(int alerts, int streams, int rounds)
    {
        Console.WriteLine($"// machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}; server GC {(GCSettings.IsServerGC ? "server" : "workstation")}, {GCSettings.LatencyMode}");
        var ok = await BurstAsync(alerts, rounds) & await HeldAsync(streams);
        return ok ? 0 : 1;
    }

    private static Alert Make(int i) => new()
    {
        AlertId = $"FS-{i:D8}",
        Version = 1,
        Severity = Severity.L2,
        Typology = "IMPERSONATE_AUTHORITY",
        CreatedMs = 1_790_000_000_000 + i,
        Subject = new Subject { MsisdnMasked = "86138****5678", PersonId = $"P-{i % 5000:D5}" },
        Home = new Jurisdiction { StationId = $"S{i % 12:D2}", GridId = $"S{i % 12:D2}-G{i % 5}", Source = JurisdictionSource.Address },
        RuleIds = { "R01", "R06" },
    };

    private static async Task<bool> BurstAsync(int total, int rounds)
    {
        using var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = total, SubscriberBufferCapacity = total, DeduplicationCapacity = total });
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub);
        var consoles = Enumerable.Range(0, Consoles).Select(_ => ConsoleProcess.Start(server.Address, 1, rounds, total)).ToArray();
        var ok = true;
        try
        {
            await WaitForSubscribersAsync(hub, Consoles, consoles);
            Console.WriteLine($"| round | load avg (1 min) | alerts/s per console (slowest .. fastest) | deliveries/s | CPU s server | CPU s consoles (each) | server gen0/1/2 | server B/delivery | server GC pauses s | target >= 200,000 |");
            Console.WriteLine("|---|---|---|---:|---:|---|---|---:|---:|---|");
            for (var round = 0; round < rounds; round++)
            {
                var prebuilt = Enumerable.Range(round * total, total).Select(Make).ToArray();
                var load = LoadAverage();
                var window = Window.Start(consoles);
                var publishStart = Stopwatch.GetTimestamp();
                foreach (var alert in prebuilt)
                {
                    hub.Publish(alert);
                }

                var published = Stopwatch.GetElapsedTime(publishStart).TotalSeconds;
                var reports = await Task.WhenAll(consoles.Select(c => c.NextRoundAsync(round)));
                var used = window.Stop();
                var rates = reports.Select(r => total / Seconds(publishStart, r.LastDone)).Order().ToArray();
                var slowest = rates[0];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round + 1}{(round == 0 ? " (cold)" : string.Empty)} | {load.Split(' ')[0]} | **{slowest:N0}** .. {rates[^1]:N0} (published in {published:F2} s) | {Consoles * total / Seconds(publishStart, reports.Max(r => r.LastDone)):N0} | {used.ServerCpu:F2} | {used.ConsoleCpu.Sum():F2} ({string.Join(" / ", used.ConsoleCpu.Select(c => c.ToString("F2", CultureInfo.InvariantCulture)))}) | {used.Gen0}/{used.Gen1}/{used.Gen2} | {used.Allocated / (double)(Consoles * total):N0} | {used.Pause:F2} | {(slowest >= 200_000 ? "MET" : "MISSED")} |"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"//   round {round + 1} consoles: gen0 {string.Join("/", reports.Select(r => r.Gen0))}, allocated {reports.Sum(r => r.Allocated) / (double)(Consoles * total):N0} B per delivery, reconnects {reports.Sum(r => r.Reconnects)}"));
                ok &= reports.All(r => r.Reconnects == 0);
            }

            ok &= hub.SlowSubscriberDisconnectCount == 0;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Console.Error.WriteLine($"fan-out: {ex.Message}");
            ok = false;
        }
        finally
        {
            foreach (var console in consoles)
            {
                ok &= await console.StopAsync();
            }
        }

        if (hub.SlowSubscriberDisconnectCount != 0)
        {
            Console.Error.WriteLine($"fan-out: {hub.SlowSubscriberDisconnectCount} slow-subscriber disconnects");
        }

        return ok;
    }

    private static async Task<bool> HeldAsync(int streams)
    {
        const int Rounds = 50;
        using var hub = new AlertHub();
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub);
        var perConsole = (streams + Consoles - 1) / Consoles;
        var consoles = Enumerable.Range(0, Consoles)
            .Select(i => Math.Min(perConsole, streams - i * perConsole))
            .Where(n => n > 0)
            .Select(n => ConsoleProcess.Start(server.Address, n, 1, Rounds))
            .ToArray();
        var ok = true;
        string? line = null;
        ServerState held = default;
        try
        {
            var opening = Stopwatch.StartNew();
            await WaitForSubscribersAsync(hub, streams, consoles);
            var opened = opening.Elapsed.TotalSeconds;
            held = ServerState.Read();
            var load = LoadAverage();
            var window = Window.Start(consoles);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Rounds; i++)
            {
                var alert = Make(i);
                alert.EmittedMs = Stopwatch.GetTimestamp();
                hub.Publish(alert);
                await Task.Delay(100);
            }

            var reports = await Task.WhenAll(consoles.Select(c => c.NextRoundAsync(0)));
            var used = window.Stop();
            var worst = reports.SelectMany(r => r.WorstMs).Order().ToArray();
            // Per alert: publish -> the last of all the streams received it; the first alert separately (cold receive paths).
            var toAll = Enumerable.Range(0, Rounds).Select(a => reports.Max(r => r.AlertMs[a])).ToArray();
            var laterToAll = toAll.Skip(1).Order().ToArray();
            // A console reports once every one of its streams had every alert.
            ok = worst.Length == streams && hub.SlowSubscriberDisconnectCount == 0 && reports.All(r => r.Reconnects == 0);
            line = string.Create(CultureInfo.InvariantCulture,
                $"| {streams:N0} concurrent console streams ({streams:N0} HTTP/2 connections, {consoles.Length} console processes) | load {load.Split(' ')[0]}; all subscribed after {opened:F1} s; held {clock.Elapsed.TotalSeconds:F1} s, {Rounds} alerts each to all: {worst.Length:N0}/{streams:N0} streams got every alert; publish -> received by all {streams:N0} streams: alert 1 {toAll[0]:F1} ms, alerts 2-{Rounds} median {laterToAll[laterToAll.Length / 2]:F1} ms, max {laterToAll[^1]:F1} ms; worst per stream: median {worst[worst.Length / 2]:F1} ms, max {worst[^1]:F1} ms; server while held: {held.FileDescriptors:N0} fds, {held.Threads} threads ({held.PoolThreads} pool), working set {held.WorkingSet / 1048576.0:N0} MiB, CPU {used.ServerCpu:F2} s over the hold; consoles CPU {used.ConsoleCpu.Sum():F2} s");
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Console.Error.WriteLine($"held streams: {ex.Message}; subscribed {hub.SubscriberCount}/{streams}");
            ok = false;
        }
        finally
        {
            foreach (var console in consoles)
            {
                ok &= await console.StopAsync();
            }
        }

        if (line is not null)
        {
            // Per stream: the server's live heap while the streams were held minus after they all ended (same server).
            var clock = Stopwatch.StartNew();
            while (hub.SubscriberCount > 0 && clock.Elapsed < Deadline)
            {
                await Task.Delay(10);
            }

            var after = ServerState.Read();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{line}; {(held.ManagedHeap - after.ManagedHeap) / 1024.0 / streams:F1} KiB live managed heap per stream (held - after they ended, full GC) | {(ok ? "MET" : "MISSED")} |"));
        }

        return ok;
    }

    private static async Task WaitForSubscribersAsync(AlertHub hub, int expected, ConsoleProcess[] consoles)
    {
        var clock = Stopwatch.StartNew();
        while (hub.SubscriberCount < expected)
        {
            if (consoles.FirstOrDefault(c => c.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"console process {exited.Id} exited before subscribing");
            }

            if (clock.Elapsed > Deadline)
            {
                throw new TimeoutException($"only {hub.SubscriberCount}/{expected} subscribed after {Deadline.TotalSeconds} s");
            }

            await Task.Delay(10);
        }
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    /// <summary>User + system CPU seconds of a process, from <c>/proc/&lt;pid&gt;/stat</c> (utime and stime, in clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>What the server process and the consoles used between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    private sealed class Window
    {
        private ConsoleProcess[] _consoles = [];
        private double _serverCpu;
        private double[] _consoleCpu = [];
        private int _gen0;
        private int _gen1;
        private int _gen2;
        private long _allocated;
        private TimeSpan _pause;

        public double ServerCpu { get; private set; }

        public double[] ConsoleCpu { get; private set; } = [];

        public int Gen0 { get; private set; }

        public int Gen1 { get; private set; }

        public int Gen2 { get; private set; }

        public long Allocated { get; private set; }

        public double Pause { get; private set; }

        public static Window Start(ConsoleProcess[] consoles) => new()
        {
            _consoles = consoles,
            _consoleCpu = consoles.Select(c => CpuSeconds(c.Id)).ToArray(),
            _gen0 = GC.CollectionCount(0),
            _gen1 = GC.CollectionCount(1),
            _gen2 = GC.CollectionCount(2),
            _allocated = GC.GetTotalAllocatedBytes(precise: true),
            _pause = GC.GetTotalPauseDuration(),
            _serverCpu = CpuSeconds(Environment.ProcessId),
        };

        public Window Stop()
        {
            ServerCpu = CpuSeconds(Environment.ProcessId) - _serverCpu;
            ConsoleCpu = _consoles.Select((c, i) => CpuSeconds(c.Id) - _consoleCpu[i]).ToArray();
            Gen0 = GC.CollectionCount(0) - _gen0;
            Gen1 = GC.CollectionCount(1) - _gen1;
            Gen2 = GC.CollectionCount(2) - _gen2;
            Allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
            Pause = (GC.GetTotalPauseDuration() - _pause).TotalSeconds;
            return this;
        }
    }

    private readonly record struct ServerState(long WorkingSet, long ManagedHeap, int FileDescriptors, int Threads, int PoolThreads)
    {
        public static ServerState Read()
        {
            var heap = GC.GetTotalMemory(forceFullCollection: true);
            using var self = Process.GetCurrentProcess();
            return new ServerState(self.WorkingSet64, heap, Directory.GetFileSystemEntries("/proc/self/fd").Length, self.Threads.Count, ThreadPool.ThreadCount);
        }
    }

    /// <summary>One console's report of a round; <see cref="AlertMs"/>: per alert, publish to its last stream's receipt (timed alerts only).</summary>
    private sealed record RoundReport(int Round, long FirstDone, long LastDone, int Gen0, long Allocated, int Reconnects, double[] WorstMs, double[] AlertMs);

    /// <summary>One <see cref="FanoutConsole"/> process: this bench started again in <c>fanout-console</c> mode.</summary>
    private sealed class ConsoleProcess
    {
        private readonly Process _process;
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

        private ConsoleProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    _lines.Writer.TryComplete();
                }
                else
                {
                    _lines.Writer.TryWrite(e.Data);
                }
            };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine($"[console {process.Id}] {e.Data}");
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Id => _process.Id;

        public bool HasExited => _process.HasExited;

        public static ConsoleProcess Start(Uri address, int streams, int rounds, int perRound)
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path to start the console from.");
            var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(typeof(FanoutReport).Assembly.Location);
            }

            foreach (var arg in new[] { "fanout-console", address.ToString(), Invariant(streams), Invariant(rounds), Invariant(perRound) })
            {
                start.ArgumentList.Add(arg);
            }

            return new ConsoleProcess(Process.Start(start) ?? throw new InvalidOperationException("The console process did not start."));
        }

        public async Task<RoundReport> NextRoundAsync(int round)
        {
            using var timeout = new CancellationTokenSource(Deadline);
            string line;
            try
            {
                line = await _lines.Reader.ReadAsync(timeout.Token);
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException($"console process {Id} ended before round {round + 1}");
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"console process {Id}: no report of round {round + 1} after {Deadline.TotalSeconds} s");
            }

            var f = line.Split(' ');
            if (f.Length != 9 || f[0] != "round" || int.Parse(f[1], CultureInfo.InvariantCulture) != round)
            {
                throw new InvalidOperationException($"console process {Id}: unexpected line '{line}'");
            }

            return new RoundReport(
                round,
                long.Parse(f[2], CultureInfo.InvariantCulture),
                long.Parse(f[3], CultureInfo.InvariantCulture),
                int.Parse(f[4], CultureInfo.InvariantCulture),
                long.Parse(f[5], CultureInfo.InvariantCulture),
                int.Parse(f[6], CultureInfo.InvariantCulture),
                f[7].Split(',').Select(w => double.Parse(w, CultureInfo.InvariantCulture)).ToArray(),
                f[8] == "-" ? [] : f[8].Split(',').Select(w => double.Parse(w, CultureInfo.InvariantCulture)).ToArray());
        }

        /// <summary>Closes the process's stdin (it ends on that after its last round) and waits for it to end; kills it if it does not. True when it exited 0.</summary>
        public async Task<bool> StopAsync()
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
                Console.Error.WriteLine($"console process {Id} did not exit; killed");
            }

            var exitCode = _process.ExitCode;
            _process.Dispose();
            return exitCode == 0;
        }

        private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
