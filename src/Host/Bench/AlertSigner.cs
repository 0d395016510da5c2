using System.Threading.Channels;
using FraudShield.Contracts.Dispatch.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FraudShield.Host.Bench;

/// <summary>
/// The bench's station console signing for (签收) every alert it receives, as a console's operator does: each alert id
/// handed to <see cref="Offer"/> is signed for through the dispatch's <c>AlertStream.Ack</c> RPC, one at a time, off
/// the subscriber's reading loop (the latency is measured at receipt, before any signing). Without it every alert of a
/// run escalates at its ack deadline: a case update, a re-notification to every subscriber and a log line each, work
/// no attended console causes (<c>fraudshield bench --no-sign</c> keeps that).
/// </summary>
internal sealed class AlertSigner : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AlertStream.AlertStreamClient _client;
    private readonly Channel<string> _pending = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _signed;
    private long _failed;

    /// <summary>Starts signing through the dispatch at <paramref name="address"/> (h2c for <c>http://</c>).</summary>
    public AlertSigner(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _channel = GrpcChannel.ForAddress(address);
        _client = new AlertStream.AlertStreamClient(_channel);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Alerts signed for.</summary>
    public long Signed => Interlocked.Read(ref _signed);

    /// <summary>Alerts whose signing the dispatch refused or that failed (already signed, unknown, the call broke).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queues <paramref name="alertId"/> to be signed for.</summary>
    public void Offer(string alertId) => _pending.Writer.TryWrite(alertId);

    /// <summary>Stops after the alerts already queued (waiting at most <paramref name="patience"/> for them), then closes the channel.</summary>
    public async Task StopAsync(TimeSpan patience)
    {
        _pending.Writer.TryComplete();
        _stop.CancelAfter(patience);
        await _loop.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stop.Dispose();
        _channel.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var alertId in _pending.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await _client.AckAsync(new AckRequest { AlertId = alertId, OperatorId = "bench-console" }, cancellationToken: _stop.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _signed);
                }
                catch (RpcException) when (!_stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failed);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException && _stop.IsCancellationRequested))
        {
            // Stopped: what was still queued stays unsigned.
        }
    }
}
