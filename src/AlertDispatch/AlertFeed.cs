using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Ingest.Kafka;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FraudShield.AlertDispatch;

/// <summary>
/// Feeds fs.alerts into the <see cref="AlertHub"/>: every dispatch process follows every partition of the topic (a
/// console may subscribe to any station), publishing each alert version once; the hub de-duplicates the replays an
/// engine restart produces. Built on <see cref="TableFollower"/>, which owns partition discovery and the read loop.
/// </summary>
public sealed partial class AlertFeed : IDisposable
{
    private readonly KafkaOptions _kafka;
    private readonly AlertHub _hub;
    private TableFollower? _follower;
    private readonly ILogger _logger;
    private long _undecodable;

    /// <summary>Creates the feed; <see cref="Start"/> starts reading.</summary>
    public AlertFeed(KafkaOptions kafka, AlertHub hub, ILogger<AlertFeed> logger)
    {
        _kafka = kafka ?? throw new ArgumentNullException(nameof(kafka));
        _hub = hub ?? throw new ArgumentNullException(nameof(hub));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Alert records that were not valid protobuf.</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    /// <summary>Records read from fs.alerts.</summary>
    public long Received => _follower?.RecordsApplied ?? 0;

    /// <summary>Starts reading every partition of fs.alerts (the topic must exist).</summary>
    public void Start() => _follower = TableFollower.Start(_kafka, Topics.Alerts, Apply, _logger);

    /// <inheritdoc />
    public void Dispose() => _follower?.Dispose();

    private void Apply(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, long timestampMs)
    {
        if (tombstone)
        {
            return;
        }

        Alert alert;
        try
        {
            alert = Alert.Parser.ParseFrom(value);
        }
        catch (InvalidProtocolBufferException e)
        {
            Interlocked.Increment(ref _undecodable);
            Log.Undecodable(_logger, e.Message);
            return;
        }

        _hub.Publish(alert);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "An fs.alerts record is not a valid alert: {Message}")]
        public static partial void Undecodable(ILogger logger, string message);
    }
}
