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
    private int _replayIndex;
    private int _replayRemaining;
    private int _disposed;

    internal AlertSubscription(AlertHub hub, AlertHub.Subscriber subscriber, List<RetainedAlert> replay, long startSequence)
    {
        _hub = hub;
        _subscriber = subscriber;
        _replay = replay;
        _replayRemaining = replay.Count;
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
    public int ReplayCount => Volatile.Read(ref _replayRemaining);

    /// <summary>Sequence of the last alert handed out by <see cref="ReadAllAsync"/> or <see cref="TryRead"/> (the start position before that).</summary>
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
        while (await WaitToReadAsync(cancellationToken))
        {
            while (TryRead(out var entry))
            {
                yield return entry;
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// Waits until an alert can be read with <see cref="TryRead"/>: true when one is ready, false when the subscription
    /// was ended by its own <see cref="Dispose"/>. For a writer that takes every ready alert in one batch (one flush per
    /// batch); <see cref="ReadAllAsync"/> is the same sequence one alert at a time.
    /// </summary>
    /// <exception cref="SubscriberDisconnectedException">The hub disconnected this subscriber (slow, or shutting down) and every buffered alert was read.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (_replay is { } replay && _replayIndex < replay.Count)
        {
            return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<bool>(cancellationToken) : new ValueTask<bool>(true);
        }

        return _subscriber.Channel.Reader.Count > 0 && !cancellationToken.IsCancellationRequested
            ? new ValueTask<bool>(true)
            : WaitForChannelAsync(cancellationToken);
    }

    /// <summary>Takes the next ready alert (replayed first, then live) without waiting; false when none is ready.</summary>
    public bool TryRead(out RetainedAlert entry)
    {
        if (_replay is { } replay)
        {
            if (_replayIndex < replay.Count)
            {
                entry = replay[_replayIndex++];
                Volatile.Write(ref _replayRemaining, replay.Count - _replayIndex);
                Volatile.Write(ref _lastSequence, entry.Sequence);
                return true;
            }

            _replay = null;
        }

        if (_subscriber.Channel.Reader.TryRead(out entry))
        {
            Volatile.Write(ref _lastSequence, entry.Sequence);
            return true;
        }

        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForChannelAsync(CancellationToken cancellationToken)
    {
        if (await _subscriber.Channel.Reader.WaitToReadAsync(cancellationToken))
        {
            return true;
        }

        return _subscriber.Reason is { } reason ? throw new SubscriberDisconnectedException(reason, ResumeToken) : false;
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
