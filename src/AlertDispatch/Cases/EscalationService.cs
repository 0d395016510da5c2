using FraudShield.AlertDispatch.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// Runs <see cref="CaseService.EscalateDueAsync"/> every <see cref="CaseOptions.EscalationPollInterval"/> on the
/// service's clock (so tests drive it with a fake one). Safe to run in every dispatch process: the store lets one
/// escalation of a case win.
/// </summary>
public sealed class EscalationService : IHostedService, IAsyncDisposable
{
    private readonly CaseService _cases;
    private readonly ILogger _logger;
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private long _passes;

    /// <summary>Creates the service; <see cref="StartAsync"/> starts the loop.</summary>
    public EscalationService(CaseService cases, ILogger<EscalationService>? logger = null)
    {
        _cases = cases ?? throw new ArgumentNullException(nameof(cases));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Completed escalation passes.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Starts the loop (once).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            _stopping = new CancellationTokenSource();
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops the loop and waits for the pass in progress.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null || _stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping?.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_cases.Options.EscalationPollInterval, _cases.Time, cancellationToken);
                await _cases.EscalateDueAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                DispatchLog.EscalationPassFailed(_logger, ex);
            }

            Interlocked.Increment(ref _passes);
        }
    }
}
