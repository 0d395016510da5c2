using FraudShield.Contracts.Alerts.V1;

namespace FraudShield.AlertDispatch.Internal;

/// <summary>
/// The subject's full number goes only to scopes that cover the alert; the masked form is always present.
/// Alerts in the hub are shared between subscribers and never mutated: a change makes a copy.
/// </summary>
internal static class AlertMasking
{
    /// <summary>Returns the alert with <c>subject.msisdn_masked</c> filled (a copy only when it was missing).</summary>
    public static Alert EnsureMasked(Alert alert)
    {
        var subject = alert.Subject;
        if (subject is null || subject.Msisdn.Length == 0 || subject.MsisdnMasked.Length != 0)
        {
            return alert;
        }

        var copy = alert.Clone();
        copy.Subject.MsisdnMasked = Mask(subject.Msisdn);
        return copy;
    }

    /// <summary>
    /// True when the alert carries a full number that the scope must not see (the scope does not cover the alert).
    /// The two answers are the only two forms in which a subscriber can receive an alert.
    /// </summary>
    public static bool WithholdsNumber(Alert alert, AlertScope scope) =>
        WithholdsNumber(HasNumber(alert), AlertRoute.Of(alert), scope);

    /// <summary>True when the alert carries the subject's full number.</summary>
    public static bool HasNumber(Alert alert) => alert.Subject is { Msisdn.Length: > 0 };

    /// <summary><see cref="WithholdsNumber(Alert, AlertScope)"/> for an alert known by whether it has a number and its route.</summary>
    public static bool WithholdsNumber(bool hasNumber, in AlertRoute route, AlertScope scope) => hasNumber && !scope.Matches(route);

    /// <summary>A copy of the alert with <c>subject.msisdn</c> cleared; the masked form stays.</summary>
    public static Alert WithoutNumber(Alert alert)
    {
        var copy = alert.Clone();
        copy.Subject.Msisdn = string.Empty;
        return copy;
    }

    /// <summary>Keeps the first three and last four digits: <c>8613812345678</c> becomes <c>861******5678</c>.</summary>
    public static string Mask(string msisdn)
    {
        if (msisdn.Length <= 7)
        {
            var keep = Math.Min(2, msisdn.Length);
            return string.Concat(new string('*', msisdn.Length - keep), msisdn.AsSpan(msisdn.Length - keep));
        }

        return string.Concat(msisdn.AsSpan(0, 3), new string('*', msisdn.Length - 7), msisdn.AsSpan(msisdn.Length - 4));
    }
}
