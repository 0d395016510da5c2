using System.Security.Cryptography;
using System.Threading.Channels;
using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch;

/// <summary>
/// In-process fan-out of alerts to subscribers by scope and level (<see cref="AlertRoutingOptions"/>), with a bounded
/// retention ring for resume and a bounded de-duplication set over (alert_id, version, escalation tier).
/// </summary>
/// <remarks>
/// <para>One writer (the fs.alerts consumer) calls <see cref="Publish"/>; it never waits for a subscriber. Each
/// subscriber has one bounded channel read by one writer loop; a subscriber whose channel is full is disconnected
/// and resumes with its last token.</para>
/// <para>Publish and Subscribe take the same lock: a subscription registers its channel and copies the retained
/// alerts after its resume position in one step, so every alert is either in the replay copy (sequence up to the
/// boundary) or written to the channel (sequence after it), never both and never neither.</para>
/// <para>The ring holds each alert version encoded (<see cref="EncodedAlert"/>), shared by its publication and its
/// escalations, and no <see cref="Alert"/> objects: full at its default size it is a few hundred thousand arrays
/// without references instead of millions of objects for every Gen2 collection to mark.</para>
/// </remarks>
public sealed class AlertHub : IDisposable
{
    private readonly Lock _gate = new();
    private readonly AlertHubOptions _options;
    private readonly RetainedAlert[] _ring;
    // Every (alert_id, version, escalation tier) published, with the sequence it was published at.
    private readonly Dictionary<AlertVersionKey, long> _seen;
    private readonly Queue<AlertVersionKey> _seenOrder;
    // Station and grid ids of the retained routes, one string each however many alerts carry it.
    private readonly IdPool _jurisdictionIds = new();
    private readonly Dictionary<string, List<Subscriber>> _byStation = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Subscriber>> _byGrid = new(StringComparer.Ordinal);
    private readonly List<Subscriber> _all = [];
    private readonly uint _epoch;
    private long _lastSequence;
    private int _subscriberCount;
    private long _duplicates;
    private long _slowDisconnects;
    private bool _completed;

    /// <summary>Creates a hub with the given sizes (defaults when null).</summary>
    public AlertHub(AlertHubOptions? options = null)
    {
        _options = options ?? new AlertHubOptions();
        _options.Validate();
        _ring = new RetainedAlert[_options.RetentionCapacity];
        _seen = new Dictionary<AlertVersionKey, long>(Math.Min(_options.DeduplicationCapacity, 4096));
        _seenOrder = new Queue<AlertVersionKey>(Math.Min(_options.DeduplicationCapacity, 4096));
        Span<byte> bytes = stackalloc byte[4];
        RandomNumberGenerator.Fill(bytes);
        _epoch = BitConverter.ToUInt32(bytes);
    }

    /// <summary>Sequence number of the last published alert; 0 before the first.</summary>
    public long LastSequence
    {
        get
        {
            lock (_gate)
            {
                return _lastSequence;
            }
        }
    }

    /// <summary>Subscribers currently connected.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscriberCount);

    /// <summary>Alerts dropped because their (alert_id, version) was already published.</summary>
    public long DuplicateCount => Interlocked.Read(ref _duplicates);

    /// <summary>Subscribers disconnected because their buffer was full.</summary>
    public long SlowSubscriberDisconnectCount => Interlocked.Read(ref _slowDisconnects);

    /// <summary>
    /// Publishes an alert to every subscriber in scope and retains it for resume. Returns false when this
    /// (alert_id, version) was already published. Never blocks on subscribers. The hub keeps the alert's encoding,
    /// not the instance.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The hub is disposed.</exception>
    public bool Publish(Alert alert) => PublishCore(alert, null);

    /// <summary>
    /// Re-notifies an alert that escalated: published again (same routing, new sequence) with the escalation marker,
    /// once per (alert_id, version, tier). Returns false for a repeat.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The hub is disposed.</exception>
    public bool PublishEscalation(Alert alert, Escalation escalation)
    {
        ArgumentNullException.ThrowIfNull(escalation);
        return PublishCore(alert, escalation);
    }

    private bool PublishCore(Alert alert, Escalation? escalation)
    {
        ArgumentNullException.ThrowIfNull(alert);
        alert = AlertMasking.EnsureMasked(alert);
        var key = new AlertVersionKey(alert.AlertId, alert.Version, escalation is null ? 0 : (int)escalation.Tier);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (_seen.ContainsKey(key))
            {
                _duplicates++;
                return false;
            }

            var encoded = (escalation is null ? null : RetainedVersionLocked(key)) ?? EncodeLocked(alert);
            key = key with { AlertId = encoded.AlertId };
            _seen.Add(key, _lastSequence + 1);
            _seenOrder.Enqueue(key);
            if (_seenOrder.Count > _options.DeduplicationCapacity)
            {
                _seen.Remove(_seenOrder.Dequeue());
            }

            var sequence = ++_lastSequence;
            var entry = new RetainedAlert(sequence, encoded, _epoch, escalation, _options.Clock.GetUtcNow().ToUnixTimeMilliseconds());
            _ring[(int)((sequence - 1) % _ring.Length)] = entry;

            if (_subscriberCount != 0)
            {
                var routing = _options.Routing;
                var route = encoded.Route;
                if (routing.Routes(AlertScopeKind.All, encoded.Severity))
                {
                    Deliver(_all, entry);
                }

                if (routing.Routes(AlertScopeKind.Station, encoded.Severity))
                {
                    DeliverToJurisdictions(_byStation, route.HomeStation, route.CurrentStation, entry);
                }

                if (routing.Routes(AlertScopeKind.Grid, encoded.Severity))
                {
                    DeliverToJurisdictions(_byGrid, route.HomeGrid, route.CurrentGrid, entry);
                }
            }

            return true;
        }
    }

    /// <summary>True when the hub routes <paramref name="alert"/> to subscribers of <paramref name="scope"/> (jurisdiction and level).</summary>
    public bool Routes(AlertScope scope, Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return Routes(scope, AlertRoute.Of(alert), alert.Severity);
    }

    private bool Routes(AlertScope scope, in AlertRoute route, Severity severity) =>
        scope.Matches(route) && _options.Routing.Routes(scope.Kind, severity);

    /// <summary>
    /// Subscribes to a scope. With a resume token, the subscription first replays every retained alert in scope
    /// after the token's position, in order, then continues live with no gap and no duplicate.
    /// </summary>
    /// <param name="scope">What to receive.</param>
    /// <param name="resumeToken">A token from an earlier delivery, or null/empty to start with the next alert.</param>
    /// <exception cref="ResumeTokenFormatException">The token was not issued by this hub's format or is from the future.</exception>
    /// <exception cref="ResumeTokenExpiredException">The token's position is no longer retained, or it is from another process.</exception>
    /// <exception cref="SubscriberDisconnectedException">The hub is shutting down.</exception>
    public AlertSubscription Subscribe(AlertScope scope, string? resumeToken = null)
    {
        if (scope.Kind is not (AlertScopeKind.Station or AlertScopeKind.Grid or AlertScopeKind.All))
        {
            throw new ArgumentException("The scope is not set.", nameof(scope));
        }

        long after = -1;
        if (!string.IsNullOrEmpty(resumeToken))
        {
            if (!ResumeTokenCodec.TryParse(resumeToken, out var epoch, out after))
            {
                throw new ResumeTokenFormatException("The resume token is malformed.");
            }

            if (epoch != _epoch)
            {
                throw new ResumeTokenExpiredException(
                    "The resume token was issued by an earlier dispatch process; its alerts are no longer retained.");
            }
        }

        var channel = Channel.CreateBounded<RetainedAlert>(new BoundedChannelOptions(_options.SubscriberBufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var subscriber = new Subscriber(scope, channel);
        List<RetainedAlert> replay = [];
        long start;
        lock (_gate)
        {
            if (_completed)
            {
                throw new SubscriberDisconnectedException(DisconnectReason.ShuttingDown, resumeToken ?? string.Empty);
            }

            if (after < 0)
            {
                start = _lastSequence;
            }
            else
            {
                if (after > _lastSequence)
                {
                    throw new ResumeTokenFormatException("The resume token points past the last published alert.");
                }

                var oldest = OldestRetainedLocked();
                if (after + 1 < oldest)
                {
                    throw new ResumeTokenExpiredException(
                        $"The resume token is older than the retention ({_ring.Length} alerts); the alerts after it are no longer retained.");
                }

                start = after;
                for (var seq = after + 1; seq <= _lastSequence; seq++)
                {
                    var entry = _ring[(int)((seq - 1) % _ring.Length)];
                    if (Routes(scope, entry.Encoded.Route, entry.Severity))
                    {
                        replay.Add(entry);
                    }
                }
            }

            AddLocked(subscriber);
        }

        return new AlertSubscription(this, subscriber, replay, start);
    }

    /// <summary>Formats the resume token that continues after <paramref name="sequence"/>.</summary>
    public string FormatResumeToken(long sequence) => ResumeTokenCodec.Format(_epoch, sequence);

    /// <summary>
    /// The resume token that replays everything this hub still retains, oldest first. It is what a client whose token
    /// was refused as expired resumes with: after a dispatch restart the retention holds every alert the new process
    /// re-read from fs.alerts, so the client gets them all again (duplicates of what it had; de-duplicate by id and
    /// version) instead of only the alerts published after it resubscribed.
    /// </summary>
    public string FormatOldestResumeToken()
    {
        lock (_gate)
        {
            return ResumeTokenCodec.Format(_epoch, OldestRetainedLocked() - 1);
        }
    }

    /// <summary>
    /// Ends every subscription (each ends with <see cref="DisconnectReason.ShuttingDown"/> after its buffered alerts)
    /// and refuses further publishes and subscriptions.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            CompleteAll(_all);
            foreach (var list in _byStation.Values)
            {
                CompleteAll(list);
            }

            foreach (var list in _byGrid.Values)
            {
                CompleteAll(list);
            }

            _all.Clear();
            _byStation.Clear();
            _byGrid.Clear();
            _subscriberCount = 0;
        }

        static void CompleteAll(List<Subscriber> list)
        {
            foreach (var subscriber in list)
            {
                subscriber.Disconnect(DisconnectReason.ShuttingDown);
            }
        }
    }

    internal void Remove(Subscriber subscriber)
    {
        lock (_gate)
        {
            RemoveLocked(subscriber);
        }

        subscriber.Channel.Writer.TryComplete();
    }

    private long OldestRetainedLocked() => Math.Max(1, _lastSequence - _ring.Length + 1);

    // An escalation re-notifies an alert version the ring usually still holds (its first publication): its entry
    // shares that encoding instead of encoding the case store's copy of the same version again (an unsigned alert
    // escalates up to three times). Null when the publication left the ring or was never made.
    private EncodedAlert? RetainedVersionLocked(AlertVersionKey key)
    {
        if (_seen.TryGetValue(key with { EscalationTier = 0 }, out var first) && first >= OldestRetainedLocked()
            && _ring[(int)((first - 1) % _ring.Length)].Encoded is { } retained
            && retained.AlertId == key.AlertId && retained.Version == key.Version)
        {
            return retained;
        }

        return null;
    }

    private EncodedAlert EncodeLocked(Alert alert) => new(alert, _jurisdictionIds.Intern(AlertRoute.Of(alert)));

    private void DeliverToJurisdictions(Dictionary<string, List<Subscriber>> index, string home, string current, RetainedAlert entry)
    {
        if (!string.IsNullOrEmpty(home) && index.TryGetValue(home, out var homeSubscribers))
        {
            Deliver(homeSubscribers, entry);
        }

        if (!string.IsNullOrEmpty(current) && !string.Equals(home, current, StringComparison.Ordinal)
            && index.TryGetValue(current, out var currentSubscribers))
        {
            Deliver(currentSubscribers, entry);
        }
    }

    private void Deliver(List<Subscriber> subscribers, RetainedAlert entry)
    {
        // Backwards: a slow subscriber is removed from the list while iterating.
        for (var i = subscribers.Count - 1; i >= 0; i--)
        {
            var subscriber = subscribers[i];
            if (!subscriber.Channel.Writer.TryWrite(entry))
            {
                _slowDisconnects++;
                subscriber.Disconnect(DisconnectReason.SlowSubscriber);
                RemoveLocked(subscriber);
            }
        }
    }

    private void AddLocked(Subscriber subscriber)
    {
        ListFor(subscriber.Scope, create: true)!.Add(subscriber);
        _subscriberCount++;
    }

    private void RemoveLocked(Subscriber subscriber)
    {
        var list = ListFor(subscriber.Scope, create: false);
        if (list is null || !list.Remove(subscriber))
        {
            return;
        }

        _subscriberCount--;
        if (list.Count == 0 && subscriber.Scope.Kind != AlertScopeKind.All)
        {
            (subscriber.Scope.Kind == AlertScopeKind.Station ? _byStation : _byGrid).Remove(subscriber.Scope.Id);
        }
    }

    private List<Subscriber>? ListFor(AlertScope scope, bool create)
    {
        if (scope.Kind == AlertScopeKind.All)
        {
            return _all;
        }

        var index = scope.Kind == AlertScopeKind.Station ? _byStation : _byGrid;
        if (!index.TryGetValue(scope.Id, out var list) && create)
        {
            list = [];
            index.Add(scope.Id, list);
        }

        return list;
    }

    private readonly record struct AlertVersionKey(string AlertId, int Version, int EscalationTier);

    /// <summary>One subscriber: its scope and the bounded channel its writer loop reads.</summary>
    internal sealed class Subscriber(AlertScope scope, Channel<RetainedAlert> channel)
    {
        private int _reason;

        public AlertScope Scope { get; } = scope;

        public Channel<RetainedAlert> Channel { get; } = channel;

        /// <summary>Why the hub ended it; null while live or when the subscriber ended it itself.</summary>
        public DisconnectReason? Reason => Volatile.Read(ref _reason) is var r and not 0 ? (DisconnectReason)r : null;

        public void Disconnect(DisconnectReason reason)
        {
            Interlocked.CompareExchange(ref _reason, (int)reason, 0);
            Channel.Writer.TryComplete();
        }
    }
}
