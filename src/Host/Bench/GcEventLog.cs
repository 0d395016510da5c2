using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace FraudShield.Host.Bench;

/// <summary>
/// Records every gen1 and gen2 collection of the process with why the runtime started it (its GCStart event's reason)
/// and how (blocking, or background), and for a Gen2 the heap's sizes after it and its pauses, so a report can say
/// what drew a Gen2 instead of only counting it. Listens to the runtime's GC keyword at the informational level: a
/// handful of events per collection, none per allocation.
/// </summary>
internal sealed class GcEventLog : EventListener
{
    private const int GcStartEventId = 1;
    private const int GcEndEventId = 2;
    private const long GcKeyword = 0x1;

    private readonly ConcurrentQueue<GcRecord> _records = new();
    private readonly DateTime _origin = DateTime.UtcNow;
    private readonly ConcurrentDictionary<long, GcRecord> _started = new();

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
            case GcStartEventId when Field(eventData, "Depth") is var depth and >= 1:
                var type = (int)Field(eventData, "Type");
                _started[Field(eventData, "Count")] = new GcRecord(
                    (eventData.TimeStamp.ToUniversalTime() - _origin).TotalSeconds,
                    Field(eventData, "Count"),
                    (int)depth,
                    ReasonName((int)Field(eventData, "Reason")),
                    TypeName(type),
                    Gen2BytesAfter: -1,
                    LargeBytesAfter: -1,
                    PromotedBytes: -1,
                    PauseMs: -1);
                break;
            case GcEndEventId when _started.Remove(Field(eventData, "Count"), out var record):
                // A background Gen2 runs beside gen0/gen1 collections, so its end is matched by number. The runtime
                // keeps the figures of the last collection of each kind; they are this one's when no other of its
                // kind ended since (Gen2s are rare), and unknown (-1) otherwise.
                if (record.Generation >= 2)
                {
                    var info = GC.GetGCMemoryInfo(record.Type == "background" ? GCKind.Background : GCKind.FullBlocking);
                    if (info.Index == record.Index)
                    {
                        record = record with
                        {
                            Gen2BytesAfter = info.GenerationInfo[2].SizeAfterBytes,
                            LargeBytesAfter = info.GenerationInfo[3].SizeAfterBytes,
                            PromotedBytes = info.PromotedBytes,
                            PauseMs = info.PauseDurations.ToArray().Sum(x => x.TotalMilliseconds),
                        };
                    }
                }

                _records.Enqueue(record);
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
/// <param name="Gen2BytesAfter">Gen2's size after a Gen2 (-1 for a gen1, or when unknown).</param>
/// <param name="LargeBytesAfter">The large object heap's size after a Gen2 (-1 likewise).</param>
/// <param name="PromotedBytes">What a Gen2 kept (-1 likewise).</param>
/// <param name="PauseMs">What a Gen2 paused the process, in all (-1 likewise).</param>
internal sealed record GcRecord(double AtSeconds, long Index, int Generation, string Reason, string Type, long Gen2BytesAfter, long LargeBytesAfter, long PromotedBytes, double PauseMs);
