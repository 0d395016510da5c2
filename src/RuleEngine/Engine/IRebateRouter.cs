namespace FraudShield.RuleEngine.Engine;

/// <summary>
/// Where the engine sends R12's rebates (<see cref="RebateRecord"/>): to the process that holds the receiver's state.
/// Called on the engine thread.
/// </summary>
public interface IRebateRouter
{
    /// <summary>Sends <paramref name="rebate"/> to the engine holding its receiver.</summary>
    void Route(in RebateRecord rebate);
}
