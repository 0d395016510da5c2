using System.Diagnostics;

namespace FraudShield.Tests.Shared;

/// <summary>
/// External peers the interop tests run. Missing tools fail the test (never skip) with a pointer to infra/setup.sh.
/// </summary>
public static class ExternalTools
{
    /// <summary>Debian's python3, which has python3-grpcio and python3-protobuf (not the pyenv one on PATH).</summary>
    public const string DebianPython = "/usr/bin/python3";

    /// <summary>Debian's protoc (3.21), whose Python output matches python3-protobuf 4.21.</summary>
    public const string DebianProtoc = "/usr/bin/protoc";

    /// <summary>Fails unless Debian python3 with grpc and protobuf, and Debian protoc, are installed.</summary>
    public static void RequirePythonGrpc()
    {
        var missing = new List<string>();
        if (!File.Exists(DebianProtoc))
        {
            missing.Add($"{DebianProtoc} (apt package protobuf-compiler)");
        }

        if (!File.Exists(DebianPython))
        {
            missing.Add($"{DebianPython} (apt package python3)");
        }
        else if (Run(DebianPython, "-c", "import grpc, google.protobuf") != 0)
        {
            missing.Add("python modules grpc and google.protobuf for /usr/bin/python3 (apt packages python3-grpcio, python3-protobuf)");
        }

        if (missing.Count != 0)
        {
            Xunit.Assert.Fail($"Interop prerequisites missing: {string.Join("; ", missing)}. Run infra/setup.sh to install them.");
        }
    }

    /// <summary>Debian's kcat, a real external Kafka client.</summary>
    public const string Kcat = "/usr/bin/kcat";

    /// <summary>Fails unless kcat is installed.</summary>
    public static void RequireKcat()
    {
        if (!File.Exists(Kcat))
        {
            Xunit.Assert.Fail($"{Kcat} is missing (apt package kcat). Run infra/setup.sh to install it.");
        }
    }

    /// <summary>Runs a tool with <paramref name="input"/> on stdin (60 s bound); returns exit code, stdout and stderr.</summary>
    public static (int ExitCode, string StandardOutput, string StandardError) RunWithInput(string fileName, string input, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = FraudShield.Ingest.Kafka.ChildProcess.Start(info);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within 60 s.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tool to completion (60 s bound) and returns its exit code; output is discarded.</summary>
    public static int Run(string fileName, params string[] arguments)
    {
        var (code, _) = RunCapture(fileName, arguments);
        return code;
    }

    /// <summary>Runs a tool to completion (60 s bound) and returns its exit code and stderr.</summary>
    public static (int ExitCode, string StandardError) RunCapture(string fileName, params string[] arguments)
    {
        var (code, _, stderr) = RunWithInput(fileName, string.Empty, arguments);
        return (code, stderr);
    }
}
