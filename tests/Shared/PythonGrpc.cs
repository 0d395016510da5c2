namespace FraudShield.Tests.Shared;

/// <summary>
/// A real python3-grpcio peer: a temp folder with message classes generated from the project's protos by Debian's
/// protoc (matching python3-protobuf) and a script of the test's, run by Debian's python3.
/// </summary>
public sealed class PythonGrpc : IDisposable
{
    private readonly TempDirectory _folder;
    private readonly string _script;

    private PythonGrpc(TempDirectory folder, string script)
    {
        _folder = folder;
        _script = script;
    }

    /// <summary>Generates the Python message classes of every proto of the project and writes <paramref name="script"/>.</summary>
    public static PythonGrpc Create(string script)
    {
        var protos = Directory.GetFiles(RepoPaths.Protos, "*.proto", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepoPaths.Protos, p).Replace('\\', '/'))
            .ToArray();
        ExternalTools.RequirePythonGrpc();
        var folder = new TempDirectory("fraudshield-pygrpc");
        var (code, stderr) = ExternalTools.RunCapture(
            ExternalTools.DebianProtoc,
            [$"--proto_path={RepoPaths.Protos}", $"--python_out={folder.Path}", .. protos]);
        Xunit.Assert.True(code == 0, $"protoc failed ({code}): {stderr}");
        var path = Path.Combine(folder.Path, "peer.py");
        File.WriteAllText(path, script);
        return new PythonGrpc(folder, path);
    }

    /// <summary>Runs the script as <c>python3 peer.py &lt;generated folder&gt; args...</c>.</summary>
    public TestProcess Start(params string[] arguments) =>
        TestProcess.Start(ExternalTools.DebianPython, [_script, _folder.Path, .. arguments]);

    /// <inheritdoc />
    public void Dispose() => _folder.Dispose();
}
