using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace FraudShield.Ingest.Kafka;

/// <summary>librdkafka's log lines, sent where <see cref="KafkaOptions.LogHandler"/> says.</summary>
public static partial class KafkaClientLogs
{
    /// <summary>The log category a node's librdkafka lines are written under (<see cref="To"/>).</summary>
    public const string Category = "FraudShield.Kafka";

    /// <summary>The builder with <paramref name="options"/>' log handler set, when they have one.</summary>
    public static ProducerBuilder<TKey, TValue> WithLogs<TKey, TValue>(this ProducerBuilder<TKey, TValue> builder, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return builder.WithLogs(options.LogHandler);
    }

    /// <summary>The builder with <paramref name="handler"/> receiving its log lines; null leaves them to librdkafka.</summary>
    public static ProducerBuilder<TKey, TValue> WithLogs<TKey, TValue>(this ProducerBuilder<TKey, TValue> builder, Action<LogMessage>? handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return handler is null ? builder : builder.SetLogHandler((_, message) => handler(message));
    }

    /// <summary>The builder with <paramref name="options"/>' log handler set, when they have one.</summary>
    public static ConsumerBuilder<TKey, TValue> WithLogs<TKey, TValue>(this ConsumerBuilder<TKey, TValue> builder, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return builder.WithLogs(options.LogHandler);
    }

    /// <summary>The builder with <paramref name="handler"/> receiving its log lines; null leaves them to librdkafka.</summary>
    public static ConsumerBuilder<TKey, TValue> WithLogs<TKey, TValue>(this ConsumerBuilder<TKey, TValue> builder, Action<LogMessage>? handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return handler is null ? builder : builder.SetLogHandler((_, message) => handler(message));
    }

    /// <summary>
    /// A handler that writes each line to <paramref name="logger"/> at the level librdkafka gave it (errors and worse
    /// as errors, warnings as warnings, notices and information as information, debug lines as debug), with the
    /// client's name and the line's facility. librdkafka's lines name brokers, topics and partitions, never a
    /// message's key or value.
    /// </summary>
    public static Action<LogMessage> To(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return message =>
        {
            var level = LevelOf(message.Level);
            if (logger.IsEnabled(level))
            {
                Line(logger, level, message.Name, message.Facility, message.Message);
            }
        };
    }

    private static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        <= SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(EventId = 1300, Message = "librdkafka {Client} {Facility}: {Line}")]
    private static partial void Line(ILogger logger, LogLevel level, string client, string facility, string line);
}
