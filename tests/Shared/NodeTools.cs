using System.Diagnostics;

namespace FraudShield.Tests.Shared;

/// <summary>
/// Node.js and npm for interop tests with @grpc/grpc-js. Missing node or npm fails the test (never skips) with a
/// pointer to infra/setup.sh; packages are installed with npm into a folder on first use.
/// </summary>
public static class NodeTools
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    /// <summary>Fails unless <c>node</c> and <c>npm</c> are on PATH; returns the path of node.</summary>
    public static string RequireNode()
    {
        var node = Which("node");
        var npm = Which("npm");
        if (node is null || npm is null)
        {
            Xunit.Assert.Fail($"Interop prerequisites missing: {(node is null ? "node " : string.Empty)}{(npm is null ? "npm" : string.Empty)}. Install Node.js 18+ with npm (infra/setup.sh installs the Debian packages nodejs and npm).");
        }

        return node!;
    }

    /// <summary>
    /// Ensures <paramref name="packages"/> are installed in <paramref name="folder"/> (runs
    /// <c>npm install --no-audit --no-fund</c> when <paramref name="probe"/> is missing under node_modules) and
    /// returns the node_modules path. One install at a time per test run.
    /// </summary>
    public static async Task<string> EnsurePackagesAsync(string folder, string probe, params string[] packages)
    {
        RequireNode();
        var modules = Path.Combine(folder, "node_modules");
        await InstallGate.WaitAsync(TimeoutExtensions.DefaultTimeout);
        try
        {
            if (Directory.Exists(Path.Combine(modules, probe)))
            {
                return modules;
            }

            Directory.CreateDirectory(folder);
            var info = new ProcessStartInfo(Which("npm")!)
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error" }.Concat(packages))
            {
                info.ArgumentList.Add(argument);
            }

            using var process = FraudShield.Ingest.Kafka.ChildProcess.Start(info);
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Xunit.Assert.Fail($"npm install {string.Join(' ', packages)} did not finish within 5 minutes.");
            }

            if (process.ExitCode != 0 || !Directory.Exists(Path.Combine(modules, probe)))
            {
                Xunit.Assert.Fail($"npm install {string.Join(' ', packages)} failed ({process.ExitCode}): {await stderr}{await stdout}");
            }

            return modules;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
