using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FraudShield.RuleEngine.State;
using StackExchange.Redis;

namespace FraudShield.Benchmarks;

/// <summary>
/// The watchlist as a Redis deployment would keep it, for the "Redis round trip" column of
/// <see cref="WatchlistBenchmarks"/>: a private redis-server (Debian's, as infra/setup.sh installs it) on a loopback
/// port, no persistence, one string key per listed number (<c>wl:m:&lt;number&gt;</c>) holding the same 32-byte
/// <see cref="WatchValue"/> the FASTER store and the dictionary hold, read with one GET through StackExchange.Redis
/// (the client the dispatch uses). Loaded with <c>redis-cli --pipe</c>, Redis's own mass-insertion path.
/// </summary>
/// <remarks>
/// One server serves every benchmark case of a process (BenchmarkDotNet runs them in process, see
/// <see cref="BenchConfig"/>): <see cref="For"/> reloads it only when a case asks for another size, and the server
/// stops when the process exits.
/// </remarks>
internal sealed class RedisWatchlist : IDisposable
{
    private const string ServerPath = "/usr/bin/redis-server";
    private const string CliPath = "/usr/bin/redis-cli";
    private static RedisWatchlist? s_shared;

    private readonly Process _server;
    private readonly string _folder;
    private readonly int _port;
    private ConnectionMultiplexer? _connection;

    private RedisWatchlist(Process server, string folder, int port)
    {
        _server = server;
        _folder = folder;
        _port = port;
    }

    /// <summary>Entries loaded.</summary>
    public long Entries { get; private set; } = -1;

    /// <summary>The connection's database, for GETs.</summary>
    public IDatabase Database => _connection!.GetDatabase();

    /// <summary>The process's server, loaded with <paramref name="entries"/> listed numbers (reloaded when it held another count).</summary>
    public static RedisWatchlist For(long entries)
    {
        if (s_shared is null)
        {
            s_shared = Start();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => s_shared?.Dispose();
        }

        if (s_shared.Entries != entries)
        {
            s_shared.Load(entries);
        }

        return s_shared;
    }

    /// <summary>The key of <paramref name="number"/>, as the loader writes it.</summary>
    public static RedisKey KeyOf(ulong number) => "wl:m:" + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="value"/> is <paramref name="number"/>'s entry and valid at <paramref name="nowMs"/>.</summary>
    public static bool IsHit(RedisValue value, ulong number, long nowMs)
    {
        if (value.IsNull)
        {
            return false;
        }

        var bytes = ((ReadOnlyMemory<byte>)value).Span;
        if (bytes.Length != Marshal.SizeOf<WatchValue>())
        {
            WatchlistFixture.Fail("a Redis value of the wrong size");
        }

        var entry = MemoryMarshal.Read<WatchValue>(bytes);
        return entry.Check == WatchlistFixture.CheckOf(number) && entry.IsValidAt(nowMs);
    }

    public void Dispose()
    {
        _connection?.Dispose();
        if (!_server.HasExited)
        {
            _server.Kill();
            _server.WaitForExit(10_000);
        }

        _server.Dispose();
        Directory.Delete(_folder, recursive: true);
        if (ReferenceEquals(s_shared, this))
        {
            s_shared = null;
        }
    }

    private static RedisWatchlist Start()
    {
        if (!File.Exists(ServerPath) || !File.Exists(CliPath))
        {
            throw new InvalidOperationException($"{ServerPath} or {CliPath} is missing (apt package redis-server). Run infra/setup.sh to install it.");
        }

        var folder = Path.Combine(Path.GetTempPath(), "fraudshield-bench-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = FreePort();
        var start = new ProcessStartInfo(ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder,
                     "--save", "", "--appendonly", "no", "--protected-mode", "no"])
        {
            start.ArgumentList.Add(arg);
        }

        var server = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        server.OutputDataReceived += static (_, _) => { };
        server.ErrorDataReceived += static (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var redis = new RedisWatchlist(server, folder, port);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                redis._connection = ConnectionMultiplexer.Connect($"127.0.0.1:{port},abortConnect=true,syncTimeout=60000");
                return redis;
            }
            catch (RedisConnectionException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !server.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    private void Load(long entries)
    {
        var clock = Stopwatch.StartNew();
        Database.Execute("FLUSHALL");
        var cli = new ProcessStartInfo(CliPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-p", _port.ToString(CultureInfo.InvariantCulture), "--pipe"])
        {
            cli.ArgumentList.Add(arg);
        }

        using var pipe = Process.Start(cli) ?? throw new InvalidOperationException("redis-cli did not start.");
        var report = pipe.StandardOutput.ReadToEndAsync();
        var errors = pipe.StandardError.ReadToEndAsync();
        using (var input = new BufferedStream(pipe.StandardInput.BaseStream, 1 << 20))
        {
            Span<byte> value = stackalloc byte[Marshal.SizeOf<WatchValue>()];
            for (long i = 0; i < entries; i++)
            {
                var number = WatchlistFixture.Listed(i);
                var entry = WatchlistFixture.ValueOf(number);
                MemoryMarshal.Write(value, in entry);
                WriteSet(input, number, value);
            }
        }

        pipe.WaitForExit();
        var output = report.GetAwaiter().GetResult() + errors.GetAwaiter().GetResult();

        // "errors: 0, replies: N" is redis-cli's own summary of a mass insertion.
        WatchlistFixture.Check(pipe.ExitCode == 0 && output.Contains($"errors: 0, replies: {entries}", StringComparison.Ordinal), "redis-cli --pipe did not load every entry: " + output.Trim());
        var keys = (long)Database.Execute("DBSIZE");
        WatchlistFixture.Check(keys == entries, $"Redis holds {keys} keys, expected {entries}");
        var memory = UsedMemory();
        Console.WriteLine($"// redis: {entries:N0} entries loaded in {clock.Elapsed.TotalSeconds:F1} s, used_memory {memory / (double)entries:F1} B/entry");
        Entries = entries;
    }

    private long UsedMemory()
    {
        var info = (string?)Database.Execute("INFO", "memory") ?? string.Empty;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("used_memory:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan("used_memory:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    // One RESP command: SET wl:m:<number> <value>.
    private static void WriteSet(Stream output, ulong number, ReadOnlySpan<byte> value)
    {
        Span<byte> key = stackalloc byte[32];
        "wl:m:"u8.CopyTo(key);
        number.TryFormat(key[5..], out var digits, provider: CultureInfo.InvariantCulture);
        var keyLength = 5 + digits;
        output.Write("*3\r\n$3\r\nSET\r\n$"u8);
        WriteNumber(output, keyLength);
        output.Write(key[..keyLength]);
        output.Write("\r\n$"u8);
        WriteNumber(output, value.Length);
        output.Write(value);
        output.Write("\r\n"u8);
    }

    private static void WriteNumber(Stream output, int number)
    {
        Span<byte> text = stackalloc byte[12];
        number.TryFormat(text, out var written, provider: CultureInfo.InvariantCulture);
        output.Write(text[..written]);
        output.Write("\r\n"u8);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
