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
    private readonly TableFollower _follower;
    private readonly ILogger _logger;
    private long _undecodable;

    /// <summary>Creates the feed; <see cref="Start"/> starts reading.</summary>
    public AlertFeed(KafkaOptions kafka, AlertHub hub, ILogger<AlertFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(hub);
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _follower = new TableFollower(kafka, Topics.Alerts, (_, value, tombstone, _) =>
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

            hub.Publish(alert);
        }, logger);
    }

    /// <summary>Alert records that were not valid protobuf.</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    /// <summary>Records read from fs.alerts.</summary>
    public long Received => _follower.RecordsApplied;

    /// <summary>Starts reading.</summary>
    public void Start() => _follower.Start();

    /// <inheritdoc />
    public void Dispose() => _follower.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "An fs.alerts record is not a valid alert: {Message}")]
        public static partial void Undecodable(ILogger logger, string message);
    }
}
