namespace FraudShield.RuleEngine.Rules;

/// <summary>
/// A validated rule file: the <see cref="RulePackOptions"/> the engine runs with (thresholds, enabled rules,
/// severities, typologies, composition), plus what the file said about each rule, for summaries.
/// Immutable; built only by <see cref="RuleFile"/>.
/// </summary>
public sealed class RuleSet
{
    internal RuleSet(string source, RulePackOptions options, IReadOnlyList<RuleEntry> entries)
    {
        Source = source;
        Options = options;
        Entries = entries;
    }

    /// <summary>The file it was loaded from, as named to the loader.</summary>
    public string Source { get; }

    /// <summary>The compiled options, as passed to <c>EngineCore</c>.</summary>
    public RulePackOptions Options { get; }

    /// <summary>The rules listed in the file, in file order.</summary>
    public IReadOnlyList<RuleEntry> Entries { get; }
}

/// <summary>One rule of a rule file, as validated.</summary>
/// <param name="Id">The rule (binds the built-in evaluator of that id).</param>
/// <param name="Name">The rule's name.</param>
/// <param name="Typology">The typology it reports when the evidence names none, or null.</param>
/// <param name="Severity">Base severity, 1 (L1) to 4 (L4).</param>
/// <param name="Enabled">Whether the engine evaluates it.</param>
/// <param name="Planned">True for a rule without an evaluator in this build (<c>status: planned</c>).</param>
/// <param name="Note">The free-text note, or null.</param>
/// <param name="Parameters">The parameters as written, name to text, in file order.</param>
public sealed record RuleEntry(
    RuleId Id, string Name, string? Typology, int Severity, bool Enabled, bool Planned, string? Note,
    IReadOnlyList<KeyValuePair<string, string>> Parameters);

/// <summary>One reason a rule file is refused: where (file, line, rule, field) and why.</summary>
/// <param name="File">The file as named to the loader.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Rule">The rule id the error belongs to, or null.</param>
/// <param name="Field">The field or parameter path ("parameter min_amount_minor", "composition[2].when"), or null.</param>
/// <param name="Reason">What is wrong.</param>
public sealed record RuleFileError(string File, int Line, string? Rule, string? Field, string Reason)
{
    /// <summary><c>rules/x.yaml:14: rule R07: parameter min_amount_minor: expected a whole number, got "lots"</c>.</summary>
    public override string ToString() =>
        $"{File}:{Line}: {(Rule is null ? "" : $"rule {Rule}: ")}{(Field is null ? "" : Field + ": ")}{Reason}";
}

/// <summary>Thrown by <see cref="RuleFile.Load(string)"/> when a file is refused; carries every error found.</summary>
public sealed class RuleFileException : Exception
{
    /// <summary>Creates the exception for <paramref name="errors"/>.</summary>
    public RuleFileException(IReadOnlyList<RuleFileError> errors)
        : base(string.Join(Environment.NewLine, errors ?? throw new ArgumentNullException(nameof(errors))))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public RuleFileException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public RuleFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Creates an exception without errors.</summary>
    public RuleFileException()
    {
        Errors = [];
    }

    /// <summary>The errors, in file order.</summary>
    public IReadOnlyList<RuleFileError> Errors { get; }
}
