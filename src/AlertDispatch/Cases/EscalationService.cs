using FraudShield.AlertDispatch.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// Runs <see cref="CaseService.EscalateDueAsync"/> every <see cref="CaseOptions.EscalationPollInterval"/>, and
/// <see cref="CaseService.RetireClosedAsync"/> on its first pass and every <see cref="CaseOptions.RetirementInterval"/>,
/// on the service's clock (so tests drive it with a fake one). Safe to run in every dispatch process: the store lets
/// one escalation of a case win, and a case retired twice is deleted once.
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
        var nextRetirement = long.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_cases.Options.EscalationPollInterval, _cases.Time, cancellationToken);
                await _cases.EscalateDueAsync(cancellationToken);
                nextRetirement = await RetireWhenDueAsync(nextRetirement, cancellationToken);
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

    // The retirement pass, on the first loop pass and every RetirementInterval after; a failure retries next interval.
    private async Task<long> RetireWhenDueAsync(long dueMs, CancellationToken cancellationToken)
    {
        var now = _cases.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now < dueMs)
        {
            return dueMs;
        }

        try
        {
            await _cases.RetireClosedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DispatchLog.RetirementFailed(_logger, ex);
        }

        return now + (long)_cases.Options.RetirementInterval.TotalMilliseconds;
    }
}
