using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace FraudShield.Host.Bench;

/// <summary>
/// Records every gen1 and gen2 collection of the process with why the runtime started it (its GCStart event's reason)
/// and how (blocking, or background), and the generations' sizes after it (GCHeapStats), so a report can say what drew
/// a Gen2 instead of only counting it. Listens to the runtime's GC keyword at the informational level: a handful of
/// events per collection, none per allocation.
/// </summary>
internal sealed class GcEventLog : EventListener
{
    private const int GcStartEventId = 1;
    private const int GcHeapStatsEventId = 4;
    private const long GcKeyword = 0x1;

    private readonly ConcurrentQueue<GcRecord> _records = new();
    private readonly DateTime _origin = DateTime.UtcNow;
    private GcRecord? _pending;

    /// <summary>The gen1 and gen2 collections seen so far, oldest first.</summary>
    public IReadOnlyList<GcRecord> Records => [.. _records];

    /// <summary>Seconds since this log was created (the clock of <see cref="GcRecord.AtSeconds"/>).</summary>
    public double Now => (DateTime.UtcNow - _origin).TotalSeconds;

    /// <summary>The runtime's name of a GCStart reason (its <c>gc_reason</c>).</summary>
    public static string ReasonName(int reason) => reason switch
    {
        0 => "AllocSmall",
        1 => "Induced",
        2 => "LowMemory",
        3 => "Empty",
        4 => "AllocLarge",
        5 => "OutOfSpaceSOH",
        6 => "OutOfSpaceLOH",
        7 => "InducedNotForced",
        8 => "Internal",
        9 => "InducedLowMemory",
        10 => "InducedCompacting",
        11 => "LowMemoryHost",
        12 => "PMFullGC",
        13 => "LowMemoryHostBlocking",
        _ => "reason " + reason.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The runtime's name of a GCStart type.</summary>
    public static string TypeName(int type) => type switch
    {
        0 => "blocking",
        1 => "background",
        2 => "foreground",
        _ => "type " + type.ToString(CultureInfo.InvariantCulture),
    };

    /// <inheritdoc/>
    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)GcKeyword);
        }
    }

    /// <inheritdoc/>
    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        switch (eventData.EventId)
        {
            case GcStartEventId:
                var depth = Field(eventData, "Depth");
                _pending = depth >= 1
                    ? new GcRecord(
                        (eventData.TimeStamp.ToUniversalTime() - _origin).TotalSeconds,
                        (int)Field(eventData, "Count"),
                        (int)depth,
                        ReasonName((int)Field(eventData, "Reason")),
                        TypeName((int)Field(eventData, "Type")),
                        Gen2BytesAfter: -1,
                        LargeBytesAfter: -1,
                        PromotedBytes: -1)
                    : null;
                break;
            case GcHeapStatsEventId when _pending is { } pending:
                // The heap's figures after the collection the pending start began (one heap: workstation GC).
                _records.Enqueue(pending with
                {
                    Gen2BytesAfter = Field(eventData, "GenerationSize2"),
                    LargeBytesAfter = Field(eventData, "GenerationSize3"),
                    PromotedBytes = Field(eventData, "TotalPromotedSize1") + Field(eventData, "TotalPromotedSize2"),
                });
                _pending = null;
                break;
        }
    }

    private static long Field(EventWrittenEventArgs e, string name)
    {
        var index = e.PayloadNames!.IndexOf(name);
        return index < 0 ? -1 : Convert.ToInt64(e.Payload![index], CultureInfo.InvariantCulture);
    }
}

/// <summary>One gen1 or gen2 collection as <see cref="GcEventLog"/> saw it.</summary>
/// <param name="AtSeconds">When it started, in seconds since the log was created.</param>
/// <param name="Index">The runtime's collection number.</param>
/// <param name="Generation">1 or 2: the generation it condemned.</param>
/// <param name="Reason">Why it started (<see cref="GcEventLog.ReasonName"/>).</param>
/// <param name="Type">blocking, background or foreground.</param>
/// <param name="Gen2BytesAfter">Gen2's size after it.</param>
/// <param name="LargeBytesAfter">The large object heap's size after it.</param>
/// <param name="PromotedBytes">What it promoted out of gen1 and gen2's survivors (the runtime's promoted sizes 1 and 2).</param>
internal sealed record GcRecord(double AtSeconds, int Index, int Generation, string Reason, string Type, long Gen2BytesAfter, long LargeBytesAfter, long PromotedBytes);
