using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>Computes <see cref="StatsReply"/> over a set of cases.</summary>
public static class CaseStatistics
{
    /// <summary>
    /// Counts by status and outcome, escalated cases, mean opened->signed and opened->contacted times, losses, and
    /// per-rule precision over closed cases (DISSUADED, ALREADY_DEFRAUDED and REFUSED are true alerts,
    /// FALSE_POSITIVE a false one; UNREACHABLE and DUPLICATE say nothing about the rule).
    /// </summary>
    public static StatsReply Compute(IEnumerable<CaseState> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var tally = new Tally();
        foreach (var state in cases)
        {
            tally.Add(state);
        }

        return tally.Reply();
    }

    /// <summary><see cref="Compute"/> over cases read as they come (<see cref="ICaseStore.ScanAsync"/>): none is held after it is counted.</summary>
    public static async Task<StatsReply> ComputeAsync(IAsyncEnumerable<CaseState> cases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var tally = new Tally();
        await foreach (var state in cases.WithCancellation(cancellationToken))
        {
            tally.Add(state);
        }

        return tally.Reply();
    }

    private sealed class Tally
    {
        private readonly StatsReply _reply = new();
        private readonly SortedDictionary<AlertStatus, long> _byStatus = [];
        private readonly SortedDictionary<Outcome, long> _byOutcome = [];
        private readonly SortedDictionary<string, (long True, long False)> _rules = new(StringComparer.Ordinal);
        private double _signSum;
        private double _contactSum;
        private long _signCount;
        private long _contactCount;

        public void Add(CaseState state)
        {
            _reply.Total++;
            _byStatus[state.Status] = _byStatus.GetValueOrDefault(state.Status) + 1;
            if (state.Tier > EscalationTier.Station)
            {
                _reply.Escalated++;
            }

            if (state.SignedMs != 0)
            {
                _signSum += state.SignedMs - state.OpenedMs;
                _signCount++;
            }

            if (state.ContactedMs != 0)
            {
                _contactSum += state.ContactedMs - state.OpenedMs;
                _contactCount++;
            }

            _reply.LossPreventedMinor += state.LossPreventedMinor;
            _reply.LossIncurredMinor += state.LossIncurredMinor;
            if (state.Outcome == Outcome.Unspecified)
            {
                return;
            }

            _byOutcome[state.Outcome] = _byOutcome.GetValueOrDefault(state.Outcome) + 1;
            var verdict = state.Outcome switch
            {
                Outcome.Dissuaded or Outcome.AlreadyDefrauded or Outcome.Refused => (True: 1, False: 0),
                Outcome.FalsePositive => (True: 0, False: 1),
                _ => (True: 0, False: 0),
            };
            if (verdict == (0, 0) || state.Alert is null)
            {
                return;
            }

            foreach (var rule in state.Alert.RuleIds)
            {
                var counts = _rules.GetValueOrDefault(rule);
                _rules[rule] = (counts.True + verdict.True, counts.False + verdict.False);
            }
        }

        public StatsReply Reply()
        {
            foreach (var (status, count) in _byStatus)
            {
                _reply.ByStatus.Add(new StatusCount { Status = status, Count = count });
            }

            foreach (var (outcome, count) in _byOutcome)
            {
                _reply.ByOutcome.Add(new OutcomeCount { Outcome = outcome, Count = count });
            }

            foreach (var (rule, counts) in _rules)
            {
                _reply.Rules.Add(new RulePrecision
                {
                    RuleId = rule,
                    TruePositives = counts.True,
                    FalsePositives = counts.False,
                    Precision = (double)counts.True / (counts.True + counts.False),
                });
            }

            _reply.MeanTimeToSignMs = _signCount == 0 ? 0 : _signSum / _signCount;
            _reply.MeanTimeToContactMs = _contactCount == 0 ? 0 : _contactSum / _contactCount;
            return _reply;
        }
    }
}
