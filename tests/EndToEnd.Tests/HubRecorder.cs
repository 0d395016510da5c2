using System.Collections.Concurrent;
using FraudShield.AlertDispatch;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>
/// What an in-process node's hub publishes to an all-stations subscriber: each alert version's (id, version) as it
/// arrives, escalations left out, from creation until <see cref="StopAsync"/>.
/// </summary>
internal sealed class HubRecorder : IAsyncDisposable
{
    private readonly AlertSubscription _subscription;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    public HubRecorder(AlertHub hub)
    {
        _subscription = hub.Subscribe(AlertScope.All);
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>The versions received so far, in arrival order.</summary>
    public ConcurrentQueue<(string Id, int Version)> Received { get; } = new();

    /// <summary>Stops reading and returns every version received.</summary>
    public async Task<List<(string Id, int Version)>> StopAsync()
    {
        await _stop.CancelAsync();
        await _reader.WithTimeout();
        return [.. Received];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_reader.IsCompleted)
        {
            await StopAsync();
        }

        _subscription.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var entry in _subscription.ReadAllAsync(_stop.Token))
            {
                if (!entry.IsEscalation)
                {
                    Received.Enqueue((entry.AlertId, entry.Version));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
