using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Host.Runtime;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.Engine;
using FraudShield.RuleEngine.Rules;
using Google.Protobuf;
using Spectre.Console;

namespace FraudShield.Host.Commands;

/// <summary>
/// `fraudshield replay`: a backtest. Reads the table topics whole, then the recorded event topics between two times
/// (Kafka offsetsForTimes, then filtered by record timestamp), and runs them in timestamp order through the deployed
/// rule set (the latest fs.rules record, else the shipped default) and a candidate file, each on its own temporary
/// FASTER stores; prints per rule the alerts of each, added, removed, and precision where fs.outcomes knows outcomes.
/// </summary>
internal static class ReplayCommand
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var rules = new Option<string>("--rules") { Description = "The candidate rule file (YAML).", Required = true };
        var from = new Option<string>("--from") { Description = "Start (inclusive): Unix ms or an ISO-8601 time (UTC unless an offset is given).", Required = true };
        var to = new Option<string?>("--to") { Description = "End (exclusive): Unix ms or an ISO-8601 time; default now." };
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table." };
        var command = new Command("replay", "Backtest a candidate rule file against the deployed set on recorded events: alerts per rule, added, removed, precision.")
        {
            rules, from, to, bootstrap, json,
        };
        command.SetAction(parse => Run(parse.GetValue(rules)!, parse.GetValue(from)!, parse.GetValue(to), parse.GetValue(bootstrap)!, parse.GetValue(json)));
        return command;
    }

    private static int Run(string candidatePath, string fromText, string? toText, string bootstrap, bool json)
    {
        if (!TryParseTime(fromText, out var fromMs) || !TryParseTime(toText ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), out var toMs))
        {
            Console.Error.WriteLine("--from/--to: expected Unix milliseconds or an ISO-8601 time");
            return 1;
        }

        RuleSet candidate;
        try
        {
            candidate = RuleFile.Load(candidatePath);
        }
        catch (RuleFileException e)
        {
            foreach (var error in e.Errors)
            {
                Console.Error.WriteLine(error);
            }

            Console.Error.WriteLine($"{candidatePath}: refused; nothing replayed");
            return 1;
        }

        var kafka = KafkaOptions.For(bootstrap);
        try
        {
            var (deployed, deployedVersion, deployedSource) = Deployed(kafka);
            var outcomes = Outcomes(kafka);
            using var backtest = new Backtest(deployed, candidate.Options);
            foreach (var r in Read(kafka, Topics.Watchlist, null, null))
            {
                backtest.ApplyWatchlist(r.Key ?? [], r.Value ?? [], r.Value is null);
            }

            foreach (var r in Read(kafka, Topics.Registry, null, null))
            {
                backtest.ApplyRegistry(r.Value ?? [], r.Value is null);
            }

            var events = new List<Record>();
            foreach (var topic in Topics.EventTopics)
            {
                events.AddRange(Read(kafka, topic, fromMs, toMs));
            }

            // Timestamp order, as the engine's merge judges them; ties in topic, partition, offset order.
            events.Sort((a, b) => a.TimestampMs != b.TimestampMs ? a.TimestampMs.CompareTo(b.TimestampMs)
                : a.TopicIndex != b.TopicIndex ? a.TopicIndex.CompareTo(b.TopicIndex)
                : a.Partition != b.Partition ? a.Partition.CompareTo(b.Partition)
                : a.Offset.CompareTo(b.Offset));
            foreach (var e in events)
            {
                if (EventDispatcher.TryGetTopic(e.Topic, out var topic) && e.Value is not null)
                {
                    backtest.Feed(topic, e.Value, e.TimestampMs);
                }
            }

            var result = backtest.Compare(outcomes);
            var candidateVersion = RuleDeployment.VersionOf(File.ReadAllText(candidatePath));
            if (json)
            {
                WriteJson(result, fromMs, toMs, (deployedVersion, deployedSource), (candidateVersion, candidatePath), outcomes.Count);
            }
            else
            {
                WriteTable(result, fromMs, toMs, (deployedVersion, deployedSource), (candidateVersion, candidatePath), outcomes.Count);
            }

            return 0;
        }
        catch (Exception e) when (e is KafkaException or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"replay failed: {e.Message}");
            return 1;
        }
    }

    private static bool TryParseTime(string text, out long ms)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            ms = time.ToUnixTimeMilliseconds();
            return true;
        }

        return false;
    }

    // The latest valid fs.rules record (largest effective time), else the shipped default file.
    private static (RulePackOptions Options, string Version, string Source) Deployed(KafkaOptions kafka)
    {
        RuleDeployment? latest = null;
        foreach (var r in Read(kafka, Topics.Rules, null, null))
        {
            if (r.Value is not null && RuleDeployment.TryDecode(r.Value, out var d, out _) && (latest is null || d!.EffectiveFromMs >= latest.EffectiveFromMs))
            {
                latest = d;
            }
        }

        if (latest is not null)
        {
            return (latest.RuleSet.Options, latest.Version, "fs.rules:" + latest.Source);
        }

        var path = SharedOptions.DefaultRules;
        return (RuleFile.Load(path).Options, RuleDeployment.VersionOf(File.ReadAllText(path)), path);
    }

    // Alert id -> confirmed (dissuaded, already defrauded) or false positive; the last outcome of an alert wins.
    private static Dictionary<string, bool> Outcomes(KafkaOptions kafka)
    {
        var outcomes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var r in Read(kafka, Topics.Outcomes, null, null))
        {
            if (r.Value is null)
            {
                continue;
            }

            OutcomeRecord record;
            try
            {
                record = OutcomeRecord.Parser.ParseFrom(r.Value);
            }
            catch (InvalidProtocolBufferException)
            {
                continue;
            }

            switch (record.Outcome)
            {
                case Outcome.FalsePositive:
                    outcomes[record.AlertId] = false;
                    break;
                case Outcome.Dissuaded or Outcome.AlreadyDefrauded:
                    outcomes[record.AlertId] = true;
                    break;
                default:
                    break;
            }
        }

        return outcomes;
    }

    private sealed record Record(string Topic, int TopicIndex, int Partition, long Offset, long TimestampMs, byte[]? Key, byte[]? Value);

    // Every record of a topic, or those stamped in [fromMs, toMs): each partition from offsetsForTimes(fromMs) up to
    // its high watermark at the time of the call. A topic that does not exist reads as empty.
    private static List<Record> Read(KafkaOptions kafka, string topic, long? fromMs, long? toMs)
    {
        var records = new List<Record>();
        int partitions;
        using (var admin = new AdminClientBuilder(kafka.CreateAdminConfig()).Build())
        {
            var metadata = admin.GetMetadata(topic, QueryTimeout).Topics.SingleOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
            {
                return records;
            }

            partitions = metadata.Partitions.Count;
        }

        var topicIndex = Array.IndexOf(Topics.EventTopics, topic);
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(kafka.CreateTableFollowerConfig()).Build();
        var ends = new Dictionary<int, long>();
        var assignment = new List<TopicPartitionOffset>();
        for (var p = 0; p < partitions; p++)
        {
            var tp = new TopicPartition(topic, p);
            var marks = consumer.QueryWatermarkOffsets(tp, QueryTimeout);
            var start = marks.Low.Value;
            if (fromMs is { } from)
            {
                var found = consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(from, TimestampType.CreateTime))], QueryTimeout)[0].Offset;
                // No offset for the time means no record at or after it, on a real broker; the embedded mock cluster
                // cannot look times up and answers the same way, so such a partition is read whole and filtered by
                // record timestamp below (correct either way, only slower on a real broker).
                start = found.Value >= 0 ? Math.Max(start, found.Value) : marks.Low.Value;
            }

            if (start < marks.High.Value)
            {
                ends[p] = marks.High.Value;
                assignment.Add(new TopicPartitionOffset(tp, new Offset(start)));
            }
        }

        if (assignment.Count == 0)
        {
            return records;
        }

        consumer.Assign(assignment);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (ends.Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{topic}: not read to its high watermark within 5 minutes");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            var partition = result.Partition.Value;
            if (!ends.TryGetValue(partition, out var end))
            {
                continue;
            }

            var offset = result.Offset.Value;
            if (offset + 1 >= end)
            {
                ends.Remove(partition);
            }

            var ts = result.Message.Timestamp.UnixTimestampMs;
            if (offset < end && (fromMs is null || ts >= fromMs) && (toMs is null || ts < toMs))
            {
                records.Add(new Record(topic, topicIndex, partition, offset, ts, result.Message.Key, result.Message.Value));
            }
        }

        consumer.Close();
        return records;
    }

    private static void WriteJson(BacktestResult result, long fromMs, long toMs, (string Version, string Source) deployed, (string Version, string Source) candidate, int outcomesKnown)
    {
        using var stream = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("from_ms", fromMs);
            w.WriteNumber("to_ms", toMs);
            w.WriteNumber("events", result.Events);
            w.WriteNumber("rejected", result.Rejected);
            w.WriteNumber("outcomes_known", outcomesKnown);
            w.WriteStartObject("deployed");
            w.WriteString("version", deployed.Version);
            w.WriteString("source", deployed.Source);
            w.WriteEndObject();
            w.WriteStartObject("candidate");
            w.WriteString("version", candidate.Version);
            w.WriteString("source", candidate.Source);
            w.WriteEndObject();
            w.WritePropertyName("total");
            Row(w, result.Total);
            w.WriteStartArray("rules");
            foreach (var row in result.Rules)
            {
                Row(w, row);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        stream.Flush();

        static void Row(Utf8JsonWriter w, BacktestRow row)
        {
            w.WriteStartObject();
            w.WriteString("rule", row.Rule);
            w.WriteNumber("deployed", row.Deployed);
            w.WriteNumber("candidate", row.Candidate);
            w.WriteNumber("added", row.Added);
            w.WriteNumber("removed", row.Removed);
            Precision(w, "deployed_precision", row.DeployedPrecision);
            Precision(w, "candidate_precision", row.CandidatePrecision);
            w.WriteEndObject();
        }

        static void Precision(Utf8JsonWriter w, string name, Precision p)
        {
            if (p.Value is { } value)
            {
                w.WriteNumber(name, Math.Round(value, 4));
            }
            else
            {
                w.WriteNull(name);
            }
        }
    }

    private static void WriteTable(BacktestResult result, long fromMs, long toMs, (string Version, string Source) deployed, (string Version, string Source) candidate, int outcomesKnown)
    {
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"replay {DateTimeOffset.FromUnixTimeMilliseconds(fromMs):O} .. {DateTimeOffset.FromUnixTimeMilliseconds(toMs):O}: {result.Events} events ({result.Rejected} rejected), {outcomesKnown} known outcomes")));
        AnsiConsole.MarkupLine(Markup.Escape($"deployed {deployed.Version} ({deployed.Source}); candidate {candidate.Version} ({candidate.Source})"));
        var table = new Table().AddColumns("rule", "deployed", "candidate", "added", "removed", "precision deployed", "precision candidate");
        foreach (var row in result.Rules.Append(result.Total))
        {
            table.AddRow(row.Rule, Num(row.Deployed), Num(row.Candidate), row.Added > 0 ? $"[green]+{row.Added}[/]" : "0",
                row.Removed > 0 ? $"[red]-{row.Removed}[/]" : "0", Pct(row.DeployedPrecision), Pct(row.CandidatePrecision));
        }

        AnsiConsole.Write(table);
        if (outcomesKnown == 0)
        {
            AnsiConsole.MarkupLine("precision unknown: fs.outcomes holds no outcome for these alerts");
        }

        static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

        static string Pct(Precision p) => p.Value is { } v
            ? string.Create(CultureInfo.InvariantCulture, $"{v:P0} of {p.Known}")
            : "unknown";
    }
}
