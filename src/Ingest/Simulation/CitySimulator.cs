using System.Buffers;
using System.Globalization;
using System.Text.Json;
using FraudShield.Contracts;
using FraudShield.Ingest.Events;

namespace FraudShield.Ingest.Simulation;

/// <summary>One record to produce: topic, key and the JSON value, as the real feeds would send it.</summary>
public readonly record struct SimRecord(string Topic, byte[] Key, byte[] Value);

/// <summary>The size and behaviour of the simulated city.</summary>
public sealed record CityOptions
{
    /// <summary>Registered residents.</summary>
    public int Residents { get; init; } = 5_000;

    /// <summary>Police stations; each has <see cref="GridsPerStation"/> grids.</summary>
    public int Stations { get; init; } = 8;

    /// <summary>Grids per station, each with one grid worker.</summary>
    public int GridsPerStation { get; init; } = 6;

    /// <summary>Listed fraud numbers and mule accounts put on the watchlists.</summary>
    public int ListedNumbers { get; init; } = 200;

    /// <summary>Listed mule accounts.</summary>
    public int ListedAccounts { get; init; } = 200;

    /// <summary>
    /// Share of benign calls that are international (default 2 %). A load bench offering many events per resident lowers
    /// it, or every resident would sum hours of overseas calls (R01) within minutes.
    /// </summary>
    public double InternationalCallShare { get; init; } = 0.02;

    /// <summary>The accounts each resident pays in most of its benign transfers (default 4).</summary>
    public int RegularPayees { get; init; } = 4;

    /// <summary>Share of benign transfers to a payee outside the payer's regular ones (default 2 %).</summary>
    public double NewPayeeShare { get; init; } = 0.02;
}

/// <summary>What one injected seed scenario consists of, so callers can check the alert it must produce.</summary>
public sealed record SeedScenario(ulong VictimMsisdn, string StationId, string GridId, string CallEventId, string TxnId, IReadOnlyList<SimRecord> Records);

/// <summary>
/// A small city: residents registered to stations and grids, benign calls, SMS and transfers, and the seed
/// fraud scenario of ARCHITECTURE.md (a long overseas "police" call, then a large transfer to a listed mule
/// account) on demand. Deterministic for a given seed. Used by the demo, the bench load generator and tests.
/// </summary>
public sealed class CitySimulator
{
    private const long MinuteMs = 60_000;
    private readonly CityOptions _options;
    private readonly Random _random;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private long _sequence;

    /// <summary>Creates the city from <paramref name="options"/> and <paramref name="seed"/>.</summary>
    public CitySimulator(CityOptions options, int seed)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _random = new Random(seed);
        Seed = seed;
    }

    /// <summary>The seed this city was built from.</summary>
    public int Seed { get; }

    /// <summary>The E.164 number of resident <paramref name="index"/>.</summary>
    public static ulong ResidentNumber(int index) => 8613_800_000_000UL + (ulong)index;

    /// <summary>The station of resident <paramref name="index"/>.</summary>
    public string StationOf(int index) => "S" + ((index % _options.Stations) + 1).ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>The grid of resident <paramref name="index"/>.</summary>
    public string GridOf(int index) =>
        StationOf(index) + "-G" + (((index / _options.Stations) % _options.GridsPerStation) + 1).ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>A listed (fraud) number.</summary>
    public static ulong ListedNumber(int index) => 4420_7946_0000UL + (ulong)index;

    /// <summary>A listed mule account.</summary>
    public static string ListedAccount(int index) => "6222" + (880000000000 + index).ToString(CultureInfo.InvariantCulture);

    /// <summary>The register: one subject record per resident, for fs.registry.</summary>
    public IEnumerable<SimRecord> Register()
    {
        for (var i = 0; i < _options.Residents; i++)
        {
            var person = "P" + i.ToString("D7", CultureInfo.InvariantCulture);
            var birthYear = 1938 + ((i * 7919) % 68);
            yield return Record(Topics.Registry, person, w =>
            {
                w.WriteString("person_id", person);
                w.WriteStartArray("msisdns");
                w.WriteStringValue("+" + ResidentNumber(i).ToString(CultureInfo.InvariantCulture));
                w.WriteEndArray();
                w.WriteStartArray("accounts");
                w.WriteStringValue(ResidentAccount(i));
                w.WriteEndArray();
                w.WriteNumber("birth_year", birthYear);
                w.WriteStartArray("flags");
                if (birthYear <= DateTime.UtcNow.Year - 65)
                {
                    w.WriteStringValue("elderly");
                }

                w.WriteEndArray();
                w.WriteString("address_id", "ADDR-" + i.ToString(CultureInfo.InvariantCulture));
                w.WriteString("station_id", StationOf(i));
                w.WriteString("beat_id", StationOf(i) + "-B1");
                w.WriteString("grid_id", GridOf(i));
                w.WriteString("grid_worker_id", "W-" + GridOf(i));
                w.WriteStartArray("family_msisdns");
                w.WriteStringValue("+" + ResidentNumber((i + 1) % _options.Residents).ToString(CultureInfo.InvariantCulture));
                w.WriteEndArray();
            });
        }
    }

    /// <summary>The watchlists: listed numbers and mule accounts, for fs.watchlist.</summary>
    public IEnumerable<SimRecord> Watchlist()
    {
        for (var i = 0; i < _options.ListedNumbers; i++)
        {
            yield return WatchEntry("MSISDN", "+" + ListedNumber(i).ToString(CultureInfo.InvariantCulture), "IMPERSONATE_AUTHORITY");
        }

        for (var i = 0; i < _options.ListedAccounts; i++)
        {
            yield return WatchEntry("ACCOUNT", ListedAccount(i), "IMPERSONATE_AUTHORITY");
        }
    }

    /// <summary>A watchlist entry record (key "TYPE:key").</summary>
    public SimRecord WatchEntry(string keyType, string key, string typology) =>
        Record(Topics.Watchlist, WatchlistKey.Format(keyType, key), w =>
        {
            w.WriteString("key_type", keyType);
            w.WriteString("key", key);
            w.WriteString("level", "CONFIRMED");
            w.WriteString("typology", typology);
            w.WriteString("source", "simulator");
            w.WriteString("case_ref", "SIM-" + key);
        });

    /// <summary>One benign event at <paramref name="nowMs"/>: a domestic call (most), an SMS, or a small transfer.</summary>
    public SimRecord NextBenign(long nowMs)
    {
        var roll = _random.Next(100);
        var a = _random.Next(_options.Residents);
        var b = AnotherResident(a);
        if (roll < 80)
        {
            var international = _random.NextDouble() < _options.InternationalCallShare;
            var duration = international ? _random.Next(20, 300) : _random.Next(5, 900);
            return Call(ResidentNumber(b), ResidentNumber(a), nowMs - (duration * 1000L), duration, _random.Next(10) < 8, international);
        }

        if (roll < 88)
        {
            return Sms(ResidentNumber(b), ResidentNumber(a), nowMs);
        }

        return Transfer(a, ResidentAccount(BenignPayee(a)), nowMs, 100 * (long)_random.Next(10, 200_000));
    }

    /// <summary>A resident other than <paramref name="resident"/>, at random (the resident itself in a city of one).</summary>
    private int AnotherResident(int resident) => (resident + 1 + _random.Next(_options.Residents - 1)) % _options.Residents;

    /// <summary>
    /// Whom resident <paramref name="payer"/> pays in a benign transfer: one of its
    /// <see cref="CityOptions.RegularPayees"/> (family, landlord, shops: the same few accounts, as people pay), now and
    /// then (<see cref="CityOptions.NewPayeeShare"/>) anyone. Were every payee random, a load bench's millions of
    /// transfers would each open a new payer-payee pair, which no city does and which grows the engine's pair state
    /// without bound.
    /// </summary>
    private int BenignPayee(int payer)
    {
        var residents = _options.Residents;
        if (residents < 2 || _options.RegularPayees < 1 || _random.NextDouble() < _options.NewPayeeShare)
        {
            return AnotherResident(payer);
        }

        // The k-th regular payee: a fixed other resident, spread over the city by a multiplicative hash.
        var k = (ulong)_random.Next(_options.RegularPayees);
        var offset = (int)((((ulong)payer * 0x9E3779B97F4A7C15UL) + ((k + 1) * 0xBF58476D1CE4E5B9UL)) % (ulong)(residents - 1));
        return (payer + 1 + offset) % residents;
    }

    /// <summary>
    /// The seed scenario for a random resident, ending at <paramref name="nowMs"/>: a 25-minute answered call from a
    /// listed overseas number that ended a moment ago, then a transfer of 80,000 RMB to a listed mule account.
    /// </summary>
    public SeedScenario NextScenario(long nowMs)
    {
        var victim = _random.Next(_options.Residents);
        var duration = 25 * 60;
        var caller = ListedNumber(_random.Next(_options.ListedNumbers));
        var call = Call(caller, ResidentNumber(victim), nowMs - (duration * 1000L) - MinuteMs, duration, answered: true, international: true);
        var txn = Transfer(victim, ListedAccount(_random.Next(_options.ListedAccounts)), nowMs, 8_000_000);
        return new SeedScenario(ResidentNumber(victim), StationOf(victim), GridOf(victim), LastEventId(call), LastEventId(txn), [call, txn]);
    }

    private static string ResidentAccount(int index) => "6217" + (100000000000 + index).ToString(CultureInfo.InvariantCulture);

    private string NextId(string prefix) => prefix + Seed.ToString("x", CultureInfo.InvariantCulture) + "-" + (++_sequence).ToString(CultureInfo.InvariantCulture);

    private static string LastEventId(SimRecord record)
    {
        var reader = new Utf8JsonReader(record.Value);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueTextEquals("event_id"u8) || reader.ValueTextEquals("txn_id"u8)))
            {
                reader.Read();
                return reader.GetString()!;
            }
        }

        return string.Empty;
    }

    private SimRecord Call(ulong calling, ulong called, long startMs, int durationS, bool answered, bool international)
    {
        var id = NextId("c");
        return Record(Topics.Calls, called.ToString(CultureInfo.InvariantCulture), w =>
        {
            w.WriteString("event_id", id);
            w.WriteString("call_id", id);
            w.WriteString("calling", "+" + calling.ToString(CultureInfo.InvariantCulture));
            w.WriteString("called", "+" + called.ToString(CultureInfo.InvariantCulture));
            w.WriteString("direction", "IN");
            w.WriteNumber("start_ms", startMs);
            w.WriteNumber("answer_ms", startMs + 4000);
            w.WriteNumber("end_ms", startMs + 4000 + (durationS * 1000L));
            w.WriteNumber("duration_s", answered ? durationS : 0);
            w.WriteBoolean("answered", answered);
            w.WriteString("origin", international ? "INTERNATIONAL" : "DOMESTIC");
            w.WriteString("origin_country", international ? "GB" : "CN");
            w.WriteString("cell_id", "CELL-" + (called % 97).ToString(CultureInfo.InvariantCulture));
            w.WriteBoolean("roaming", false);
        });
    }

    private SimRecord Sms(ulong sender, ulong receiver, long tsMs)
    {
        var id = NextId("s");
        return Record(Topics.Signals, receiver.ToString(CultureInfo.InvariantCulture), w =>
        {
            w.WriteString("kind", "sms");
            w.WriteString("event_id", id);
            w.WriteString("sender", "+" + sender.ToString(CultureInfo.InvariantCulture));
            w.WriteString("receiver", "+" + receiver.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("ts_ms", tsMs);
            w.WriteString("sender_class", "PERSONAL");
            w.WriteStartArray("keyword_flags");
            w.WriteEndArray();
            w.WriteStartArray("url_domains");
            w.WriteEndArray();
        });
    }

    private SimRecord Transfer(int payer, string payeeAccount, long tsMs, long amountMinor)
    {
        var id = NextId("t");
        var msisdn = ResidentNumber(payer);
        return Record(Topics.Txns, msisdn.ToString(CultureInfo.InvariantCulture), w =>
        {
            w.WriteString("txn_id", id);
            w.WriteNumber("ts_ms", tsMs);
            w.WriteString("status", "COMPLETED");
            w.WriteString("channel", "MOBILE");
            w.WriteString("type", "TRANSFER");
            w.WriteStartObject("payer");
            w.WriteString("account", ResidentAccount(payer));
            w.WriteString("msisdn", "+" + msisdn.ToString(CultureInfo.InvariantCulture));
            w.WriteString("customer_id", "CUST-" + payer.ToString(CultureInfo.InvariantCulture));
            w.WriteNumber("age", DateTime.UtcNow.Year - (1938 + ((payer * 7919) % 68)));
            w.WriteEndObject();
            w.WriteStartObject("payee");
            w.WriteString("account", payeeAccount);
            w.WriteString("bank", "SIMBANK");
            w.WriteString("kind", "PERSON");
            w.WriteEndObject();
            w.WriteNumber("amount_minor", amountMinor);
            w.WriteString("currency", "CNY");
            w.WriteNumber("payer_balance_after_minor", 20_000_000 - amountMinor);
        });
    }

    private SimRecord Record(string topic, string key, Action<Utf8JsonWriter> body) => Record(topic, System.Text.Encoding.UTF8.GetBytes(key), body);

    private SimRecord Record(string topic, byte[] key, Action<Utf8JsonWriter> body)
    {
        _buffer.ResetWrittenCount();
        // Feeds write '+' as is; the default encoder would send "\u002B86...".
        using (var writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return new SimRecord(topic, key, _buffer.WrittenSpan.ToArray());
    }
}
