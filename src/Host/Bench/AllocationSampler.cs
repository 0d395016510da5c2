using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace FraudShield.Host.Bench;

/// <summary>
/// Samples what the process allocates, by type and allocating thread, from the runtime's GCAllocationTick events
/// (one event per ~100 KB allocated), so a report can say where the bytes per event go. Enabled with
/// <c>bench --alloc-sample</c>; it costs a little CPU, so it is off for the figures that count.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const int AllocationTickEventId = 10;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, string> _threads = new();

    /// <summary>Forgets what was sampled so far (called when the measured window starts).</summary>
    public void Reset() => _bytes.Clear();

    /// <summary>The top <paramref name="count"/> types by sampled bytes: "type (thread): share".</summary>
    public IReadOnlyList<(string Type, double Share)> Top(int count)
    {
        var total = (double)Math.Max(1, _bytes.Values.Sum());
        return _bytes.OrderByDescending(kv => kv.Value).Take(count).Select(kv => (kv.Key, kv.Value / total)).ToList();
    }

    private string ThreadName(long osThreadId) => _threads.GetOrAdd(osThreadId, id =>
    {
        try
        {
            return File.ReadAllText($"/proc/self/task/{id}/comm").Trim();
        }
        catch (IOException)
        {
            return "thread " + id;
        }
    });

    /// <inheritdoc/>
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    /// <inheritdoc/>
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != AllocationTickEventId || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        var typeIndex = eventData.PayloadNames.IndexOf("TypeName");
        var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || amountIndex < 0)
        {
            return;
        }

        var key = $"{eventData.Payload[typeIndex]} ({ThreadName(eventData.OSThreadId)})";
        _bytes.AddOrUpdate(key, Convert.ToInt64(eventData.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture), (_, v) => v + Convert.ToInt64(eventData.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture));
    }
}
