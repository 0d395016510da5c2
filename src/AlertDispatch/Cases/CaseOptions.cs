using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.AlertDispatch.Cases;

/// <summary>Ack deadlines per level and the escalation policy (DOMAIN.md defaults).</summary>
public sealed class CaseOptions
{
    /// <summary>
    /// Time to sign for an alert, per level: the first deadline when the engine set no <c>ack_due_ms</c>, and the
    /// deadline at each tier after an escalation. A level without an entry (or with zero) has no deadline and never
    /// escalates unless the engine set one. Defaults: L1 2 min, L2 5 min, L3 30 min, L4 none.
    /// </summary>
    public Dictionary<Severity, TimeSpan> AckWindows { get; } = new()
    {
        [Severity.L1] = TimeSpan.FromMinutes(2),
        [Severity.L2] = TimeSpan.FromMinutes(5),
        [Severity.L3] = TimeSpan.FromMinutes(30),
    };

    /// <summary>The last tier an alert escalates to. Default <see cref="EscalationTier.City"/>.</summary>
    public EscalationTier TopTier { get; set; } = EscalationTier.City;

    /// <summary>How often the escalation service looks for passed deadlines. Default 1 s.</summary>
    public TimeSpan EscalationPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most due cases escalated per pass. Default 256.</summary>
    public int EscalationBatchSize { get; set; } = 256;

    /// <summary>
    /// How long a closed case stays in the case store after its outcome, for review, queries and statistics; then the
    /// store retires (deletes) it, so the store holds the open cases and the recently closed ones however long the
    /// dispatch runs. The outcome records stay on fs.outcomes for the long term. Keep it longer than fs.alerts'
    /// retention (Kafka's default: 7 days): a restarted dispatch re-reads fs.alerts, and the dispatch opens no case for,
    /// and delivers no, alert the engine emitted longer than this ago (its case, if it had one, was retired).
    /// Default 30 days; <see cref="Timeout.InfiniteTimeSpan"/> keeps every case for ever.
    /// </summary>
    public TimeSpan ClosedCaseRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the escalation service retires the closed cases past <see cref="ClosedCaseRetention"/>. Default 10 min.</summary>
    public TimeSpan RetirementInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The instant before which <see cref="ClosedCaseRetention"/> has passed at <paramref name="nowMs"/>: closed cases
    /// closed before it are retired, and alerts emitted before it open no case. <see cref="long.MinValue"/> when every
    /// case is kept.
    /// </summary>
    public long RetentionHorizonMs(long nowMs) =>
        ClosedCaseRetention == Timeout.InfiniteTimeSpan ? long.MinValue : nowMs - (long)ClosedCaseRetention.TotalMilliseconds;

    /// <summary>The ack window of a level; zero when it has none.</summary>
    public TimeSpan AckWindow(Severity severity) =>
        AckWindows.TryGetValue(severity, out var window) && window > TimeSpan.Zero ? window : TimeSpan.Zero;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(EscalationPollInterval, TimeSpan.Zero, nameof(EscalationPollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(EscalationBatchSize, 1, nameof(EscalationBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetirementInterval, TimeSpan.Zero, nameof(RetirementInterval));
        if (ClosedCaseRetention != Timeout.InfiniteTimeSpan && ClosedCaseRetention < TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ClosedCaseRetention), ClosedCaseRetention,
                "ClosedCaseRetention must be at least one day (and longer than fs.alerts' retention), or Timeout.InfiniteTimeSpan to keep every case.");
        }
        if (TopTier is < EscalationTier.Station or > EscalationTier.City)
        {
            throw new ArgumentOutOfRangeException(nameof(TopTier), TopTier, "TopTier must be Station, DistrictCentre or City.");
        }
    }
}
