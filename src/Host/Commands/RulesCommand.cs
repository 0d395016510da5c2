using System.CommandLine;
using FraudShield.RuleEngine.Rules;
using Spectre.Console;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield rules validate`: load a rule file, print its rules or every error; exit 0 when valid, 1 when refused.</summary>
internal static class RulesCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A YAML rule file (docs/rules.md), e.g. rules/default.yaml." };
        var validate = new Command("validate", "Validate a rule file: OK and a summary of its rules, or every error with file, line, rule and field.") { file };
        validate.SetAction(parse => Validate(parse.GetValue(file)!));
        return new Command("rules", "Rule files.") { validate };
    }

    private static int Validate(string path)
    {
        RuleSet set;
        try
        {
            set = RuleFile.Load(path);
        }
        catch (RuleFileException e)
        {
            foreach (var error in e.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }

            Console.Error.WriteLine($"{path}: {e.Errors.Count} error(s); the file is refused as a whole");
            return 1;
        }

        var table = new Table().AddColumns("id", "name", "enabled", "severity", "typology", "parameters");
        foreach (var rule in set.Entries)
        {
            var enabled = rule.Enabled ? "[green]yes[/]" : rule.Planned ? "[grey]planned[/]" : "no";
            var parameters = rule.Parameters.Count > 0
                ? string.Join(", ", rule.Parameters.Select(p => $"{p.Key}={p.Value}"))
                : rule.Note ?? "";
            table.AddRow(
                RuleIds.Id(rule.Id), Markup.Escape(rule.Name), enabled, "L" + rule.Severity,
                Markup.Escape(rule.Typology ?? "-"), Markup.Escape(parameters));
        }

        AnsiConsole.Write(table);
        var composition = string.Join("; ", set.Options.Composition.Select(c => string.Join("+", c.When.Select(RuleIds.Id)) + " -> L" + c.Then));
        AnsiConsole.MarkupLine(Markup.Escape($"composition: {(composition.Length > 0 ? composition : "none")}; incident window: {set.Options.IncidentWindow}"));
        var enabledCount = set.Entries.Count(r => r.Enabled);
        AnsiConsole.MarkupLine($"[green]OK[/] {Markup.Escape(path)}: {set.Entries.Count} rules, {enabledCount} enabled, {set.Entries.Count(r => r.Planned)} planned");
        return 0;
    }
}
