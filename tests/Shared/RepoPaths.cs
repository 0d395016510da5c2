namespace FraudShield.Tests.Shared;

/// <summary>Paths inside the repository, found from the test binary's folder.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding FraudShield.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The proto root of the shared contracts (src/Contracts/Protos).</summary>
    public static string Protos => Path.Combine(Root, "src", "Contracts", "Protos");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FraudShield.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"FraudShield.sln not found above {AppContext.BaseDirectory}.");
    }
}
