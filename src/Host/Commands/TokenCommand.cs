using System.CommandLine;
using FraudShield.AlertDispatch.Security;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield token issue`: signs a console credential for a station, a grid worker, the centre or an analyst.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var role = new Option<DispatchRole>("--role") { Description = "station, grid, centre or analyst.", Required = true };
        var scope = new Option<string>("--scope") { Description = "The station id (role station) or grid id (role grid); empty for centre and analyst.", DefaultValueFactory = _ => string.Empty };
        var secret = new Option<FileInfo>("--secret-file") { Description = "The file with the dispatch servers' token secret (--token-secret-file of `run`).", Required = true };
        var hours = new Option<double>("--hours") { Description = "Lifetime in hours.", DefaultValueFactory = _ => 12 };
        var issue = new Command("issue", "Print a signed token; consoles send it as `authorization: Bearer <token>` (fraudshield console --token).") { role, scope, secret, hours };
        issue.SetAction(parse =>
        {
            var r = parse.GetValue(role);
            var s = parse.GetValue(scope)!;
            if (r is DispatchRole.Station or DispatchRole.Grid && s.Length == 0)
            {
                Console.Error.WriteLine($"--scope is required for role {r}");
                return 2;
            }

            var issuer = new TokenIssuer(File.ReadAllText(parse.GetValue(secret)!.FullName).Trim());
            Console.WriteLine(issuer.Issue(r, s, TimeSpan.FromHours(parse.GetValue(hours))));
            return 0;
        });
        return new Command("token", "Console credentials.") { issue };
    }
}
