using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary>Producer/consumer helpers for the Kafka integration tests; every wait has a deadline.</summary>
internal static class KafkaTestClients
{
    public static IProducer<string, string> Producer(KafkaOptions options) =>
        new ProducerBuilder<string, string>(options.CreateProducerConfig()).Build();

    public static void ProduceAndFlush(KafkaOptions options, string topic, IEnumerable<KeyValuePair<string, string?>> records, TimeSpan timeout)
    {
        using IProducer<string, string> producer = Producer(options);
        int failed = 0;
        foreach ((string key, string? value) in records)
        {
            producer.Produce(topic, new Message<string, string> { Key = key, Value = value! }, r =>
            {
                if (r.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }
            });
        }

        Assert.Equal(0, producer.Flush(timeout));
        Assert.Equal(0, failed);
    }

    /// <summary>Consumes until <paramref name="until"/> says stop or the deadline passes; stores offsets after each record.</summary>
    public static void ConsumeUntil(IConsumer<string, string> consumer, Func<ConsumeResult<string, string>, bool> until, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            ConsumeResult<string, string>? result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            if (consumer.Subscription.Count > 0)
            {
                consumer.StoreOffset(result);
            }

            if (until(result))
            {
                return;
            }
        }

        Assert.Fail($"Consume did not finish within {timeout}: {describe?.Invoke()}");
    }

    /// <summary>Waits for <paramref name="condition"/>, checking every few milliseconds, failing after <paramref name="timeout"/>.</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"Timed out after {timeout} waiting for {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>Runs the real kcat; fails with a setup hint when it is not installed.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunKcatAsync(string arguments, string? stdin, TimeSpan timeout)
    {
        string? kcat = Environment.GetEnvironmentVariable("PATH")?
            .Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "kcat"))
            .FirstOrDefault(File.Exists);
        Assert.True(kcat is not null, "kcat is not installed: run the setup script (infra/setup.sh, it installs Debian's kcat package).");

        var start = new ProcessStartInfo(kcat!, arguments)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout.WaitAsync(timeout), await stderr.WaitAsync(timeout));
    }

    public static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
