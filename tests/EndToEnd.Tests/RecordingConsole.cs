using System.Collections.Concurrent;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.EndToEnd.Tests;

/// <summary>A console subscribed to every station through <see cref="AlertStreamClient"/>, recording each delivery.</summary>
internal sealed class RecordingConsole : IAsyncDisposable
{
    private readonly AlertStreamClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private RecordingConsole(Uri dispatch)
    {
        _client = new AlertStreamClient(dispatch);
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var d in _client.SubscribeAsync(new SubscribeRequest { All = true }, _stop.Token))
                {
                    Received.Enqueue(new Delivery(d.Alert.AlertId, d.Alert.Version, d.Alert.Severity.ToString(), d.Alert.Subject.Msisdn));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>Every delivery so far, in arrival order.</summary>
    public ConcurrentQueue<Delivery> Received { get; } = new();

    /// <summary>
    /// Subscribes and waits until the subscription stands (a subscription without a token starts live: produce the
    /// scenarios only after this returns).
    /// </summary>
    public static async Task<RecordingConsole> StartAsync(Uri dispatch)
    {
        var console = new RecordingConsole(dispatch);
        await Poll.UntilAsync(() => console._client.LastResumeToken is not null, "the subscription to open", TimeSpan.FromSeconds(30));
        return console;
    }

    /// <summary>Ends the subscription and returns what it received.</summary>
    public async Task<List<Delivery>> StopAsync()
    {
        await _stop.CancelAsync();
        await _reading.WithTimeout();
        return [.. Received];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading.WithTimeout();
        _client.Dispose();
        _stop.Dispose();
    }

    /// <summary>One delivery: the alert's id, version, severity (L1-L4) and subject number.</summary>
    internal sealed record Delivery(string Id, int Version, string Severity, string Msisdn);
}
