using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace FraudShield.Benchmarks;

/// <summary>
/// A private redis-server for the bench (Debian's, as infra/setup.sh installs it) on a free loopback port, no
/// persistence, data in a temporary folder that goes with it, and a StackExchange.Redis connection to it.
/// </summary>
internal sealed class LoopbackRedis : IDisposable
{
    private const string ServerPath = "/usr/bin/redis-server";
    private readonly Process _server;
    private readonly string _folder;

    private LoopbackRedis(Process server, string folder, int port, ConnectionMultiplexer connection)
    {
        _server = server;
        _folder = folder;
        Port = port;
        Connection = connection;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of the server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>A connection to the server (admin commands allowed).</summary>
    public ConnectionMultiplexer Connection { get; }

    /// <summary>The connection's database.</summary>
    public IDatabase Database => Connection.GetDatabase();

    /// <summary>Starts a server and connects to it.</summary>
    /// <exception cref="InvalidOperationException">redis-server is not installed, or did not answer within 30 s.</exception>
    public static LoopbackRedis Start()
    {
        if (!File.Exists(ServerPath))
        {
            throw new InvalidOperationException($"{ServerPath} is missing (apt package redis-server). Run infra/setup.sh to install it.");
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
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var connection = ConnectionMultiplexer.Connect($"127.0.0.1:{port},abortConnect=true,allowAdmin=true,syncTimeout=60000");
                return new LoopbackRedis(server, folder, port, connection);
            }
            catch (RedisConnectionException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !server.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>The server's <c>used_memory</c> (INFO memory), in bytes.</summary>
    public long UsedMemory()
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

    public void Dispose()
    {
        Connection.Dispose();
        if (!_server.HasExited)
        {
            _server.Kill();
            _server.WaitForExit(10_000);
        }

        _server.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
