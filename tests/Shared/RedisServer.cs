using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FraudShield.Tests.Shared;

/// <summary>
/// A private redis-server (Debian's /usr/bin/redis-server) on a free loopback port with its data in a temp folder,
/// for one test class. Missing redis-server fails the test (never skips) with a pointer to infra/setup.sh.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>Where Debian installs the server.</summary>
    public const string ServerPath = "/usr/bin/redis-server";

    private readonly TempDirectory _folder;
    private readonly bool _appendOnly;
    private Process? _process;

    private RedisServer(TempDirectory folder, int port, bool appendOnly)
    {
        _folder = folder;
        Port = port;
        _appendOnly = appendOnly;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of the server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server and waits until it answers PING. With <paramref name="appendOnly"/> every write is fsynced
    /// to an append-only file, so <see cref="RestartAsync"/> keeps the data; without it nothing is persisted.
    /// </summary>
    public static async Task<RedisServer> StartAsync(bool appendOnly = false)
    {
        if (!File.Exists(ServerPath))
        {
            Xunit.Assert.Fail($"{ServerPath} is missing (apt package redis-server). Run infra/setup.sh to install it.");
        }

        var server = new RedisServer(new TempDirectory("fraudshield-redis"), FreePort(), appendOnly);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Stops the server (SIGKILL, like a crash) and starts it again on the same port and folder.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await LaunchAsync();
    }

    /// <summary>Kills the server (SIGKILL, like a crash) and leaves it down until <see cref="StartAgainAsync"/>.</summary>
    public Task KillAsync() => StopAsync();

    /// <summary>Starts a server killed with <see cref="KillAsync"/> again on the same port and folder, and waits for PING.</summary>
    public Task StartAgainAsync() => LaunchAsync();

    /// <summary>Stops the server and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _folder.Dispose();
    }

    private async Task LaunchAsync()
    {
        var info = new ProcessStartInfo(ServerPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _folder.Path,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", _folder.Path,
            "--save", string.Empty,
            "--appendonly", _appendOnly ? "yes" : "no",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--protected-mode", "yes",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        var process = FraudShield.Ingest.Kafka.ChildProcess.Start(info);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        try
        {
            await Poll.UntilAsync(() => process.HasExited || Ping(), $"redis-server on port {Port} to answer PING");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Output:\n{output}", ex);
        }

        if (process.HasExited)
        {
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            throw new InvalidOperationException($"redis-server exited with {process.ExitCode}: {text}");
        }
    }

    private async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }

    private bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            stream.ReadTimeout = 1000;
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer);
            return read >= 5 && Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
