using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;
using FraudShield.Ingest.Kafka;
using Spectre.Console;

namespace FraudShield.Host.Commands;

/// <summary>`fraudshield watchlist import`: bulk-load watchlist entries from CSV or JSONL into fs.watchlist.</summary>
internal static class WatchlistCommand
{
    private static readonly string[] CsvColumns = ["key_type", "key", "level", "typology", "source", "case_ref", "valid_from_ms", "valid_to_ms"];

    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A .csv (header: key_type,key,level[,typology,source,case_ref,valid_from_ms,valid_to_ms]) or .jsonl file." };
        var bootstrap = new Option<string>("--bootstrap") { Description = "Kafka bootstrap servers (the demo prints its own).", DefaultValueFactory = _ => "127.0.0.1:9092" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Import the valid lines and report the invalid ones, instead of importing nothing." };
        var import = new Command("import", "Validate a watchlist file and publish its entries to the compacted fs.watchlist topic; every engine loads them.") { file, bootstrap, skipInvalid };
        import.SetAction(async (parse, cancellationToken) =>
            await ImportAsync(parse.GetValue(file)!, parse.GetValue(bootstrap)!, parse.GetValue(skipInvalid), cancellationToken));
        return new Command("watchlist", "Manage watchlists.") { import };
    }

    private static async Task<int> ImportAsync(FileInfo file, string bootstrap, bool skipInvalid, CancellationToken cancellationToken)
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
                    var unknown = header.Where(h => !CsvColumns.Contains(h)).ToList();
                    if (unknown.Count > 0 || !header.Contains("key_type") || !header.Contains("key") || !header.Contains("level"))
                    {
                        Console.Error.WriteLine($"{file.Name}:{lineNo}: the header must name key_type, key and level, and only columns of: {string.Join(',', CsvColumns)}");
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

            if (!parser.TryParseWatchlistEntry(json, out var entry, out var error))
            {
                errors.Add($"{file.Name}:{lineNo}: {error}");
                continue;
            }

            entries.Add((WatchlistKey.Format(entry.KeyType, entry.Key), json));
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

        // Pass 2: publish with a progress bar; every entry is acknowledged by the cluster before we report success.
        using var producer = new ProducerBuilder<byte[], byte[]>(KafkaOptions.For(bootstrap).CreateProducerConfig()).Build();
        long failed = 0;
        await AnsiConsole.Progress().StartAsync(async ctx =>
        {
            var task = ctx.AddTask($"importing {file.Name}", maxValue: Math.Max(1, entries.Count));
            foreach (var (key, value) in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                while (true)
                {
                    try
                    {
                        producer.Produce(Topics.Watchlist, new Message<byte[], byte[]> { Key = key, Value = value }, r =>
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

            await Task.Run(() => producer.Flush(TimeSpan.FromSeconds(60)), cancellationToken);
            task.Value = task.MaxValue;
        });

        Console.Error.WriteLine($"{file.Name}: imported {entries.Count - failed} entries into {Topics.Watchlist} at {bootstrap}; {failed} failed; {errors.Count} invalid lines skipped");
        return failed == 0 ? 0 : 1;
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
