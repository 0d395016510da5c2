using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>
/// Where the case state of alerts lives: one record per alert id, changed only through atomic read-transition-write
/// steps, with an index of pending escalations and the change notifications every dispatch process sharing the
/// store receives. Implementations: <see cref="InProcessCaseStore"/> (one process, journal in a folder) and
/// <see cref="RedisCaseStore"/> (any number of processes sharing one Redis).
/// </summary>
/// <remarks>
/// All status rules live in <see cref="CaseTransitions"/>; a store only guarantees that a transition is applied to
/// the latest stored state and that two concurrent transitions of one case never both apply to the same state
/// (so two processes never both sign for or both escalate one alert).
/// </remarks>
public interface ICaseStore : IAsyncDisposable
{
    /// <summary>
    /// Raised after every stored change, in every process sharing the store (for a shared store also for changes
    /// made elsewhere), in the order of each case's changes. Handlers must be quick and must not throw.
    /// </summary>
    event EventHandler<CaseChangedEventArgs>? Changed;

    /// <summary>The stored case, or null when the alert has none. The instance is a copy the caller may keep.</summary>
    ValueTask<CaseState?> GetAsync(string alertId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically applies <paramref name="transition"/> to the latest state of the case (null when it has none) and
    /// stores what it returns; null stores nothing. The store sets <see cref="CaseState.Revision"/>. The transition
    /// may run more than once under contention, so it must be pure; an exception it throws propagates and nothing
    /// is stored. It must return a new instance, never mutate its argument.
    /// </summary>
    ValueTask<CaseUpdate> UpdateAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="UpdateAsync"/> for a change the dispatch makes again if a machine crash loses it: a case's opening
    /// (a restarted dispatch reads fs.alerts from the beginning and opens every alert's case again) and its first
    /// delivery (marked again at the next one). It sits on the alert's path to the console, so a store may return
    /// before its disk has the change: what returned survives a crash of the process, and the next
    /// <see cref="UpdateAsync"/> takes it to the disk with its own. The default is <see cref="UpdateAsync"/>.
    /// </summary>
    ValueTask<CaseUpdate> UpdateRederivableAsync(string alertId, Func<CaseState?, CaseState?> transition, CancellationToken cancellationToken = default)
        => UpdateAsync(alertId, transition, cancellationToken);

    /// <summary>Ids of cases whose <see cref="CaseState.NextEscalationMs"/> is due at <paramref name="nowMs"/>, earliest first.</summary>
    ValueTask<IReadOnlyList<string>> GetDueAsync(long nowMs, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retires (deletes) up to <paramref name="max"/> closed cases closed before <paramref name="closedBeforeMs"/>,
    /// earliest closed first, and returns how many; fewer than <paramref name="max"/> means none is left. Raises no
    /// <see cref="Changed"/> event. A retired case is gone: <see cref="GetAsync"/> returns null for it.
    /// </summary>
    ValueTask<int> RetireClosedAsync(long closedBeforeMs, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cases matching the query, newest opened first (cases opened in the same millisecond by id, greatest first, in
    /// ordinal order), at most <see cref="CaseQuery.Limit"/>.
    /// </summary>
    ValueTask<IReadOnlyList<CaseState>> QueryAsync(CaseQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every case matching the query's filters, however many (its <see cref="CaseQuery.Limit"/> is ignored), in
    /// <see cref="QueryAsync"/>'s order, read a page at a time: what statistics over a window count. A case changed during the scan is
    /// seen in one of its states; one opened during it may be missed.
    /// </summary>
    IAsyncEnumerable<CaseState> ScanAsync(CaseQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="CaseStatistics"/> over every case matching the query's filters (its <see cref="CaseQuery.Limit"/> is
    /// ignored). The default counts a <see cref="ScanAsync"/>; a store may answer from counters it keeps summed, as
    /// long as the reply is the one the scan would give.
    /// </summary>
    Task<StatsReply> StatsAsync(CaseQuery query, CancellationToken cancellationToken = default)
        => CaseStatistics.ComputeAsync(ScanAsync(query, cancellationToken), cancellationToken);
}

/// <summary>The result of <see cref="ICaseStore.UpdateAsync"/>.</summary>
/// <param name="Previous">The state the transition saw (null when the case did not exist).</param>
/// <param name="Current">
/// The state now stored (the previous one when nothing changed). A store may hand the same instance to its
/// <see cref="ICaseStore.Changed"/> handlers: read it, do not change it.
/// </param>
/// <param name="Changed">True when this call stored a new state.</param>
public readonly record struct CaseUpdate(CaseState? Previous, CaseState? Current, bool Changed);

/// <summary>A stored change of a case.</summary>
public sealed class CaseChangedEventArgs(CaseState state) : EventArgs
{
    /// <summary>The new state; its last history entry says what changed. Shared between handlers: do not mutate.</summary>
    public CaseState State { get; } = state;
}
