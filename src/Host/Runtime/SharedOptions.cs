using System.CommandLine;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.Host.Runtime;

/// <summary>Options more than one command takes, defined once.</summary>
internal static class SharedOptions
{
    /// <summary>The rule file; the default pack shipped beside the binary when not given.</summary>
    public static Option<FileInfo?> Rules() => new("--rules") { Description = "Rule file (YAML); default: the shipped rules/default.yaml." };

    /// <summary>A file holding the HMAC secret that signs console tokens (at least 32 bytes).</summary>
    public static Option<FileInfo?> TokenSecretFile() => new("--token-secret-file") { Description = "File with the secret that signs console tokens; with it every RPC needs a token (fraudshield token issue)." };

    /// <summary>The default rule pack's path.</summary>
    public static string DefaultRules => Path.Combine(AppContext.BaseDirectory, "rules", "default.yaml");

    /// <summary>Loads the rule file, or prints every error (file:line: rule: field: reason) and returns null.</summary>
    public static RulePackOptions? LoadRules(FileInfo? file)
    {
        var path = file?.FullName ?? DefaultRules;
        try
        {
            return RuleFile.Load(path).Options;
        }
        catch (RuleFileException e)
        {
            foreach (var error in e.Errors)
            {
                Console.Error.WriteLine(error);
            }

            Console.Error.WriteLine($"{path}: refused; nothing started");
            return null;
        }
    }

    /// <summary>Reads the token secret, or null when no file was given.</summary>
    public static string? ReadSecret(FileInfo? file) => file is null ? null : File.ReadAllText(file.FullName).Trim();
}
