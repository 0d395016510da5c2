using Microsoft.Extensions.Logging;

namespace FraudShield.Ingest.Kafka;

public sealed partial class TableFollower
{
    /// <summary>Log messages of the table follower; event ids are stable (1001-1099).</summary>
    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
            Message = "Following table topic {Topic} ({Partitions} partitions) from the beginning")]
        public static partial void Started(ILogger logger, string topic, int partitions);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
            Message = "Table handler failed on {Topic} [{Partition}] @ {Offset}; the record is skipped")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string topic, int partition, long offset);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
            Message = "Consume error on table topic {Topic}: {Reason} ({Code})")]
        public static partial void ConsumeFailed(ILogger logger, string topic, string reason, Confluent.Kafka.ErrorCode code);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Critical,
            Message = "Table follower for {Topic} stopped on a fatal error")]
        public static partial void Fatal(ILogger logger, Exception exception, string topic);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Information,
            Message = "Stopped following table topic {Topic} after {Records} records")]
        public static partial void Stopped(ILogger logger, string topic, long records);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Warning,
            Message = "Watermark query for {Topic} [{Partition}] failed: {Reason}")]
        public static partial void WatermarkQueryFailed(ILogger logger, string topic, int partition, string reason);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Information,
            Message = "Following table topic {Topic} ({Partitions} partitions) from offsets {Offsets}")]
        public static partial void StartedAtOffsets(ILogger logger, string topic, int partitions, IEnumerable<long> offsets);

        [LoggerMessage(EventId = 1008, Level = LogLevel.Error,
            Message = "Between-records callback of table {Topic} failed; it is called again after the next interval")]
        public static partial void BetweenRecordsFailed(ILogger logger, Exception exception, string topic);
    }

}
