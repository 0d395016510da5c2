using FraudShield.AlertDispatch.Cases;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Tests.Cases;

/// <summary>Holds case updates until <see cref="Open"/>, and says when the first one reached it.</summary>
internal sealed class StoreGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when an update first reached the gate.</summary>
    public Task Entered => _entered.Task;

    public void Open() => _open.TrySetResult();

    public Task PassAsync(CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        return _open.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>The in-process store, with case updates held at the gate (a Redis store during an outage, slowed down).</summary>
internal sealed class GatedCaseStore(InProcessCaseStore inner, StoreGate gate) : ICaseStore
{
    public event EventHandler<CaseChangedEventArgs>? Changed
    {
        add => inner.Changed += value;
        remove => inner.Changed -= value;
    }

    public async ValueTask<CaseUpdate> UpdateAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken = default)
    {
        await gate.PassAsync(cancellationToken);
        return await inner.UpdateAsync(alertId, transition, cancellationToken);
    }

    public ValueTask<CaseState?> GetAsync(string alertId, CancellationToken cancellationToken = default) => inner.GetAsync(alertId, cancellationToken);

    public ValueTask<IReadOnlyList<string>> GetDueAsync(long nowMs, int max, CancellationToken cancellationToken = default) => inner.GetDueAsync(nowMs, max, cancellationToken);

    public ValueTask<int> RetireClosedAsync(long closedBeforeMs, int max, CancellationToken cancellationToken = default) => inner.RetireClosedAsync(closedBeforeMs, max, cancellationToken);

    public ValueTask<IReadOnlyList<CaseState>> QueryAsync(CaseQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<CaseState> ScanAsync(CaseQuery query, CancellationToken cancellationToken = default) => inner.ScanAsync(query, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
