using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using FraudShield.RuleEngine.State;
using Google.Protobuf;
using Spectre.Console;

namespace FraudShield.Host.Commands;

/// <summary>
/// `fraudshield watchlist`: bulk-load table files (watchlist entries, serving cells) into their compacted topics
/// through one validate-then-publish path, and turn case outcomes into watchlist proposals an analyst approves.
/// </summary>
internal static class WatchlistCommand
{
    /// <summary>The table files `import` accepts: which topic, which CSV columns, and how a record is validated.</summary>
    private static readonly Dictionary<string, ImportTable> Tables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["watchlist"] = new(
            Topics.Watchlist,
            ["key_type", "key", "level", "typology", "source", "case_ref", "valid_from_ms", "valid_to_ms"],
            ["key_type", "key", "level"],
            ValidateWatchlistEntry),
        ["cells"] = new(Topics.Cells, ["cell_id", "station_id", "grid_id", "area"], ["cell_id", "station_id"], ValidateCell),
    };

    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A .csv (watchlist header: key_type,key,level[,typology,source,case_ref,valid_from_ms,valid_to_ms]; cells header: cell_id,station_id[,grid_id,area]) or .jsonl file." };
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers (the demo prints its own).", DefaultValueFactory = _ => "127.0.0.1:9092" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Import the valid lines and report the invalid ones, instead of importing nothing." };
        var table = new Option<string>("--table") { Description = "What the file holds: watchlist entries (fs.watchlist) or serving cells (fs.cells).", DefaultValueFactory = _ => "watchlist" };
        table.AcceptOnlyFromAmong([.. Tables.Keys]);
        var import = new Command("import", "Validate a watchlist (or, with --table cells, a serving-cell) file and publish its records to the compacted topic; every engine loads them.") { file, bootstrap, skipInvalid, table };
        import.SetAction(async (parse, cancellationToken) =>
            await ImportAsync(parse.GetValue(file)!, Tables[parse.GetValue(table)!], parse.GetValue(bootstrap)!, parse.GetValue(skipInvalid), cancellationToken));

        var json = new Option<bool>("--json") { Description = "One JSON object per proposal on stdout instead of a table." };
        var proposals = new Command("proposals", "List watchlist proposals: the counterpart numbers and accounts of alerts whose case ended ALREADY_DEFRAUDED or DISSUADED (fs.outcomes joined with fs.alerts).") { bootstrap, json };
        proposals.SetAction(async (parse, cancellationToken) => await ProposalsAsync(parse.GetValue(bootstrap)!, parse.GetValue(json), cancellationToken));

        var proposalId = new Argument<string>("proposal-id") { Description = "The id `watchlist proposals` shows." };
        var approve = new Command("approve", "Publish a proposal as a watchlist entry to fs.watchlist (the import path: validated, then acknowledged by the cluster).") { proposalId, bootstrap };
        approve.SetAction(async (parse, cancellationToken) => await ApproveAsync(parse.GetValue(proposalId)!, parse.GetValue(bootstrap)!, cancellationToken));
        return new Command("watchlist", "Manage watchlists and the serving-cell table.") { import, proposals, approve };
    }

    private static bool ValidateWatchlistEntry(EventParser parser, byte[] json, out byte[] key, out string error)
    {
        key = [];
        if (!parser.TryParseWatchlistEntry(json, out var entry, out var parseError))
        {
            error = parseError.ToString();
            return false;
        }

        key = WatchlistKey.Format(entry.KeyType, entry.Key);
        error = string.Empty;
        return true;
    }

    private static bool ValidateCell(EventParser parser, byte[] json, out byte[] key, out string error)
    {
        key = [];
        if (!CellRecord.TryParse(json, out var cell, out var parseError))
        {
            error = parseError.ToString();
            return false;
        }

        key = Encoding.UTF8.GetBytes(cell.CellId);
        error = string.Empty;
        return true;
    }

    private static async Task<int> ImportAsync(FileInfo file, ImportTable table, string bootstrap, bool skipInvalid, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            Console.Error.WriteLine($"{file.FullName}: no such file");
            return 2;
        }

        // Pass 1: validate every line with the same parser the engine uses, so nothing bad reaches the topic.
        var entries = new List<(byte[] Key, byte[] Value)>();
        var errors = new List<string>();
        var parser = new EventParser();
        var csv = file.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase);
        var lineNo = 0;
        string[]? header = null;
        foreach (var line in File.ReadLines(file.FullName))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line) || line.StartsWith('#'))
            {
                continue;
            }

            byte[] json;
            if (csv)
            {
                if (header is null)
                {
                    header = line.Split(',', StringSplitOptions.TrimEntries);
                    var unknown = header.Where(h => !table.CsvColumns.Contains(h)).ToList();
                    if (unknown.Count > 0 || table.RequiredColumns.Any(r => !header.Contains(r)))
                    {
                        Console.Error.WriteLine($"{file.Name}:{lineNo}: the header must name {string.Join(", ", table.RequiredColumns)}, and only columns of: {string.Join(',', table.CsvColumns)}");
                        return 2;
                    }

                    continue;
                }

                if (!TryCsvToJson(header, line, out json, out var csvError))
                {
                    errors.Add($"{file.Name}:{lineNo}: {csvError}");
                    continue;
                }
            }
            else
            {
                json = Encoding.UTF8.GetBytes(line);
            }

            if (!table.Validate(parser, json, out var key, out var error))
            {
                errors.Add($"{file.Name}:{lineNo}: {error}");
                continue;
            }

            entries.Add((key, json));
        }

        foreach (var e in errors.Take(20))
        {
            Console.Error.WriteLine(e);
        }

        if (errors.Count > 20)
        {
            Console.Error.WriteLine($"... and {errors.Count - 20} more invalid lines");
        }

        if (errors.Count > 0 && !skipInvalid)
        {
            Console.Error.WriteLine($"{file.Name}: {errors.Count} invalid lines; nothing imported (use --skip-invalid to import the {entries.Count} valid ones)");
            return 1;
        }

        var failed = await PublishAsync(table.Topic, entries, bootstrap, $"importing {file.Name}", cancellationToken);
        Console.Error.WriteLine($"{file.Name}: imported {entries.Count - failed} entries into {table.Topic} at {bootstrap}; {failed} failed; {errors.Count} invalid lines skipped");
        return failed == 0 ? 0 : 1;
    }

    // Pass 2 of an import (and the whole of an approval): publish with a progress bar; every record is acknowledged by
    // the cluster before success is reported. Returns the number of records the cluster refused.
    private static async Task<long> PublishAsync(string topic, List<(byte[] Key, byte[] Value)> entries, string bootstrap, string title, CancellationToken cancellationToken)
    {
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaOptions.For(bootstrap).CreateProducerConfig()).Build();
        long failed = 0;
        await AnsiConsole.Progress().StartAsync(async ctx =>
        {
            var task = ctx.AddTask(title, maxValue: Math.Max(1, entries.Count));
            foreach (var (key, value) in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value }, r =>
                        {
                            if (r.Error.IsError)
                            {
                                Interlocked.Increment(ref failed);
                            }
                        });
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(50));
                    }
                }

                task.Increment(1);
            }

            var remaining = await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(60)), cancellationToken);
            Interlocked.Add(ref failed, remaining);
            task.Value = task.MaxValue;
        });
        return failed;
    }

    private static async Task<int> ProposalsAsync(string bootstrap, bool json, CancellationToken cancellationToken)
    {
        var proposals = await ReadProposalsAsync(bootstrap, cancellationToken);
        if (json)
        {
            foreach (var p in proposals)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    proposal_id = p.Id,
                    key_type = p.KeyType,
                    key = p.Key,
                    level = p.Level,
                    typology = p.Typology,
                    outcome = p.Outcome,
                    alert_ids = p.AlertIds,
                }));
            }

            return 0;
        }

        var view = new Table().AddColumns("proposal", "key type", "key", "level", "typology", "outcome", "alerts");
        foreach (var p in proposals)
        {
            view.AddRow(p.Id, p.KeyType, Markup.Escape(MaskKey(p.KeyType, p.Key)), p.Level, Markup.Escape(p.Typology), p.Outcome, Markup.Escape(string.Join(' ', p.AlertIds)));
        }

        AnsiConsole.Write(view);
        Console.Error.WriteLine($"{proposals.Count} proposals from {Topics.Outcomes} at {bootstrap}; approve one with: fraudshield watchlist approve <proposal> --bootstrap {bootstrap}");
        return 0;
    }

    // Operator screens show numbers and accounts masked (the --json output is for tooling and carries them whole).
    private static string MaskKey(string keyType, string key) =>
        keyType == "MSISDN" && ulong.TryParse(key.TrimStart('+'), out var e164) ? PhoneNumber.Mask(e164) : Masking.MaskAccount(Encoding.UTF8.GetBytes(key));

    private static async Task<int> ApproveAsync(string proposalId, string bootstrap, CancellationToken cancellationToken)
    {
        var proposals = await ReadProposalsAsync(bootstrap, cancellationToken);
        var proposal = proposals.FirstOrDefault(p => string.Equals(p.Id, proposalId, StringComparison.OrdinalIgnoreCase));
        if (proposal is null)
        {
            Console.Error.WriteLine($"{proposalId}: no such proposal (fraudshield watchlist proposals --bootstrap {bootstrap} lists them)");
            return 2;
        }

        var value = proposal.ToWatchlistJson();
        if (!ValidateWatchlistEntry(new EventParser(), value, out var key, out var error))
        {
            Console.Error.WriteLine($"{proposalId}: the entry is not valid: {error}");
            return 1;
        }

        var failed = await PublishAsync(Topics.Watchlist, [(key, value)], bootstrap, $"approving {proposal.Id}", cancellationToken);
        Console.Error.WriteLine(failed == 0
            ? $"{proposal.Id}: approved; {proposal.KeyType} entry published to {Topics.Watchlist} at {bootstrap}"
            : $"{proposal.Id}: the cluster did not acknowledge the entry");
        return failed == 0 ? 0 : 1;
    }

    // Reads fs.alerts and fs.outcomes whole (as table followers from the beginning, up to their high watermarks).
    private static async Task<IReadOnlyList<WatchlistProposal>> ReadProposalsAsync(string bootstrap, CancellationToken cancellationToken)
    {
        var kafka = KafkaOptions.For(bootstrap);
        var alerts = new Dictionary<string, Alert>(StringComparer.Ordinal);
        var outcomes = new List<OutcomeRecord>();
        var rejected = 0;
        using (var alertFollower = TableFollower.Start(kafka, Topics.Alerts, (_, value, tombstone, _) =>
        {
            if (tombstone)
            {
                return;
            }

            try
            {
                var alert = Alert.Parser.ParseFrom(value);
                if (!alerts.TryGetValue(alert.AlertId, out var seen) || seen.Version <= alert.Version)
                {
                    alerts[alert.AlertId] = alert;
                }
            }
            catch (InvalidProtocolBufferException)
            {
                rejected++;
            }
        }))
        using (var outcomeFollower = TableFollower.Start(kafka, Topics.Outcomes, (_, value, tombstone, _) =>
        {
            if (tombstone)
            {
                return;
            }

            try
            {
                outcomes.Add(OutcomeRecord.Parser.ParseFrom(value));
            }
            catch (InvalidProtocolBufferException)
            {
                rejected++;
            }
        }))
        {
            await alertFollower.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60), cancellationToken);
            await outcomeFollower.WaitUntilCaughtUpAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }

        if (rejected > 0)
        {
            Console.Error.WriteLine($"{rejected} records of {Topics.Alerts}/{Topics.Outcomes} could not be decoded and were skipped");
        }

        return WatchlistProposal.Derive(outcomes, alerts);
    }

    private static bool TryCsvToJson(string[] header, string line, out byte[] json, out string error)
    {
        var fields = line.Split(',', StringSplitOptions.TrimEntries);
        json = [];
        if (fields.Length != header.Length)
        {
            error = $"expected {header.Length} columns, found {fields.Length}";
            return false;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            for (var i = 0; i < header.Length; i++)
            {
                if (fields[i].Length == 0)
                {
                    continue;
                }

                if (header[i] is "valid_from_ms" or "valid_to_ms")
                {
                    if (!long.TryParse(fields[i], out var ms))
                    {
                        error = $"{header[i]}: '{fields[i]}' is not a whole number of milliseconds";
                        return false;
                    }

                    w.WriteNumber(header[i], ms);
                }
                else
                {
                    w.WriteString(header[i], fields[i]);
                }
            }

            w.WriteEndObject();
        }

        json = buffer.WrittenSpan.ToArray();
        error = string.Empty;
        return true;
    }
}

/// <summary>One table file kind of `watchlist import`.</summary>
/// <param name="Topic">The compacted topic its records go to.</param>
/// <param name="CsvColumns">The CSV columns allowed.</param>
/// <param name="RequiredColumns">The CSV columns the header must name.</param>
/// <param name="Validate">Checks one record (JSON) with the engine's parser and gives its topic key, or the error.</param>
internal sealed record ImportTable(string Topic, string[] CsvColumns, string[] RequiredColumns, ImportValidator Validate);

/// <summary>Validates one record of an import file.</summary>
internal delegate bool ImportValidator(EventParser parser, byte[] json, out byte[] key, out string error);

/// <summary>
/// A proposed watchlist entry: a counterpart number or account of alerts whose case ended ALREADY_DEFRAUDED (proposed
/// CONFIRMED) or DISSUADED (proposed SUSPECTED), or the subject of an intelligence alert of a counterparty rule (a
/// fan-out caller, a SIM-bank handset, a mule account; proposed at the level the alert names, SUSPECTED). The id is a
/// hash of key type and key, so it is stable across listings.
/// </summary>
internal sealed record WatchlistProposal(string Id, string KeyType, string Key, string Level, string Typology, string Outcome, IReadOnlyList<string> AlertIds)
{
    // Evidence facts the engine writes (EngineCore.Alerts) and the watchlist key type each one proposes.
    private static readonly (string Fact, string KeyType)[] Facts =
    [
        ("counterpart_msisdn", "MSISDN"), ("counterpart_presented_msisdn", "MSISDN"), ("payee_account", "ACCOUNT"),
    ];

    /// <summary>Joins outcomes with the latest version of their alert; one proposal per key, strongest outcome first.</summary>
    public static IReadOnlyList<WatchlistProposal> Derive(IEnumerable<OutcomeRecord> outcomes, IReadOnlyDictionary<string, Alert> alerts)
    {
        var byKey = new Dictionary<(string, string), WatchlistProposal>();
        foreach (var outcome in outcomes)
        {
            if (outcome.Outcome is not (Contracts.Dispatch.V1.Outcome.AlreadyDefrauded or Contracts.Dispatch.V1.Outcome.Dissuaded) || !alerts.TryGetValue(outcome.AlertId, out var alert))
            {
                continue;
            }

            var defrauded = outcome.Outcome == Contracts.Dispatch.V1.Outcome.AlreadyDefrauded;
            foreach (var (fact, keyType) in Facts)
            {
                if (alert.Evidence?.Facts.TryGetValue(fact, out var raw) != true || string.IsNullOrEmpty(raw))
                {
                    continue;
                }

                var key = keyType == "MSISDN" && !raw.StartsWith('+') ? "+" + raw : raw;
                if (byKey.TryGetValue((keyType, key), out var seen))
                {
                    var ids = seen.AlertIds.Contains(alert.AlertId) ? seen.AlertIds : [.. seen.AlertIds, alert.AlertId];
                    byKey[(keyType, key)] = defrauded && seen.Level != "CONFIRMED"
                        ? seen with { Level = "CONFIRMED", Outcome = "ALREADY_DEFRAUDED", AlertIds = ids }
                        : seen with { AlertIds = ids };
                    continue;
                }

                byKey[(keyType, key)] = new WatchlistProposal(
                    IdOf(keyType, key),
                    keyType,
                    key,
                    defrauded ? "CONFIRMED" : "SUSPECTED",
                    alert.Typology,
                    defrauded ? "ALREADY_DEFRAUDED" : "DISSUADED",
                    [alert.AlertId]);
            }
        }

        // Intelligence from the counterparty rules (R03/R04/R15/R16): the alert proposes its subject (a calling number,
        // a handset, a mule account) at the level it names, without waiting for a case outcome. A key already proposed
        // from an outcome keeps that proposal and gains the alert.
        foreach (var alert in alerts.Values)
        {
            var facts = alert.Evidence?.Facts;
            if (facts is null
                || !facts.TryGetValue(RuleEngine.Counterparty.CounterpartyAggregator.ProposeWatchlistFact, out var level) || string.IsNullOrEmpty(level)
                || !facts.TryGetValue(RuleEngine.Counterparty.CounterpartyAggregator.SubjectKindFact, out var keyType) || string.IsNullOrEmpty(keyType)
                || !facts.TryGetValue(RuleEngine.Counterparty.CounterpartyAggregator.SubjectKeyFact, out var raw) || string.IsNullOrEmpty(raw))
            {
                continue;
            }

            var key = keyType == "MSISDN" && !raw.StartsWith('+') ? "+" + raw : raw;
            if (byKey.TryGetValue((keyType, key), out var seen))
            {
                byKey[(keyType, key)] = seen.AlertIds.Contains(alert.AlertId) ? seen : seen with { AlertIds = [.. seen.AlertIds, alert.AlertId] };
                continue;
            }

            byKey[(keyType, key)] = new WatchlistProposal(IdOf(keyType, key), keyType, key, level, alert.Typology, "INTEL " + string.Join('+', alert.RuleIds), [alert.AlertId]);
        }

        return [.. byKey.Values.OrderBy(p => p.Level == "CONFIRMED" ? 0 : 1).ThenBy(p => p.Id, StringComparer.Ordinal)];
    }

    /// <summary>The fs.watchlist value for this proposal (source "outcome", the first alert as the case reference).</summary>
    public byte[] ToWatchlistJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("key_type", KeyType);
            w.WriteString("key", Key);
            w.WriteString("level", Level);
            if (Typology.Length > 0)
            {
                w.WriteString("typology", Typology);
            }

            w.WriteString("source", "outcome");
            w.WriteString("case_ref", AlertIds[0]);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string IdOf(string keyType, string key) =>
        "WP-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(keyType + ":" + key)))[..10];
}
