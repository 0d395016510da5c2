using FraudShield.AlertDispatch.Cases;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>One private redis-server (append-only, fsync always) per test class; it is restarted by the reopen test.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync(appendOnly: true).WithTimeout();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The case store contract on <see cref="RedisCaseStore"/> against a real redis-server; each test has its own key prefix.</summary>
public sealed class RedisCaseStoreTests(RedisServerFixture redis) : CaseStoreContractTests, IClassFixture<RedisServerFixture>
{
    private readonly Dictionary<ICaseStore, string> _prefixes = [];

    protected override async Task<ICaseStore> CreateAsync() => await ConnectAsync($"t{Guid.NewGuid():N}:");

    protected override async Task<ICaseStore> ReopenAsync(ICaseStore store)
    {
        var prefix = _prefixes[store];
        await store.DisposeAsync();

        // A crash of the server itself: only what the append-only file holds comes back.
        await redis.Server.RestartAsync().WithTimeout();
        return await ConnectAsync(prefix);
    }

    private async Task<ICaseStore> ConnectAsync(string prefix)
    {
        var store = await RedisCaseStore.ConnectAsync(new RedisCaseStoreOptions { Configuration = redis.Server.Configuration, KeyPrefix = prefix }).WithTimeout();
        _prefixes[store] = prefix;
        return store;
    }
}
