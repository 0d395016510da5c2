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
        var reply = new StatsReply();
        var byStatus = new SortedDictionary<AlertStatus, long>();
        var byOutcome = new SortedDictionary<Outcome, long>();
        var rules = new SortedDictionary<string, (long True, long False)>(StringComparer.Ordinal);
        double signSum = 0, contactSum = 0;
        long signCount = 0, contactCount = 0;
        foreach (var state in cases)
        {
            reply.Total++;
            byStatus[state.Status] = byStatus.GetValueOrDefault(state.Status) + 1;
            if (state.Tier > EscalationTier.Station)
            {
                reply.Escalated++;
            }

            if (state.SignedMs != 0)
            {
                signSum += state.SignedMs - state.OpenedMs;
                signCount++;
            }

            if (state.ContactedMs != 0)
            {
                contactSum += state.ContactedMs - state.OpenedMs;
                contactCount++;
            }

            reply.LossPreventedMinor += state.LossPreventedMinor;
            reply.LossIncurredMinor += state.LossIncurredMinor;
            if (state.Outcome == Outcome.Unspecified)
            {
                continue;
            }

            byOutcome[state.Outcome] = byOutcome.GetValueOrDefault(state.Outcome) + 1;
            var verdict = state.Outcome switch
            {
                Outcome.Dissuaded or Outcome.AlreadyDefrauded or Outcome.Refused => (True: 1, False: 0),
                Outcome.FalsePositive => (True: 0, False: 1),
                _ => (True: 0, False: 0),
            };
            if (verdict == (0, 0) || state.Alert is null)
            {
                continue;
            }

            foreach (var rule in state.Alert.RuleIds)
            {
                var counts = rules.GetValueOrDefault(rule);
                rules[rule] = (counts.True + verdict.True, counts.False + verdict.False);
            }
        }

        foreach (var (status, count) in byStatus)
        {
            reply.ByStatus.Add(new StatusCount { Status = status, Count = count });
        }

        foreach (var (outcome, count) in byOutcome)
        {
            reply.ByOutcome.Add(new OutcomeCount { Outcome = outcome, Count = count });
        }

        foreach (var (rule, counts) in rules)
        {
            reply.Rules.Add(new RulePrecision
            {
                RuleId = rule,
                TruePositives = counts.True,
                FalsePositives = counts.False,
                Precision = (double)counts.True / (counts.True + counts.False),
            });
        }

        reply.MeanTimeToSignMs = signCount == 0 ? 0 : signSum / signCount;
        reply.MeanTimeToContactMs = contactCount == 0 ? 0 : contactSum / contactCount;
        return reply;
    }
}
