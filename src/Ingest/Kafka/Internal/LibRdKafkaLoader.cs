using System.Reflection;
using System.Runtime.InteropServices;

namespace FraudShield.Ingest.Kafka.Internal;

/// <summary>
/// Binds every "librdkafka" P/Invoke of Confluent.Kafka and of this assembly to one librdkafka from the
/// librdkafka.redist package, before Confluent.Kafka loads anything.
/// </summary>
/// <remarks>
/// Why: on Debian 12 the redist's generic linux-x64 <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>, which Debian
/// does not ship (it has <c>libsasl2.so.2</c>). The runtime's default probing then silently falls back to the
/// system <c>librdkafka.so</c> (Debian's 2.0.2 from librdkafka-dev), which Confluent.Kafka 2.16 cannot use: its
/// first Consume calls <c>rd_kafka_topic_partition_get_leader_epoch</c>, missing in 2.0.2. The redist also ships
/// <c>centos8-librdkafka.so</c>, linked statically against everything but glibc, which loads here. This loader tries
/// the generic file, then the centos8 one, from the app's native search directories (the deps.json native assets),
/// and installs a DllImport resolver for both assemblies that returns that handle. Off Linux, or when neither file
/// loads (e.g. musl), nothing is changed and Confluent.Kafka's own loading applies.
/// </remarks>
internal static class LibRdKafkaLoader
{
    private static readonly Lazy<string?> s_loadedPath = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The full path of the librdkafka bound by the resolver, or null when default loading applies.</summary>
    public static string? LoadedPath => s_loadedPath.Value;

    /// <summary>Installs the resolver once and loads Confluent.Kafka's native library through it.</summary>
    public static void EnsureLoaded()
    {
        _ = s_loadedPath.Value;
        _ = Confluent.Kafka.Library.Version;
    }

    private static string? Load()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        foreach (string candidate in Candidates())
        {
            if (!NativeLibrary.TryLoad(candidate, out nint handle))
            {
                continue;
            }

            // The library must carry the API Confluent.Kafka 2.x binds to; anything older is skipped.
            if (!NativeLibrary.TryGetExport(handle, "rd_kafka_topic_partition_get_leader_epoch", out _))
            {
                continue;
            }

            nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
                name.EndsWith("librdkafka", StringComparison.Ordinal)
                || name.EndsWith("librdkafka.so", StringComparison.Ordinal) ? handle : 0;

            TrySetResolver(typeof(Confluent.Kafka.Library).Assembly, Resolve);
            TrySetResolver(typeof(LibRdKafkaLoader).Assembly, Resolve);
            return candidate;
        }

        return null;
    }

    private static IEnumerable<string> Candidates()
    {
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            _ => RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        };
        var directories = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
        {
            directories.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }

        directories.Add(Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{arch}", "native"));
        directories.Add(AppContext.BaseDirectory);
        foreach (string fileName in (string[])["librdkafka.so", "centos8-librdkafka.so"])
        {
            foreach (string directory in directories)
            {
                string path = Path.Combine(directory, fileName);
                if (File.Exists(path))
                {
                    yield return path;
                }
            }
        }
    }

    private static void TrySetResolver(Assembly assembly, DllImportResolver resolver)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, resolver);
        }
        catch (InvalidOperationException)
        {
            // A resolver is already installed for this assembly (by its owner or an earlier call): keep it.
        }
    }
}
