using System.Collections.Concurrent;
using FraudShield.Ingest.Kafka;
using Microsoft.Extensions.Logging;
using static FraudShield.Ingest.Tests.Kafka.KafkaTestClients;

namespace FraudShield.Ingest.Tests.Kafka;

public sealed class TableFollowerTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task WaitUntilCaughtUpAsync_PrefilledTopic_AppliesAllThenLaterRecordAndTombstone()
    {
        const int count = 2_000;
        string topic = NewTable(partitions: 4);
        ProduceAndFlush(fixture.Options, topic,
            Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"wl-{i}", (string?)$"v1-{i}")), Timeout);

        var table = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var lastTimestamp = 0L;
        using var follower = TableFollower.Start(fixture.Options, topic, (key, value, isTombstone, timestampMs) =>
        {
            Volatile.Write(ref lastTimestamp, timestampMs);
            if (isTombstone)
            {
                table.TryRemove(Utf8(key), out _);
            }
            else
            {
                table[Utf8(key)] = Utf8(value);
            }
        });

        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
        Assert.Equal(4, follower.PartitionCount);
        Assert.Equal(count, follower.RecordsApplied);
        Assert.Equal(count, table.Count);
        Assert.Equal("v1-7", table["wl-7"]);
        Assert.True(follower.IsCaughtUp(Timeout));
        Assert.InRange(Volatile.Read(ref lastTimestamp), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        ProduceAndFlush(fixture.Options, topic, [KeyValuePair.Create("wl-7", (string?)"v2-7"), KeyValuePair.Create("wl-8", (string?)null)], Timeout);
        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);

        Assert.Equal(count + 2, follower.RecordsApplied);
        Assert.Equal("v2-7", table["wl-7"]);
        Assert.False(table.ContainsKey("wl-8"));
        Assert.Equal(count - 1, table.Count);
        Assert.Equal(0, follower.HandlerErrors);
    }

    [Fact]
    public async Task IsCaughtUp_HandlerBlocked_FalseUntilReleased()
    {
        string topic = NewTable(partitions: 2);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 10).Select(i => KeyValuePair.Create($"k{i}", (string?)"v")), Timeout);
        using var release = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        using var follower = TableFollower.Start(fixture.Options, topic, (_, _, _, _) =>
        {
            entered.Set();
            release.Wait(Timeout);
        });

        Assert.True(entered.Wait(Timeout), "the handler was never called");
        Assert.False(follower.IsCaughtUp(Timeout));
        await Assert.ThrowsAsync<TimeoutException>(() => follower.WaitUntilCaughtUpAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(Timeout));

        release.Set();
        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
        Assert.True(follower.IsCaughtUp(Timeout));
        Assert.Equal(10, follower.RecordsApplied);
    }

    [Fact]
    public async Task WaitUntilCaughtUpAsync_EmptyTopic_CompletesImmediately()
    {
        string topic = NewTable(partitions: 3);
        using var follower = TableFollower.Start(fixture.Options, topic, (_, _, _, _) => { });
        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);
        Assert.True(follower.IsCaughtUp(Timeout));
        Assert.Equal(0, follower.RecordsApplied);
    }

    [Fact]
    public async Task Handler_Throws_CountsLogsAndKeepsGoing()
    {
        string topic = NewTable(partitions: 1);
        ProduceAndFlush(fixture.Options, topic, Enumerable.Range(0, 5).Select(i => KeyValuePair.Create($"k{i}", (string?)$"v{i}")), Timeout);
        var logger = new CollectingLogger();
        using var follower = TableFollower.Start(fixture.Options, topic, (key, _, _, _) =>
        {
            if (Utf8(key) == "k2")
            {
                throw new InvalidOperationException("bad record");
            }
        }, logger);

        await follower.WaitUntilCaughtUpAsync(Timeout).WaitAsync(Timeout);

        Assert.Equal(4, follower.RecordsApplied);
        Assert.Equal(1, follower.HandlerErrors);
        Assert.True(follower.IsRunning);
        (LogLevel level, EventId id, Exception? exception) = Assert.Single(logger.Entries, e => e.Level == LogLevel.Error);
        Assert.Equal(1002, id.Id);
        Assert.IsType<InvalidOperationException>(exception);
    }

    [Fact]
    public void Start_MissingTopic_ThrowsNamingTopic()
    {
        string topic = EmbeddedKafkaFixture.NewTopic("table.missing");
        var ex = Assert.Throws<InvalidOperationException>(() =>
            TableFollower.Start(fixture.Options, topic, (_, _, _, _) => { }, metadataTimeout: TimeSpan.FromSeconds(5)));
        Assert.Contains(topic, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_Twice_StopsThread()
    {
        string topic = NewTable(partitions: 1);
        var follower = TableFollower.Start(fixture.Options, topic, (_, _, _, _) => { });
        follower.Dispose();
        follower.Dispose();
        Assert.False(follower.IsRunning);
        Assert.Throws<ObjectDisposedException>(() => follower.IsCaughtUp(Timeout));
    }

    private string NewTable(int partitions)
    {
        string topic = EmbeddedKafkaFixture.NewTopic("table");
        Assert.Single(TopicAdmin.EnsureTopics(fixture.Cluster, [(topic, partitions, true)]));
        return topic;
    }

    private sealed class CollectingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, EventId Id, Exception? Exception)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId, exception));
    }
}
