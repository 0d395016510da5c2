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

    /// <summary>The ack window of a level; zero when it has none.</summary>
    public TimeSpan AckWindow(Severity severity) =>
        AckWindows.TryGetValue(severity, out var window) && window > TimeSpan.Zero ? window : TimeSpan.Zero;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(EscalationPollInterval, TimeSpan.Zero, nameof(EscalationPollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(EscalationBatchSize, 1, nameof(EscalationBatchSize));
        if (TopTier is < EscalationTier.Station or > EscalationTier.City)
        {
            throw new ArgumentOutOfRangeException(nameof(TopTier), TopTier, "TopTier must be Station, DistrictCentre or City.");
        }
    }
}
