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
    private const int BackgroundType = 1;

    private readonly ConcurrentQueue<GcRecord> _records = new();
    private readonly DateTime _origin = DateTime.UtcNow;
    private readonly ConcurrentDictionary<long, (int Type, GcRecord Record)> _started = new();
    private long _lastStarted = -1;

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
        14 => "BGCTuningSOH",
        15 => "BGCTuningLOH",
        16 => "BGCStepping",
        17 => "InducedAggressive",
        _ => "reason " + reason.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The runtime's name of a GCStart type.</summary>
    public static string TypeName(int type) => type switch
    {
        0 => "blocking",
        BackgroundType => "background",
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
                Started(Field(eventData, "Count"), (int)Field(eventData, "Depth"), (int)Field(eventData, "Reason"), (int)Field(eventData, "Type"), eventData.TimeStamp.ToUniversalTime());
                break;
            case GcEndEventId:
                Ended(Field(eventData, "Count"));
                break;
        }
    }

    /// <summary>
    /// A collection started (the runtime's GCStart): a gen1 or gen2 one is kept until its end. Collection numbers only
    /// grow, so a start whose number is not above the last one's is the same collection's event seen again and is
    /// ignored: a 30-minute bench report once listed a Gen2 at 360 s with the warm-up Gen2's exact figures (which takes
    /// that collection's number) while the runtime's counters showed none in that minute.
    /// </summary>
    internal void Started(long count, int depth, int reason, int type, DateTime utc)
    {
        if (count <= Interlocked.Read(ref _lastStarted))
        {
            return;
        }

        Interlocked.Exchange(ref _lastStarted, count);
        if (depth < 1)
        {
            return;
        }

        _started[count] = (type, new GcRecord((utc - _origin).TotalSeconds, count, depth, ReasonName(reason), TypeName(type), Gen2BytesAfter: -1, LargeBytesAfter: -1, PromotedBytes: -1, PauseMs: -1));
    }

    /// <summary>
    /// A collection ended (the runtime's GCEnd). A background Gen2 runs beside gen0/gen1 collections, which start and
    /// end while it marks, so its end is matched by number. The runtime keeps the figures of the last collection of
    /// each kind; they are this one's when no other of its kind ended since (Gen2s are rare), and unknown (-1) otherwise.
    /// </summary>
    internal void Ended(long count)
    {
        if (!_started.TryRemove(count, out var started))
        {
            return;
        }

        var record = started.Record;
        if (record.Generation >= 2)
        {
            var info = GC.GetGCMemoryInfo(started.Type == BackgroundType ? GCKind.Background : GCKind.FullBlocking);
            if (info.Index == record.Index)
            {
                var pause = 0.0;
                foreach (var x in info.PauseDurations)
                {
                    pause += x.TotalMilliseconds;
                }

                record = record with
                {
                    Gen2BytesAfter = info.GenerationInfo[2].SizeAfterBytes,
                    LargeBytesAfter = info.GenerationInfo[3].SizeAfterBytes,
                    PromotedBytes = info.PromotedBytes,
                    PauseMs = pause,
                };
            }
        }

        _records.Enqueue(record);
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
