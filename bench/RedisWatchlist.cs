using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FraudShield.RuleEngine.State;
using StackExchange.Redis;

namespace FraudShield.Benchmarks;

/// <summary>
/// The watchlist as a Redis deployment would keep it, for the "Redis round trip" column of
/// <see cref="WatchlistBenchmarks"/>: one string key per listed number (<c>wl:m:&lt;number&gt;</c>) holding the same 32-byte
/// <see cref="WatchValue"/> the FASTER store and the dictionary hold, read with one GET through StackExchange.Redis
/// (the client the dispatch uses), on a <see cref="LoopbackRedis"/>. Loaded with <c>redis-cli --pipe</c>, Redis's own
/// mass-insertion path.
/// </summary>
/// <remarks>
/// One server serves every benchmark case of a process (BenchmarkDotNet runs them in process, see
/// <see cref="BenchConfig"/>): <see cref="For"/> reloads it only when a case asks for another size, and the server
/// stops when the process exits.
/// </remarks>
internal sealed class RedisWatchlist
{
    private const string CliPath = "/usr/bin/redis-cli";
    private static RedisWatchlist? s_shared;

    private readonly LoopbackRedis _redis;

    private RedisWatchlist(LoopbackRedis redis) => _redis = redis;

    /// <summary>Entries loaded.</summary>
    public long Entries { get; private set; } = -1;

    /// <summary>The connection's database, for GETs.</summary>
    public IDatabase Database => _redis.Database;

    /// <summary>The process's server, loaded with <paramref name="entries"/> listed numbers (reloaded when it held another count).</summary>
    public static RedisWatchlist For(long entries)
    {
        if (s_shared is null)
        {
            if (!File.Exists(CliPath))
            {
                throw new InvalidOperationException($"{CliPath} is missing (apt package redis-tools, with redis-server). Run infra/setup.sh to install it.");
            }

            var redis = LoopbackRedis.Start();
            s_shared = new RedisWatchlist(redis);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => redis.Dispose();
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
        foreach (var arg in (string[])["-p", _redis.Port.ToString(CultureInfo.InvariantCulture), "--pipe"])
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
        var memory = _redis.UsedMemory();
        Console.WriteLine($"// redis: {entries:N0} entries loaded in {clock.Elapsed.TotalSeconds:F1} s, used_memory {memory / (double)entries:F1} B/entry");
        Entries = entries;
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
}
