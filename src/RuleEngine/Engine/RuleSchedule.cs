using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Rule sets received from fs.rules and not yet in force, ordered by <see cref="RuleDeployment.EffectiveFromMs"/>.
/// The fs.rules follower adds (any thread); the engine thread asks, before each event, whether a set is due at the
/// event's Kafka timestamp. The check costs one volatile read while nothing is due.
/// </summary>
public sealed class RuleSchedule
{
    private readonly Lock _gate = new();
    private readonly List<RuleDeployment> _pending = [];
    private long _nextDueMs = long.MaxValue;

    /// <summary>The earliest effective time pending (Unix ms); <see cref="long.MaxValue"/> when none is.</summary>
    public long NextDueMs => Volatile.Read(ref _nextDueMs);

    /// <summary>Sets waiting for their effective time.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Schedules <paramref name="deployment"/>; sets with the same effective time keep arrival order.</summary>
    public void Add(RuleDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        lock (_gate)
        {
            var i = _pending.Count;
            while (i > 0 && _pending[i - 1].EffectiveFromMs > deployment.EffectiveFromMs)
            {
                i--;
            }

            _pending.Insert(i, deployment);
            Volatile.Write(ref _nextDueMs, _pending[0].EffectiveFromMs);
        }
    }

    /// <summary>
    /// Takes every set effective at or before <paramref name="timestampMs"/> and returns the latest of them (the one
    /// in force at that time); the sets it supersedes are dropped.
    /// </summary>
    public bool TryTakeDue(long timestampMs, out RuleDeployment? due)
    {
        due = null;
        if (timestampMs < NextDueMs)
        {
            return false;
        }

        lock (_gate)
        {
            var n = 0;
            while (n < _pending.Count && _pending[n].EffectiveFromMs <= timestampMs)
            {
                n++;
            }

            if (n == 0)
            {
                return false;
            }

            due = _pending[n - 1];
            _pending.RemoveRange(0, n);
            Volatile.Write(ref _nextDueMs, _pending.Count > 0 ? _pending[0].EffectiveFromMs : long.MaxValue);
            return true;
        }
    }
}
