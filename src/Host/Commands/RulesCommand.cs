using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Rules;
using Spectre.Console;

namespace FraudShield.Host.Commands;

/// <summary>
/// `fraudshield rules validate`: load a rule file, print its rules or every error; exit 0 when valid, 1 when refused.
/// `fraudshield rules deploy`: validate, then publish the set to fs.rules (key "active") with an effective event time;
/// every engine switches to it for the events stamped at or after that time. A refused file is not published.
/// </summary>
internal static class RulesCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A YAML rule file (docs/rules.md), e.g. rules/default.yaml." };
        var validate = new Command("validate", "Validate a rule file: OK and a summary of its rules, or every error with file, line, rule and field.") { file };
        validate.SetAction(parse => Validate(parse.GetValue(file)!));

        var deployFile = new Argument<string>("file") { Description = "The YAML rule file to deploy." };
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers.", Required = true };
        var margin = new Option<int>("--margin-ms") { Description = "Effective from deploy time plus this margin (ms), so every engine has the set before events stamped that late arrive.", DefaultValueFactory = _ => 2000 };
        var deploy = new Command("deploy", "Validate a rule file and publish it to fs.rules; every engine switches to it at the same input position, keeping its state.") { deployFile, bootstrap, margin };
        deploy.SetAction((parse, cancellationToken) => DeployAsync(parse.GetValue(deployFile)!, parse.GetValue(bootstrap)!, parse.GetValue(margin), cancellationToken));
        return new Command("rules", "Rule files.") { validate, deploy };
    }

    private static async Task<int> DeployAsync(string path, string bootstrap, int marginMs, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{path}:0: cannot read the file: {e.Message}");
            return 1;
        }

        if (marginMs < 0)
        {
            Console.Error.WriteLine("--margin-ms must be >= 0");
            return 1;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!RuleDeployment.TryCreate(path, text, now, now + marginMs, out var deployment, out var errors))
        {
            foreach (var error in errors)
            {
                Console.Error.WriteLine(error.ToString());
            }

            Console.Error.WriteLine($"{path}: {errors.Count} error(s); the file is refused as a whole and nothing was deployed");
            return 1;
        }

        using var producer = new ProducerBuilder<string, byte[]>(KafkaOptions.For(bootstrap).CreateProducerConfig()).Build();
        try
        {
            var result = await producer.ProduceAsync(Topics.Rules, new Message<string, byte[]> { Key = RuleDeployment.Key, Value = deployment!.ToBytes() }, cancellationToken)
                .WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deployed {deployment.Version} from {path}: effective_from_ms={deployment.EffectiveFromMs} ({DateTimeOffset.FromUnixTimeMilliseconds(deployment.EffectiveFromMs):O}) at {result.TopicPartitionOffset}"));
            return 0;
        }
        catch (Exception e) when (e is ProduceException<string, byte[]> or KafkaException or TimeoutException)
        {
            Console.Error.WriteLine($"{path}: not deployed: {e.Message}");
            return 1;
        }
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
