using System.Runtime.CompilerServices;

namespace FraudShield.Tests.Shared;

/// <summary>Every await in a test has a timeout (as grpc-dotnet's test/Shared/TaskExtensions.cs).</summary>
public static class TimeoutExtensions
{
    /// <summary>The default bound for a test await: generous for a loaded 2-core CI box, short enough to fail fast.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Awaits the task or throws <see cref="TimeoutException"/> naming the call site.</summary>
    public static async Task WithTimeout(this Task task, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            await task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Timed out after {timeout ?? DefaultTimeout} at {Path.GetFileName(file)}:{line}.", ex);
        }
    }

    /// <summary>Awaits the task or throws <see cref="TimeoutException"/> naming the call site.</summary>
    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            return await task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Timed out after {timeout ?? DefaultTimeout} at {Path.GetFileName(file)}:{line}.", ex);
        }
    }

    /// <summary>Awaits the value task or throws <see cref="TimeoutException"/> naming the call site.</summary>
    public static Task<T> WithTimeout<T>(this ValueTask<T> task, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().WithTimeout(timeout, file, line);

    /// <summary>Awaits the value task or throws <see cref="TimeoutException"/> naming the call site.</summary>
    public static Task WithTimeout(this ValueTask task, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().WithTimeout(timeout, file, line);
}
