using System.Globalization;
using FraudShield.Tests.Shared;
using StackExchange.Redis;

namespace FraudShield.Benchmarks;

/// <summary>
/// A private redis-server for the bench on a free loopback port, no persistence: the tests' <see cref="Tests.Shared.RedisServer"/>
/// (the one place a redis-server is started and stopped), with a StackExchange.Redis connection to it.
/// </summary>
internal sealed class LoopbackRedis : IDisposable
{
    private readonly RedisServer _server;

    private LoopbackRedis(RedisServer server, ConnectionMultiplexer connection)
    {
        _server = server;
        Connection = connection;
    }

    /// <summary>The loopback port.</summary>
    public int Port => _server.Port;

    /// <summary>The StackExchange.Redis configuration string of the server.</summary>
    public string Configuration => _server.Configuration;

    /// <summary>A connection to the server (admin commands allowed).</summary>
    public ConnectionMultiplexer Connection { get; }

    /// <summary>The connection's database.</summary>
    public IDatabase Database => Connection.GetDatabase();

    /// <summary>Starts a server (failing with a pointer to infra/setup.sh when redis-server is missing) and connects to it.</summary>
    public static LoopbackRedis Start()
    {
        var server = RedisServer.StartAsync(appendOnly: false).GetAwaiter().GetResult();
        try
        {
            return new LoopbackRedis(server, ConnectionMultiplexer.Connect(server.Configuration + ",abortConnect=true,allowAdmin=true,syncTimeout=60000"));
        }
        catch
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
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
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
