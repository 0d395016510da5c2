using System.CommandLine;
using FraudShield.Host.Commands;

var root = new RootCommand("FraudShield: telecom and online fraud early warning. Events in through Kafka, rules against FASTER state, alerts out over gRPC.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ConsoleCommand.Create());
root.Subcommands.Add(WatchlistCommand.Create());
root.Subcommands.Add(RulesCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BenchCommand.CreateLoad());
return await root.Parse(args).InvokeAsync();
