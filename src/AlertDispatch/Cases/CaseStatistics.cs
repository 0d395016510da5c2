using System.Globalization;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>Computes <see cref="StatsReply"/> over a set of cases.</summary>
/// <remarks>
/// Every figure of the reply is built from additive counters (<see cref="CountersOf"/>): a sum over cases, so a
/// store may keep them summed ahead, per jurisdiction and hour (<see cref="RedisCaseStore"/>), adding a case's
/// counters when it changes and taking its old ones away, and <see cref="Tally"/> turns either kind of input, cases
/// or counter sums, into the same reply.
/// </remarks>
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
        await tally.AddAsync(cases, cancellationToken);
        return tally.Reply();
    }

    // Counter names: one letter, then for the per-outcome and per-rule counters the outcome's number or the rule id.
    private const string Total = "n";
    private const string Escalated = "e";
    private const string SignSum = "ss";
    private const string SignCount = "sc";
    private const string ContactSum = "cs";
    private const string ContactCount = "cc";
    private const string LossPrevented = "lp";
    private const string LossIncurred = "li";
    private const string OutcomePrefix = "o:";
    private const string RuleTruePrefix = "t:";
    private const string RuleFalsePrefix = "f:";

    /// <summary>
    /// The counters one case adds to the statistics of every set it belongs to, as (name, value) pairs: the
    /// statistics of a set of cases are the sums of its cases' counters, grouped by status (<see cref="Tally.Add(AlertStatus, string, long)"/>).
    /// </summary>
    internal static void CountersOf(CaseState state, List<(string Name, long Value)> counters)
    {
        counters.Add((Total, 1));
        if (state.Tier > EscalationTier.Station)
        {
            counters.Add((Escalated, 1));
        }

        if (state.SignedMs != 0)
        {
            counters.Add((SignSum, state.SignedMs - state.OpenedMs));
            counters.Add((SignCount, 1));
        }

        if (state.ContactedMs != 0)
        {
            counters.Add((ContactSum, state.ContactedMs - state.OpenedMs));
            counters.Add((ContactCount, 1));
        }

        if (state.LossPreventedMinor != 0)
        {
            counters.Add((LossPrevented, state.LossPreventedMinor));
        }

        if (state.LossIncurredMinor != 0)
        {
            counters.Add((LossIncurred, state.LossIncurredMinor));
        }

        if (state.Outcome == Outcome.Unspecified)
        {
            return;
        }

        counters.Add((OutcomePrefix + ((int)state.Outcome).ToString(CultureInfo.InvariantCulture), 1));
        var prefix = state.Outcome switch
        {
            Outcome.Dissuaded or Outcome.AlreadyDefrauded or Outcome.Refused => RuleTruePrefix,
            Outcome.FalsePositive => RuleFalsePrefix,
            _ => null,
        };
        if (prefix is null || state.Alert is null)
        {
            return;
        }

        foreach (var rule in state.Alert.RuleIds)
        {
            counters.Add((prefix + rule, 1));
        }
    }

    /// <summary>Sums counters, of cases or of counter sums, into a <see cref="StatsReply"/>.</summary>
    internal sealed class Tally
    {
        private readonly List<(string Name, long Value)> _counters = [];
        private readonly SortedDictionary<AlertStatus, long> _byStatus = [];
        private readonly SortedDictionary<Outcome, long> _byOutcome = [];
        private readonly SortedDictionary<string, (long True, long False)> _rules = new(StringComparer.Ordinal);
        private long _total;
        private long _escalated;
        private long _signSum;
        private long _signCount;
        private long _contactSum;
        private long _contactCount;
        private long _lossPrevented;
        private long _lossIncurred;

        /// <summary>Counts one case.</summary>
        public void Add(CaseState state)
        {
            _counters.Clear();
            CountersOf(state, _counters);
            foreach (var (name, value) in _counters)
            {
                Add(state.Status, name, value);
            }
        }

        /// <summary>Counts every case of a scan as it comes.</summary>
        public async Task AddAsync(IAsyncEnumerable<CaseState> cases, CancellationToken cancellationToken)
        {
            await foreach (var state in cases.WithCancellation(cancellationToken))
            {
                Add(state);
            }
        }

        /// <summary>Adds a counter's sum over cases of one status.</summary>
        public void Add(AlertStatus status, string name, long value)
        {
            switch (name)
            {
                case Total:
                    _total += value;
                    _byStatus[status] = _byStatus.GetValueOrDefault(status) + value;
                    break;
                case Escalated:
                    _escalated += value;
                    break;
                case SignSum:
                    _signSum += value;
                    break;
                case SignCount:
                    _signCount += value;
                    break;
                case ContactSum:
                    _contactSum += value;
                    break;
                case ContactCount:
                    _contactCount += value;
                    break;
                case LossPrevented:
                    _lossPrevented += value;
                    break;
                case LossIncurred:
                    _lossIncurred += value;
                    break;
                default:
                    AddKeyed(name, value);
                    break;
            }
        }

        private void AddKeyed(string name, long value)
        {
            if (name.StartsWith(OutcomePrefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(OutcomePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var outcome))
            {
                _byOutcome[(Outcome)outcome] = _byOutcome.GetValueOrDefault((Outcome)outcome) + value;
            }
            else if (name.StartsWith(RuleTruePrefix, StringComparison.Ordinal))
            {
                var rule = name[RuleTruePrefix.Length..];
                var counts = _rules.GetValueOrDefault(rule);
                _rules[rule] = (counts.True + value, counts.False);
            }
            else if (name.StartsWith(RuleFalsePrefix, StringComparison.Ordinal))
            {
                var rule = name[RuleFalsePrefix.Length..];
                var counts = _rules.GetValueOrDefault(rule);
                _rules[rule] = (counts.True, counts.False + value);
            }
        }

        /// <summary>The reply; counts that summed to zero (every case they counted was taken away again) are left out.</summary>
        public StatsReply Reply()
        {
            var reply = new StatsReply
            {
                Total = _total,
                Escalated = _escalated,
                LossPreventedMinor = _lossPrevented,
                LossIncurredMinor = _lossIncurred,
                MeanTimeToSignMs = _signCount == 0 ? 0 : (double)_signSum / _signCount,
                MeanTimeToContactMs = _contactCount == 0 ? 0 : (double)_contactSum / _contactCount,
            };
            foreach (var (status, count) in _byStatus)
            {
                if (count != 0)
                {
                    reply.ByStatus.Add(new StatusCount { Status = status, Count = count });
                }
            }

            foreach (var (outcome, count) in _byOutcome)
            {
                if (count != 0)
                {
                    reply.ByOutcome.Add(new OutcomeCount { Outcome = outcome, Count = count });
                }
            }

            foreach (var (rule, counts) in _rules)
            {
                if (counts.True + counts.False != 0)
                {
                    reply.Rules.Add(new RulePrecision
                    {
                        RuleId = rule,
                        TruePositives = counts.True,
                        FalsePositives = counts.False,
                        Precision = (double)counts.True / (counts.True + counts.False),
                    });
                }
            }

            return reply;
        }
    }
}
