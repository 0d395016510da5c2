using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.RuleEngine.Engine;

/// <summary>Where the engine hands the alerts it emits (fs.alerts in production, a list in unit tests).</summary>
public interface IAlertSink
{
    /// <summary>Called on the engine thread for every new alert or alert version.</summary>
    void Emit(Alert alert);
}
