using System.Runtime.CompilerServices;

namespace FraudShield.AlertDispatch;

/// <summary>
/// One subscriber of an <see cref="AlertHub"/>: replayed alerts first, then live ones, read by a single reader.
/// Dispose it to unsubscribe.
/// </summary>
public sealed class AlertSubscription : IDisposable
{
    private readonly AlertHub _hub;
    private readonly AlertHub.Subscriber _subscriber;
    private List<RetainedAlert>? _replay;
    private long _lastSequence;
    private int _replayRemaining;
    private int _disposed;

    internal AlertSubscription(AlertHub hub, AlertHub.Subscriber subscriber, List<RetainedAlert> replay, long startSequence)
    {
        _hub = hub;
        _subscriber = subscriber;
        _replay = replay;
        _lastSequence = startSequence;
        StartResumeToken = hub.FormatResumeToken(startSequence);
    }

    /// <summary>The scope subscribed to.</summary>
    public AlertScope Scope => _subscriber.Scope;

    /// <summary>
    /// The position this subscription starts from: resuming from it later misses nothing this subscription would
    /// have delivered. Hand it to the client before the first alert so it can resume even if it never gets one.
    /// </summary>
    public string StartResumeToken { get; }

    /// <summary>How many alerts are waiting to be replayed before the live ones.</summary>
    public int ReplayCount => _replay?.Count ?? 0;

    /// <summary>Sequence of the last alert handed out by <see cref="ReadAllAsync"/> (the start position before that).</summary>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>
    /// True when the next alert is already waiting (replayed or buffered), so a writer may leave its transport
    /// unflushed until it reaches the last ready one (one flush per burst instead of one per alert).
    /// </summary>
    public bool HasReady => Volatile.Read(ref _replayRemaining) > 0 || _subscriber.Channel.Reader.Count > 0;

    /// <summary>Token that resumes right after the last alert handed out.</summary>
    public string ResumeToken => _hub.FormatResumeToken(LastSequence);

    /// <summary>
    /// Replayed alerts, then live ones until cancelled. When the hub ends the subscription, the alerts already
    /// buffered are read first and then <see cref="SubscriberDisconnectedException"/> is thrown with the resume token.
    /// </summary>
    /// <exception cref="SubscriberDisconnectedException">The hub disconnected this subscriber (slow, or shutting down).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<RetainedAlert> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var replay = _replay;
        _replay = null;
        if (replay is not null)
        {
            Volatile.Write(ref _replayRemaining, replay.Count);
            foreach (var entry in replay)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Volatile.Write(ref _replayRemaining, _replayRemaining - 1);
                Volatile.Write(ref _lastSequence, entry.Sequence);
                yield return entry;
            }
        }

        var reader = _subscriber.Channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var entry))
            {
                Volatile.Write(ref _lastSequence, entry.Sequence);
                yield return entry;
            }
        }

        if (_subscriber.Reason is { } reason)
        {
            throw new SubscriberDisconnectedException(reason, ResumeToken);
        }
    }

    /// <summary>Unsubscribes; a pending read ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _hub.Remove(_subscriber);
        }
    }
}
