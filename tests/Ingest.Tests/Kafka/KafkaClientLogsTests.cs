using System.Collections.Concurrent;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;
using Microsoft.Extensions.Logging;

namespace FraudShield.Ingest.Tests.Kafka;

public sealed class KafkaClientLogsTests
{
    [Fact]
    public async Task WithLogs_ProducerOfABrokerThatRefuses_ItsConnectErrorReachesTheLoggerAsAnError()
    {
        var logger = new ListLogger();
        var options = KafkaOptions.For("127.0.0.1:1") with { LogHandler = KafkaClientLogs.To(logger) };

        using var producer = new ProducerBuilder<byte[], byte[]>(options.CreateProducerConfig()).WithLogs(options).Build();

        await Poll.UntilAsync(
            () => logger.Lines.Any(l => l.Level == LogLevel.Error && l.Text.Contains("127.0.0.1:1", StringComparison.Ordinal) && l.Text.StartsWith("librdkafka ", StringComparison.Ordinal)),
            "librdkafka's failed connect in the log",
            TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData(SyslogLevel.Critical, LogLevel.Error)]
    [InlineData(SyslogLevel.Error, LogLevel.Error)]
    [InlineData(SyslogLevel.Warning, LogLevel.Warning)]
    [InlineData(SyslogLevel.Notice, LogLevel.Information)]
    [InlineData(SyslogLevel.Info, LogLevel.Information)]
    [InlineData(SyslogLevel.Debug, LogLevel.Debug)]
    public void To_EachSyslogLevel_WrittenAtItsLevel_WithClientAndFacility(SyslogLevel level, LogLevel expected)
    {
        var logger = new ListLogger();

        KafkaClientLogs.To(logger)(new LogMessage("fraudshield#producer-1", level, "FAIL", "broker down"));

        Assert.Equal((expected, "librdkafka fraudshield#producer-1 FAIL: broker down"), Assert.Single(logger.Lines));
    }

    [Fact]
    public void To_LevelTheLoggerDoesNotWrite_NothingFormatted()
    {
        var logger = new ListLogger { Minimum = LogLevel.Information };

        KafkaClientLogs.To(logger)(new LogMessage("c", SyslogLevel.Debug, "FETCH", "fetch"));

        Assert.Empty(logger.Lines);
    }

    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel, string)> _lines = new();

        public LogLevel Minimum { get; init; } = LogLevel.Trace;

        public IReadOnlyList<(LogLevel Level, string Text)> Lines => [.. _lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                _lines.Enqueue((logLevel, formatter(state, exception)));
            }
        }
    }
}
