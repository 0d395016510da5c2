using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FraudShield.Ingest.Kafka;

namespace FraudShield.Host.Bench;

/// <summary>Writes a bench result as one JSON object, a dated Markdown report with the targets, and an SVG chart.</summary>
internal static class BenchReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The figures as one JSON object (one line).</summary>
    public static string Json(BenchResult r, IReadOnlyList<Budget> missed)
    {
        var m = r.Measured;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("name", r.Settings.Name);
            w.WriteString("mode", r.Settings.FindMax ? "find-max" : r.Settings.RampTo is null ? "fixed" : "ramp");
            w.WriteBoolean("trim_consumed", r.Settings.TrimConsumed);
            w.WriteNumber("log_trims", r.LogTrims);
            w.WriteNumber("rate", Math.Round(m?.OfferedRate ?? 0, 1));
            w.WriteNumber("throughput", Math.Round(m?.Throughput ?? 0, 1));
            w.WriteNumber("events", m?.Events ?? 0);
            w.WriteNumber("seconds", Math.Round(m?.Seconds ?? 0, 3));
            w.WriteNumber("alerts", m?.Alerts ?? 0);
            w.WriteNumber("p50_ms", Math.Round(m?.P50Ms ?? 0, 3));
            w.WriteNumber("p99_ms", Math.Round(m?.P99Ms ?? 0, 3));
            w.WriteNumber("p999_ms", Math.Round(m?.P999Ms ?? 0, 3));
            w.WriteNumber("max_ms", Math.Round(m?.MaxMs ?? 0, 3));
            w.WriteNumber("cpu_s", Math.Round(m?.CpuSeconds ?? 0, 3));
            if (m?.EngineCpuSeconds is { } engineCpu)
            {
                w.WriteNumber("engine_cpu_s", Math.Round(engineCpu, 3));
            }
            else
            {
                w.WriteNull("engine_cpu_s");
            }

            if (m?.GeneratorCpuSeconds is { } generatorCpu)
            {
                w.WriteNumber("load_process_cpu_s", Math.Round(generatorCpu, 3));
            }
            else
            {
                w.WriteNull("load_process_cpu_s");
            }

            if (m?.BrokerCpuSeconds is { } brokerCpu)
            {
                w.WriteNumber("broker_thread_cpu_s", Math.Round(brokerCpu, 3));
            }
            else
            {
                w.WriteNull("broker_thread_cpu_s");
            }

            w.WriteNumber("gc_gen0", m?.Gen0 ?? 0);
            w.WriteNumber("gc_gen1", m?.Gen1 ?? 0);
            w.WriteNumber("gc_gen2", m?.Gen2 ?? 0);
            w.WriteStartArray("gen2_collections");
            foreach (var x in r.Collections.Where(x => x.Generation >= 2))
            {
                w.WriteStartObject();
                w.WriteNumber("at_s", Math.Round(x.AtSeconds, 1));
                w.WriteString("reason", x.Reason);
                w.WriteString("type", x.Type);
                if (x.Gen2BytesAfter >= 0)
                {
                    w.WriteNumber("gen2_after_bytes", x.Gen2BytesAfter);
                }
                else
                {
                    w.WriteNull("gen2_after_bytes"); // another collection of its kind ended before its figures were read
                }
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (r.Settle is { } settle)
            {
                w.WriteStartObject("heap_settle");
                w.WriteNumber("at_s", Math.Round(settle.AtSeconds, 1));
                w.WriteNumber("pause_ms", Math.Round(settle.PauseMs, 3));
                w.WriteNumber("gen2_after_bytes", settle.Gen2BytesAfter);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("heap_settle");
            }

            w.WriteNumber("gc_pause_ms", Math.Round(m?.GcPauseMs ?? 0, 3));
            w.WriteNumber("alloc_bytes_per_event", Math.Round(m?.AllocatedBytesPerEvent ?? 0, 1));
            w.WriteNumber("alloc_bytes_per_event_excl_generator", Math.Round(m?.AllocatedBytesPerEventExcludingGenerator ?? 0, 1));
            w.WriteNumber("alloc_bytes_per_event_engine_thread", Math.Round(m?.EngineThreadBytesPerEvent ?? 0, 1));
            w.WriteStartObject("alerts_by_rules");
            foreach (var (rules, count) in r.AlertsByRules)
            {
                w.WriteNumber(rules, count);
            }

            w.WriteEndObject();
            w.WriteNumber("lag_max", m?.LagMax ?? 0);
            w.WriteNumber("lag_end", m?.LagAtEnd ?? 0);
            if (r.Baseline is { } b)
            {
                w.WriteNumber("bare_consume_ratio", Math.Round(b.Ratio, 3));
                w.WriteNumber("bare_consume_rate", Math.Round(b.BareRate, 1));
                w.WriteNumber("fraudshield_consume_rate", Math.Round(b.FraudShieldRate, 1));
                w.WriteNumber("baseline_messages", b.Messages);
                w.WriteStartArray("baseline_round_ratios");
                foreach (var round in b.Rounds)
                {
                    w.WriteNumberValue(Math.Round(round.Ratio, 3));
                }

                w.WriteEndArray();
            }
            else
            {
                w.WriteNull("bare_consume_ratio");
            }

            if (r.MaxSustainableRate is { } max)
            {
                w.WriteNumber("max_rate", max);
            }

            w.WriteNumber("dead_lettered", r.DeadLettered);
            w.WriteNumber("alerts_signed", r.AlertsSigned);
            w.WriteNumber("sign_failures", r.SignFailures);
            w.WriteNumber("offset_resets", m?.OffsetResets ?? 0);
            w.WriteBoolean("budget_met", missed.Count == 0);
            w.WriteStartArray("budgets_missed");
            foreach (var budget in missed)
            {
                w.WriteStringValue(budget.Metric);
            }

            w.WriteEndArray();
            w.WriteStartArray("steps");
            foreach (var s in r.Steps)
            {
                w.WriteStartObject();
                w.WriteNumber("rate", s.OfferedRate);
                w.WriteNumber("seconds", Math.Round(s.Seconds, 3));
                w.WriteNumber("events", s.Events);
                w.WriteNumber("throughput", Math.Round(s.Throughput, 1));
                w.WriteNumber("alerts", s.Alerts);
                w.WriteNumber("p50_ms", Math.Round(s.P50Ms, 3));
                w.WriteNumber("p99_ms", Math.Round(s.P99Ms, 3));
                w.WriteNumber("p999_ms", Math.Round(s.P999Ms, 3));
                w.WriteNumber("max_ms", Math.Round(s.MaxMs, 3));
                w.WriteNumber("lag_end", s.LagAtEnd);
                w.WriteBoolean("sustained", s.Sustained);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes &lt;dir&gt;/&lt;date&gt;-&lt;name&gt;.md and .svg; returns the Markdown path.</summary>
    public static string Write(BenchResult r, IReadOnlyList<Budget> missed, string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = $"{r.Started:yyyy-MM-dd}-{r.Settings.Name}";
        var svgName = stem + ".svg";
        File.WriteAllText(Path.Combine(directory, svgName), Svg(r));
        var path = Path.Combine(directory, stem + ".md");
        File.WriteAllText(path, Markdown(r, missed, svgName));
        return path;
    }

    private static string Markdown(BenchResult r, IReadOnlyList<Budget> missed, string svgName)
    {
        var s = r.Settings;
        var m = r.Measured;
        var b = new StringBuilder();
        b.Append(Inv, $"# Load bench `{s.Name}`, {r.Started:yyyy-MM-dd HH:mm} UTC\n\n");
        b.Append("## Settings\n");
        b.Append(Inv, $"- Command: `fraudshield bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(2))}`\n");
        b.Append(Inv, $"- Mode: {(s.FindMax ? $"find-max: {s.FindMaxStart:F0}/s x{s.FindMaxFactor} per step of {s.StepSeconds:F0} s until a step is not sustained (judged < 95 % of offered, lag above 1 s of load, or lag growing past 0.2 s of load) or a budget breaks" : s.RampTo is { } to ? $"ramp {s.Rate:F0} -> {to:F0}/s over {s.Duration:F0} s in {s.RampSteps} steps after a {s.Warmup:F0} s warm-up" : $"fixed {s.Rate:F0} events/s for {s.Duration:F0} s after a {s.Warmup:F0} s warm-up (not measured)")}\n");
        b.Append(Inv, $"- Kafka: {(s.Bootstrap is null ? "embedded mock cluster (librdkafka 3 brokers, in process)" : "`" + s.Bootstrap + "`")}, {s.Partitions} partitions per topic; city of {s.Residents:N0} residents, seed {s.Seed}; {s.Subscribers} gRPC subscriber(s) (`AlertStreamClient`, all stations){(s.SignAlerts ? ", the first signing for every alert it receives (the `Ack` RPC, as a console does)" : ", none signing (`--no-sign`: every alert escalates at its ack deadline)")}; engine checkpoint every {s.CheckpointInterval.TotalSeconds:0.#} s{(s.Counterparty ? string.Create(Inv, $", the counterparty stage's every {s.CounterpartyCheckpointInterval.TotalSeconds:0.#} s") : string.Empty)}\n");
        b.Append(s.LoadInProcess
            ? "- Load: open loop, one generator thread in the bench process (`--load-in-process`), paced by the clock (Thread.Sleep ~1 ms, never Task.Delay); "
            : "- Load: open loop, one generator thread in a process of its own (`fraudshield bench-load`, started by the bench; its garbage is not in this process's GC figures and its CPU is shown apart), paced by the clock (Thread.Sleep ~1 ms, never Task.Delay); ");
        b.Append("every message's Kafka timestamp is its *scheduled* send time, the alert carries it as `source_event_ms`, so latency = console receipt - scheduled time (coordinated omission corrected). ");
        b.Append("Measured events are the injected seed scenarios (call, then the transfer 20 ms later), one per ~N benign events (N = max rate / 5, at most 1,000); every alert received is recorded. Each benign event is generated at its scheduled time (a fresh id and event time)");
        b.Append(s.LoadInProcess ? "; what the generator's thread allocates is kept apart in the allocation figures.\n" : ".\n");
        b.Append(Inv, $"- Histogram: log-linear (`src/Host/Bench/LatencyHistogram.cs`), relative precision {LatencyHistogram.RelativePrecision:P2} (exact below 256 us); max is exact.\n");
        if (s.TrimConsumed)
        {
            b.Append(Inv, $"- Mock cluster retention: `--trim-consumed`: every 200 ms the bench deletes what every consumer group reading a partition has committed (`rd_kafka_mock_partition_delete_records`; {r.LogTrims:N0} partition trims in this run), so a fetch's walk over the partition's retained batches (the mock has no offset index) covers about the last half second, as a real broker's indexed lookup costs little; no baseline.\n");
        }
        else
        {
            b.Append("- Mock cluster retention: it keeps only a bounded tail per partition (~48 k messages of 200 B, 5 MiB), and each fetch walks it from the oldest batch (no offset index); runs spread load over 12 partitions and the bare-consume baseline counts the messages actually retained (low..high watermark) and both consumers read exactly those.\n");
        }

        b.Append(r.Settle is { } settle
            ? string.Create(Inv, $"- Heap settled {settle.AtSeconds:F1} s into the warm-up (`HeapSettle`): two induced blocking full collections, {settle.PauseMs:F1} ms of pauses, gen2 {settle.Gen2BytesAfter / 1048576.0:F1} MiB after, so the measured window starts from the steady state instead of promoting the warm-up's survivors (`--no-settle` skips it).\n\n")
            : s.SettleHeap && s.HasWarmupStep ? "- Heap not settled: the run ended before the warm-up did.\n\n" : "- Heap not settled (`--no-settle`, find-max, or no warm-up): the measured window promotes what the warm-up left.\n\n");
        b.Append("## Machine\n");
        b.Append(Machine(r.LoadAtStart)).Append('\n');

        if (r.LostInputStep > 0)
        {
            b.Append(Inv, $"**The run stopped at step {r.LostInputStep} of {r.Steps.Count}: a consumer fell behind the cluster's retention and skipped records ({r.LostInputResets} offset resets), so no later step would measure the node whole.** On the embedded cluster such a consumer does not catch up; run again on a quieter box or at a lower rate.\n\n");
        }

        b.Append("## Targets\n\n| target | measured | verdict |\n|---|---|---|\n");
        if (r.Baseline is { } bl)
        {
            b.Append(Inv, $"| end to end through Kafka >= 0.8x a bare Confluent.Kafka consume loop, same topics, same run | FraudShield {bl.FraudShieldRate:N0} msg/s vs bare {bl.BareRate:N0} msg/s over the same {bl.Messages:N0} retained messages, the median of {bl.Rounds.Count} alternating rounds = **{bl.Ratio:F2}x** (rounds: {string.Join(", ", bl.Rounds.Select(x => x.Ratio.ToString("F2", Inv)))}) | {(bl.Ratio >= 0.8 ? "**MET**" : "**MISSED**")} |\n");
        }
        else
        {
            b.Append(Inv, $"| end to end through Kafka >= 0.8x bare consume | {r.BaselineNote} | not measured |\n");
        }

        if (m is not null)
        {
            var atHalf = s.FindMax ? " (this is the find-max step, not half of the max)" : string.Empty;
            b.Append(Inv, $"| p50 <= 5 ms at half the max sustainable rate | {m.P50Ms:F2} ms at {m.OfferedRate:F0}/s{atHalf} | {Verdict(m.P50Ms <= 5, m)} |\n");
            b.Append(Inv, $"| p99 <= 20 ms | {m.P99Ms:F2} ms | {Verdict(m.P99Ms <= 20, m)} |\n");
            b.Append(Inv, $"| p99.9 <= 50 ms | {m.P999Ms:F2} ms (n = {m.Alerts} alerts) | {Verdict(m.P999Ms <= 50, m)} |\n");
            b.Append(Inv, $"| allocation <= 16 B/event (GC.GetTotalAllocatedBytes / events) | {m.AllocatedBytesPerEvent:F1} B/event for the whole process; {m.AllocatedBytesPerEventExcludingGenerator:F1} B/event without the load generator{(s.LoadInProcess ? "'s own thread" : " (its own process)")}{(s.TrimConsumed ? " and the trimmer's thread" : string.Empty)}; {m.EngineThreadBytesPerEvent:F1} B/event on the engine's consume thread | {(m.AllocatedBytesPerEventExcludingGenerator <= 16 ? "**MET**" : "**MISSED**")} |\n");
            b.Append(Inv, $"| no Gen2 in steady state | {m.Gen2} Gen2 (gen0 {m.Gen0}, gen1 {m.Gen1}) during the measured {m.Seconds:F1} s | {(m.Gen2 == 0 ? "**MET**" : "**MISSED**")} |\n");
        }

        foreach (var budget in s.Budgets)
        {
            var ok = m is not null && !missed.Contains(budget);
            b.Append(Inv, $"| budget {budget.Metric} <= {budget.LimitMs:0.###} ms | {(m is null ? "-" : budget.Describe(m))} | {(ok ? "**MET**" : "**MISSED**")} |\n");
        }

        b.Append('\n');
        if (r.MaxSustainableRate is { } max)
        {
            b.Append(Inv, $"**Max sustainable rate: {max:F0} events/s** (highest step that was sustained{(s.Budgets.Count > 0 ? " and which met every budget" : string.Empty)}); half of it: {max / 2:F0} events/s.\n\n");
        }

        if (m is not null)
        {
            b.Append("## Figures (measured window)\n\n| figure | value |\n|---|---|\n");
            b.Append(Inv, $"| offered rate | {m.OfferedRate:F0} events/s |\n| throughput (judged by the engine) | {m.Throughput:F0} events/s ({m.Events:N0} events in {m.Seconds:F1} s) |\n");
            b.Append(Inv, $"| alerts measured | {m.Alerts} |\n| latency event -> console p50 / p99 / p99.9 / max | {m.P50Ms:F2} / {m.P99Ms:F2} / {m.P999Ms:F2} / {m.MaxMs:F2} ms |\n");
            b.Append(Inv, $"| of which scheduled -> engine emitted (Kafka in, timestamp merge, rules) p50 / p99 | {m.EngineSegmentMs.P50:F2} / {m.EngineSegmentMs.P99:F2} ms (engine clock in whole ms) |\n");
            b.Append(Inv, $"| of that, time a record waits in the engine's timestamp merge (poll -> judged), mean over every record | {m.MergeHoldMs:F2} ms |\n");
            b.Append(Inv, $"| of which engine emitted -> console (fs.alerts, dispatch, gRPC) p50 / p99 | {m.DispatchSegmentMs.P50:F2} / {m.DispatchSegmentMs.P99:F2} ms |\n");
            b.Append(Inv, $"| of that, dispatch published -> console (the subscriber's buffer and writer loop with its case-store record, the gRPC stream, the client) p50 / p99 | {m.StreamSegmentMs.P50:F2} / {m.StreamSegmentMs.P99:F2} ms (0-1 ms high: the stamp is in whole ms) |\n");
            b.Append(Inv, $"| process CPU | {m.CpuSeconds:F2} s ({m.CpuSeconds / Math.Max(m.Seconds, 1e-9):P0} of one core; includes the embedded brokers{(s.LoadInProcess ? ", the load generator" : string.Empty)} and the subscriber) |\n");
            if (m.GeneratorCpuSeconds is { } generatorCpu)
            {
                b.Append(Inv, $"| load generator process CPU | {generatorCpu:F2} s ({generatorCpu / Math.Max(m.Seconds, 1e-9):P0} of one core) |\n");
            }

            b.Append(Inv, $"| engine thread CPU | {(m.EngineCpuSeconds is { } e ? string.Create(Inv, $"{e:F2} s ({e * 1e6 / Math.Max(m.Events, 1):F1} us/event)") : "n/a")} |\n");
            if (m.BrokerCpuSeconds is { } brokerCpu && m.BrokerCoreShare is { } brokerShare)
            {
                b.Append(Inv, $"| embedded cluster thread CPU (librdkafka's `rdk:mock`: every produce and fetch of every client, all brokers) | {brokerCpu:F2} s ({brokerShare:P0} of one core){(brokerShare >= 0.7 ? "; most of a core: every client's requests queue at this one thread, which bounds the run's latency (bench/results/2026-12-06-mock-broker.md)" : string.Empty)} |\n");
            }

            b.Append(Inv, $"| GC | gen0 {m.Gen0}, gen1 {m.Gen1}, gen2 {m.Gen2}; pauses {m.GcPauseMs:F1} ms in total |\n");
            b.Append(Inv, $"| allocation | {m.AllocatedBytesPerEvent:F1} B/event (process), {m.AllocatedBytesPerEventExcludingGenerator:F1} B/event (without the generator{(s.LoadInProcess ? " thread" : ", which runs in its own process")}), {m.EngineThreadBytesPerEvent:F1} B/event (engine thread) |\n");
            b.Append(Inv, $"| consumer lag (produced - judged) | start {m.LagAtStart}, end {m.LagAtEnd}, max {m.LagMax} |\n");
            b.Append(Inv, $"| producer queue-full waits | {m.QueueFullWaits} |\n| dead-lettered | {r.DeadLettered} |\n");
            if (s.SignAlerts)
            {
                b.Append(Inv, $"| alerts signed for by the console (the whole run) | {r.AlertsSigned}{(r.SignFailures > 0 ? string.Create(Inv, $"; {r.SignFailures} refused or failed") : string.Empty)} |\n");
            }

            b.Append(Inv, $"| consumer offset resets (records skipped: a consumer fell behind the cluster's retention) | {m.OffsetResets}{(m.OffsetResets > 0 ? "; **the run lost input and is not sustained**" : string.Empty)} |\n");
            if (r.Baseline is { } bb)
            {
                b.Append(Inv, $"| bare-consume baseline | {bb.Messages:N0} messages, {bb.Rounds.Count} rounds each of FraudShield (fresh engine, new group, from the beginning) then a bare Confluent.Kafka loop (each timed from its partition assignment to its last record): {string.Join("; ", bb.Rounds.Select(x => string.Create(Inv, $"{x.FraudShieldSeconds:F2} s / {x.BareSeconds:F2} s")))} |\n");
            }

            b.Append('\n');
        }

        if (m is { CpuByThread.Count: > 0 })
        {
            AppendCpuByThread(b, m);
        }

        if (r.Collections.Count > 0)
        {
            var warmup = s.HasWarmupStep ? string.Create(Inv, $" (the warm-up's first {r.Steps[0].Seconds:F0} s included)") : string.Empty;
            b.Append(Inv, $"## Gen1 and Gen2 collections\n\nWhy the runtime started each (its GCStart reason) while the load ran{warmup}; a Gen2's sizes are after it (\"-\": another of its kind ended first).\n\n");
            foreach (var group in r.Collections.Where(x => x.Generation == 1).GroupBy(x => (x.Reason, x.Type)).OrderByDescending(g => g.Count()))
            {
                b.Append(Inv, $"- gen1: {group.Count()} x {group.Key.Reason}, {group.Key.Type}\n");
            }

            var gen2 = r.Collections.Where(x => x.Generation >= 2).ToList();
            if (gen2.Count > 0)
            {
                b.Append("\n| Gen2 at s of load | reason | type | pauses ms | gen2 after MiB | large object heap after MiB | kept MiB |\n|---:|---|---|---:|---:|---:|---:|\n");
                foreach (var x in gen2)
                {
                    b.Append(Inv, $"| {x.AtSeconds:F1} | {x.Reason} | {x.Type} | {Known(x.PauseMs)} | {Known(x.Gen2BytesAfter / 1048576.0)} | {Known(x.LargeBytesAfter / 1048576.0)} | {Known(x.PromotedBytes / 1048576.0)} |\n");
                }
            }

            b.Append('\n');
        }

        if (r.SlowestAlerts.Count > 0)
        {
            AppendSlowestAlerts(b, r);
        }

        if (r.AlertsByRules.Count > 0)
        {
            b.Append("## Alerts by rules\n\nAlert versions received in the run (warm-up included, once per subscriber) by the rules they carry: the seed scenario's, and anything the benign traffic raised.\n\n| rules | versions |\n|---|---:|\n");
            foreach (var (rules, count) in r.AlertsByRules.Take(20))
            {
                b.Append(Inv, $"| {(rules.Length == 0 ? "(none)" : rules)} | {count} |\n");
            }

            b.Append('\n');
        }

        b.Append("## Steps\n\n| offered /s | throughput /s | alerts | p50 ms | p99 ms | p99.9 ms | max ms | lag start -> end (max) | cpu s | broker thread % of a core | gen0/1/2 | GC pauses ms | B/event (excl. generator) | B/event (engine thread) | working set MiB | GC heap MiB | of which pinned (FASTER log pages) MiB |\n|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var x in r.Steps)
        {
            b.Append(Inv, $"| {x.OfferedRate:F0} | {x.Throughput:F0} | {x.Alerts} | {x.P50Ms:F2} | {x.P99Ms:F2} | {x.P999Ms:F2} | {x.MaxMs:F2} | {x.LagAtStart} -> {x.LagAtEnd} ({x.LagMax}){(x.Sustained ? string.Empty : " **not sustained**")} | {x.CpuSeconds:F2} | {(x.BrokerCoreShare is { } bc ? string.Create(Inv, $"{bc * 100:F0}") : "-")} | {x.Gen0}/{x.Gen1}/{x.Gen2} | {x.GcPauseMs:F1} | {x.AllocatedBytesPerEventExcludingGenerator:F1} | {x.EngineThreadBytesPerEvent:F1} | {x.WorkingSetMiB:F0} | {x.GcHeapMiB:F0} | {x.PinnedHeapMiB:F0} |\n");
        }

        if (s.HasWarmupStep)
        {
            b.Append("\nThe first row is the warm-up (not in the figures above).\n");
        }

        b.Append(Inv, $"\n![latency percentiles against offered rate]({svgName})\n");
        return b.ToString();
    }

    // The slowest alerts with what happened meanwhile, and a line per stage on its checkpoints: what a tail is read against.
    private static void AppendSlowestAlerts(StringBuilder b, BenchResult r)
    {
        b.Append("## The slowest alerts\n\nThe measured window's slowest alert versions at the first subscriber, where their time went (the engine's clock is in whole ms), the gen1 and Gen2 collections that started between their event's scheduled time and their receipt, and the node's checkpoints being written meanwhile (began at s of load, written in s).\n\n");
        b.Append("| scheduled at s of load | end to end ms | to engine emitted | emitted -> dispatch published (fs.alerts, hand-off, case opened) | published -> console | gen1/gen2 started meanwhile | checkpoints meanwhile | rules |\n|---:|---:|---:|---:|---:|---|---|---|\n");
        foreach (var x in r.SlowestAlerts)
        {
            var meanwhile = r.Collections
                .Where(c => c.AtSeconds >= x.ScheduledAtSeconds && c.AtSeconds <= x.ScheduledAtSeconds + (x.TotalMs / 1000))
                .Select(c => string.Create(Inv, $"gen{c.Generation} at {c.AtSeconds:F1} s"))
                .DefaultIfEmpty("-");
            var writing = r.Checkpoints
                .Where(c => c.AtSeconds <= x.ScheduledAtSeconds + (x.TotalMs / 1000) && c.EndSeconds >= x.ScheduledAtSeconds)
                .Select(c => string.Create(Inv, $"{c.Stage} ({c.AtSeconds:F1}, {c.TotalMs / 1000:F1})"))
                .DefaultIfEmpty("-");
            b.Append(Inv, $"| {x.ScheduledAtSeconds:F1} | {x.TotalMs:F1} | {x.ToEngineMs:F0} | {Known(x.EmittedToPublishedMs)} | {Known(x.PublishedToConsoleMs)} | {string.Join(", ", meanwhile)} | {string.Join(", ", writing)} | {x.Rules} |\n");
        }

        b.Append('\n');
        foreach (var stage in r.Checkpoints.Where(c => c.AtSeconds >= 0).GroupBy(c => c.Stage))
        {
            var written = stage.Select(c => c.TotalMs / 1000).ToList();
            var writingShare = written.Sum() / Math.Max(1e-9, r.Steps.Sum(x => x.Seconds));
            b.Append(Inv, $"- {stage.Key} checkpoints while the load ran: {written.Count}, written in {written.Average():F1} s on average (at most {written.Max():F1} s): one was being written {writingShare * 100:F0} % of the time; the stage paused {stage.Average(c => c.PauseMs):F1} ms on average to begin one (at most {stage.Max(c => c.PauseMs):F1} ms).\n");
        }

        b.Append('\n');
    }

    // This process's CPU by thread name: what each part of the path costs (the profile a missed latency target is read against).
    private static void AppendCpuByThread(StringBuilder b, StepResult m)
    {
        const int Shown = 16;
        var seconds = Math.Max(m.Seconds, 1e-9);
        var process = Math.Max(m.CpuSeconds, 1e-9);
        void Row(string name, string threads, double cpu) =>
            b.Append(Inv, $"| {name} | {threads} | {cpu:F2} | {cpu / seconds:P1} | {cpu / process:P1} |\n");

        b.Append("## CPU by thread (measured window)\n\nThis process's threads by name as the OS shows it (digits as #), alive at a step's end; a thread that ended within a step is not counted.\n\n| thread | threads | CPU s | % of one core | share of the process |\n|---|---:|---:|---:|---:|\n");
        foreach (var g in m.CpuByThread.Take(Shown))
        {
            Row($"`{g.Group}`", g.Threads.ToString(Inv), g.Seconds);
        }

        var rest = m.CpuByThread.Skip(Shown).ToList();
        if (rest.Count > 0)
        {
            Row(string.Create(Inv, $"{rest.Count} other names"), rest.Sum(g => g.Threads).ToString(Inv), rest.Sum(g => g.Seconds));
        }

        Row("threads that ended", string.Empty, Math.Max(0, m.CpuSeconds - m.CpuByThread.Sum(g => g.Seconds)));
        b.Append('\n');
    }

    /// <summary>A figure to one decimal, or "-" for an unknown one (negative).</summary>
    private static string Known(double value) => value < 0 ? "-" : value.ToString("F1", Inv);

    private static string Verdict(bool ok, StepResult m) => m.Alerts == 0 ? "**not measured** (no alert)" : ok ? "**MET**" : "**MISSED**";

    /// <summary>Model, cores and memory from lscpu and /proc/meminfo.</summary>
    private static string Machine(LoadAverage? atStart)
    {
        var b = new StringBuilder();
        try
        {
            using var lscpu = ChildProcess.Start(new ProcessStartInfo("lscpu") { RedirectStandardOutput = true, UseShellExecute = false });
            var text = lscpu.StandardOutput.ReadToEnd();
            lscpu.WaitForExit(5000);
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("Model name:", StringComparison.Ordinal) || line.StartsWith("CPU(s):", StringComparison.Ordinal)
                    || line.StartsWith("Thread(s) per core:", StringComparison.Ordinal) || line.StartsWith("Hypervisor vendor:", StringComparison.Ordinal))
                {
                    b.Append("- `lscpu` ").Append(string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
                }
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            b.Append("- lscpu not available\n");
        }

        try
        {
            var mem = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (mem is not null && long.TryParse(mem.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.Integer, Inv, out var kb))
            {
                b.Append(Inv, $"- Memory: {kb / 1024.0 / 1024.0:F1} GiB\n");
            }

            b.Append(Inv, $"- Load average at the start: {atStart?.ToString() ?? "-"}; at the end: {LoadAverage.Read()?.ToString() ?? "-"} (1, 5 and 15 minutes; the cores are shared)\n");
        }
        catch (IOException)
        {
            // Not Linux.
        }

        var gen0 = Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is { Length: > 0 } g ? $", gen0 budget DOTNET_GCgen0size={g}" : ", default gen0 budget";
        b.Append(Inv, $"- {Environment.OSVersion}, .NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC{gen0}, {Environment.ProcessorCount} processors visible\n");
        return b.ToString();
    }

    /// <summary>Latency percentiles (ms, log scale) against offered rate, one polyline per percentile.</summary>
    internal static string Svg(BenchResult r)
    {
        const double W = 720, H = 420, L = 70, R = 150, T = 40, B = 50;
        var steps = r.Steps.Where(x => x.Alerts > 0).OrderBy(x => x.OfferedRate).ToList();
        var series = new (string Name, string Color, Func<StepResult, double> Value)[]
        {
            ("p50", "#1f77b4", x => x.P50Ms), ("p99", "#ff7f0e", x => x.P99Ms), ("p99.9", "#d62728", x => x.P999Ms), ("max", "#7f7f7f", x => x.MaxMs),
        };
        var b = new StringBuilder();
        b.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        b.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.Append(Inv, $"<text x=\"{L}\" y=\"22\" font-size=\"14\">fraudshield bench {Escape(r.Settings.Name)}: event -&gt; console latency vs offered rate</text>\n");
        if (steps.Count == 0)
        {
            b.Append(Inv, $"<text x=\"{L}\" y=\"{H / 2}\">no alerts measured</text>\n</svg>\n");
            return b.ToString();
        }

        var xMin = steps.Min(x => x.OfferedRate);
        var xMax = steps.Max(x => x.OfferedRate);
        if (xMax - xMin < 1)
        {
            xMin = Math.Max(0, xMin * 0.5);
            xMax = xMax * 1.5;
        }

        var values = steps.SelectMany(x => series.Select(s => Math.Max(s.Value(x), 0.01))).ToList();
        var yMin = Math.Pow(10, Math.Floor(Math.Log10(values.Min())));
        var yMax = Math.Pow(10, Math.Ceiling(Math.Log10(values.Max())));
        if (yMax <= yMin)
        {
            yMax = yMin * 10;
        }

        double X(double v) => L + ((v - xMin) / (xMax - xMin) * (W - L - R));
        double Y(double v) => H - B - ((Math.Log10(Math.Max(v, yMin)) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)) * (H - T - B));

        b.Append(Inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/>\n<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        for (var d = yMin; d <= yMax * 1.0001; d *= 10)
        {
            b.Append(Inv, $"<line x1=\"{L}\" y1=\"{Y(d):F1}\" x2=\"{W - R}\" y2=\"{Y(d):F1}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{Y(d) + 4:F1}\" text-anchor=\"end\">{d:0.##} ms</text>\n");
        }

        for (var i = 0; i <= 5; i++)
        {
            var v = xMin + ((xMax - xMin) * i / 5);
            b.Append(Inv, $"<text x=\"{X(v):F1}\" y=\"{H - B + 18}\" text-anchor=\"middle\">{v:N0}</text>\n");
        }

        b.Append(Inv, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">offered rate (events/s)</text>\n");
        foreach (var (target, label) in new[] { (5.0, "p50 target 5 ms"), (20.0, "p99 target 20 ms"), (50.0, "p99.9 target 50 ms") })
        {
            if (target >= yMin && target <= yMax)
            {
                b.Append(Inv, $"<line x1=\"{L}\" y1=\"{Y(target):F1}\" x2=\"{W - R}\" y2=\"{Y(target):F1}\" stroke=\"#2ca02c\" stroke-dasharray=\"4 4\"/><text x=\"{W - R + 4}\" y=\"{Y(target) + 4:F1}\" fill=\"#2ca02c\">{label}</text>\n");
            }
        }

        var legendY = T + 10;
        foreach (var (name, color, value) in series)
        {
            var points = string.Join(' ', steps.Select(x => string.Create(Inv, $"{X(x.OfferedRate):F1},{Y(value(x)):F1}")));
            b.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points}\"/>\n");
            foreach (var x in steps)
            {
                b.Append(Inv, $"<circle cx=\"{X(x.OfferedRate):F1}\" cy=\"{Y(value(x)):F1}\" r=\"3\" fill=\"{color}\"/>\n");
            }

            b.Append(Inv, $"<line x1=\"{W - R + 10}\" y1=\"{legendY + 60}\" x2=\"{W - R + 30}\" y2=\"{legendY + 60}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{W - R + 36}\" y=\"{legendY + 64}\">{name}</text>\n");
            legendY += 18;
        }

        b.Append("</svg>\n");
        return b.ToString();
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
