using System.Globalization;

namespace FraudShield.Host.Bench;

/// <summary>A latency budget such as <c>p99=20ms</c>: the run fails when the measured value exceeds it.</summary>
internal sealed record Budget(string Metric, double LimitMs)
{
    /// <summary>The metrics a budget can name.</summary>
    public static readonly string[] Metrics = ["p50", "p99", "p999", "max"];

    /// <summary>Parses "p99=20ms" (also p50, p999, max; units us, ms, s; several comma-separated); null with an error otherwise.</summary>
    public static IReadOnlyList<Budget>? Parse(IEnumerable<string> values, out string? error)
    {
        var budgets = new List<Budget>();
        foreach (var part in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var metric = eq > 0 ? part[..eq].Trim().ToLowerInvariant().Replace("p99.9", "p999", StringComparison.Ordinal) : string.Empty;
            if (!Metrics.Contains(metric))
            {
                error = $"--budget {part}: expected p50|p99|p999|max=<value>ms";
                return null;
            }

            var text = part[(eq + 1)..].Trim().ToLowerInvariant();
            var (number, scale) = text.EndsWith("us", StringComparison.Ordinal) ? (text[..^2], 0.001)
                : text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
                : text.EndsWith('s') ? (text[..^1], 1000.0)
                : (text, 1.0);
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
            {
                error = $"--budget {part}: \"{text}\" is not a duration (e.g. 20ms, 500us, 1s)";
                return null;
            }

            budgets.Add(new Budget(metric, value * scale));
        }

        error = null;
        return budgets;
    }

    /// <summary>The measured value of this budget's metric in a step.</summary>
    public double Measured(StepResult step) => Metric switch
    {
        "p50" => step.P50Ms,
        "p99" => step.P99Ms,
        "p999" => step.P999Ms,
        _ => step.MaxMs,
    };

    /// <summary>The budgets <paramref name="step"/> misses (also all of them when it recorded no alert).</summary>
    public static IReadOnlyList<Budget> Missed(IReadOnlyList<Budget> budgets, StepResult step) =>
        budgets.Where(b => step.Alerts == 0 || b.Measured(step) > b.LimitMs).ToList();

    /// <summary>"p99 = 3.214 ms > budget 0.001 ms".</summary>
    public string Describe(StepResult step) => string.Create(CultureInfo.InvariantCulture,
        $"{Metric} = {Measured(step):0.###} ms {(Measured(step) > LimitMs ? ">" : "<=")} budget {LimitMs:0.###} ms{(step.Alerts == 0 ? " (no alert measured)" : string.Empty)}");
}
