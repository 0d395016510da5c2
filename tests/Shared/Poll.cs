namespace FraudShield.Tests.Shared;

/// <summary>Waits for conditions instead of sleeping a fixed time.</summary>
public static class Poll
{
    /// <summary>Polls a condition (no fixed sleep: checks every few ms) until true or the timeout passes.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? TimeoutExtensions.DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }
}
