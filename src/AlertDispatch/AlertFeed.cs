using System.Collections.Concurrent;
using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Internal;
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
/// An engine in the same process hands its alerts over as soon as the cluster acknowledged them
/// (<see cref="OfferAcknowledged"/>); their records, read back later, are then duplicates, skipped undecoded when the
/// hand-off delivered them (<see cref="ReadBackSkipped"/>). Handed-over alerts queue for a thread of their own, so the
/// producer that acknowledged them never waits for the case store.
/// </summary>
public sealed partial class AlertFeed : IDisposable
{
    private readonly KafkaOptions _kafka;
    private readonly AlertHub _hub;
    private readonly CaseService? _cases;
    private TableFollower? _follower;
    private readonly ILogger _logger;
    private readonly BlockingCollection<Alert> _handedOver = [];
    private readonly Lock _handOffStart = new();
    private Thread? _handOff;
    private bool _stopped;
    private readonly HandedOffVersions _handedOff = new();
    private long _undecodable;
    private long _offered;
    private long _readBackSkipped;

    /// <summary>Creates the feed; <see cref="Start"/> starts reading.</summary>
    public AlertFeed(KafkaOptions kafka, AlertHub hub, ILogger<AlertFeed> logger)
    {
        _kafka = kafka ?? throw new ArgumentNullException(nameof(kafka));
        _hub = hub ?? throw new ArgumentNullException(nameof(hub));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>
    /// Creates a feed that opens a case for each alert before publishing it (<see cref="CaseService.PublishAsync"/>),
    /// so deadlines, escalation and Ack apply. The read loop waits for the case store on each alert.
    /// </summary>
    public AlertFeed(KafkaOptions kafka, CaseService cases, AlertHub hub, ILogger<AlertFeed> logger)
        : this(kafka, hub, logger)
    {
        _cases = cases ?? throw new ArgumentNullException(nameof(cases));
    }

    /// <summary>Alert records that were not valid protobuf.</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    /// <summary>Records read from fs.alerts.</summary>
    public long Received => _follower?.RecordsApplied ?? 0;

    /// <summary>Alerts handed over by an engine of this process (<see cref="OfferAcknowledged"/>).</summary>
    public long Offered => Interlocked.Read(ref _offered);

    /// <summary>
    /// fs.alerts records read back and skipped undecoded: alert versions this process's hand-off had delivered already
    /// (<see cref="OfferAcknowledged"/>).
    /// </summary>
    public long ReadBackSkipped => Interlocked.Read(ref _readBackSkipped);

    /// <summary>Alert versions the hand-off delivered whose records were not read back yet (tests).</summary>
    internal int AwaitingReadBack => _handedOff.Count;

    /// <summary>Starts reading every partition of fs.alerts (the topic must exist).</summary>
    public void Start() => _follower = TableFollower.Start(_kafka, Topics.Alerts, Apply, _logger, latencySensitive: true);

    /// <summary>
    /// Takes an alert that an engine of this process has just had acknowledged on fs.alerts, so it reaches consoles
    /// without waiting for this feed to read it back (the read-back's fetch through the cluster was most of the way
    /// from engine to console). The record is still read, and is then a duplicate: the case keeps a version it has and
    /// the hub publishes a version once. Each alert's versions keep their order: the producer acknowledges them in
    /// order and the feed reads them in order, so whichever path is first with a version has had the earlier ones
    /// first, and the hand-off takes them one at a time in the order offered.
    /// Returns at once: the alert queues for the feed's hand-off thread (started by the first offer), which opens its
    /// case and publishes it. The caller is the producer's delivery-report thread, which so never waits for the case
    /// store (a round trip to Redis, or the whole of an outage until the store gives up), and the producer's other
    /// reports never wait behind it. Once the feed is disposed an offer is dropped: the record is in fs.alerts.
    /// </summary>
    /// <param name="alert">The alert as produced.</param>
    public void OfferAcknowledged(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        Interlocked.Increment(ref _offered);
        if (Volatile.Read(ref _handOff) is null)
        {
            StartHandOff();
        }

        try
        {
            _handedOver.Add(alert);
        }
        catch (InvalidOperationException)
        {
            // Completed or disposed (ObjectDisposedException is one): the dispatch is stopping; the record is in
            // fs.alerts for the next one to read.
        }
    }

    /// <summary>
    /// Stops reading, and lets the hand-off thread finish the alerts already handed over (they are in fs.alerts too,
    /// so any it has not reached within 10 s are left to the next dispatch's reading).
    /// </summary>
    public void Dispose()
    {
        _follower?.Dispose();
        lock (_handOffStart)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _handedOver.CompleteAdding();
        }

        if (Volatile.Read(ref _handOff) is { } handOff && !handOff.Join(TimeSpan.FromSeconds(10)))
        {
            Log.HandOffUnfinished(_logger, _handedOver.Count);
            return;
        }

        _handedOver.Dispose();
    }

    private void StartHandOff()
    {
        lock (_handOffStart)
        {
            if (_handOff is not null || _stopped)
            {
                return;
            }

            var thread = new Thread(HandOffLoop) { Name = "alert-hand-off", IsBackground = true };
            thread.Start();
            Volatile.Write(ref _handOff, thread);
        }
    }

    private void HandOffLoop()
    {
        foreach (var alert in _handedOver.GetConsumingEnumerable())
        {
            try
            {
                Deliver(alert);
                _handedOff.Add(alert.AlertId, alert.Version);
            }
            catch (ObjectDisposedException)
            {
                // The case store or hub is gone: the dispatch is stopping; the record is in fs.alerts.
                return;
            }
            catch (Exception ex)
            {
                // Not lost: this feed reads the record back and delivers it then.
                Log.HandOffFailed(_logger, alert.AlertId, ex);
            }
        }
    }

    private void Apply(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, long timestampMs)
    {
        if (!tombstone)
        {
            ReadBack(value);
        }
    }

    // A record of fs.alerts: delivered unless this process's hand-off delivered its version already.
    internal void ReadBack(ReadOnlySpan<byte> value)
    {
        Span<char> id = stackalloc char[HandedOffVersions.MaxIdLength];
        if (HandedOffVersions.TryPeek(value, id, out var idLength, out var version) && _handedOff.TryTake(id[..idLength], version))
        {
            Interlocked.Increment(ref _readBackSkipped);
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

        Deliver(alert);
    }

    private void Deliver(Alert alert)
    {
        if (_cases is null)
        {
            _hub.Publish(alert);
            return;
        }

        try
        {
            _cases.PublishAsync(alert).GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            // The case store is down: still deliver the alert (no alert may be lost); its case opens on a replay.
            Log.CaseOpenFailed(_logger, alert.AlertId, ex);
            _hub.Publish(alert);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "An fs.alerts record is not a valid alert: {Message}")]
        public static partial void Undecodable(ILogger logger, string message);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "The case of alert {AlertId} could not be opened; the alert is delivered without one.")]
        public static partial void CaseOpenFailed(ILogger logger, string alertId, Exception exception);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Alert {AlertId} could not be handed over; it is delivered when its record is read back.")]
        public static partial void HandOffFailed(ILogger logger, string alertId, Exception exception);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "The alert hand-off did not finish within 10 s of stopping; {Count} handed-over alerts are left to the next dispatch reading fs.alerts.")]
        public static partial void HandOffUnfinished(ILogger logger, int count);
    }
}
