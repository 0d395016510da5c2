using System.Diagnostics;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Ingest.Simulation;

namespace FraudShield.Host.Runtime;

/// <summary>
/// Drives a <see cref="CitySimulator"/> into Kafka on its own thread: benign traffic at a fixed rate, scheduled by a
/// clock (not by delays, so a slow produce does not lower the offered rate), and the seed scenario at an interval.
/// </summary>
internal sealed class SimulatorRunner : IDisposable
{
    private readonly CitySimulator _city;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly double _rate;
    private readonly TimeSpan _scenarioEvery;
    private readonly CancellationTokenSource _stop = new();
    private readonly Queue<(TimeSpan Due, SimRecord Record)> _later = new();
    private Thread? _thread;
    private long _events;
    private long _scenarios;

    public SimulatorRunner(KafkaOptions kafka, CitySimulator city, double eventsPerSecond, TimeSpan scenarioEvery)
    {
        _city = city;
        _rate = eventsPerSecond;
        _scenarioEvery = scenarioEvery;
        _producer = new ProducerBuilder<byte[], byte[]>(kafka.CreateProducerConfig()).Build();
    }

    /// <summary>How long after the scenario's call record its transfer is produced.</summary>
    public static TimeSpan TransferDelay { get; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Events (calls, transfers, signals) produced so far; the register and watchlists are not counted.</summary>
    public long EventsProduced => Interlocked.Read(ref _events);

    public long Scenarios => Interlocked.Read(ref _scenarios);

    /// <summary>Produces the register and the watchlists and waits until the cluster has them all.</summary>
    public void PublishTables()
    {
        foreach (var record in _city.Register())
        {
            Produce(record);
        }

        foreach (var record in _city.Watchlist())
        {
            Produce(record);
        }

        _producer.Flush(TimeSpan.FromSeconds(30));
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "fraudshield-simulator" };
        _thread.Start();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var nextScenario = TimeSpan.FromSeconds(1);
        while (!_stop.IsCancellationRequested)
        {
            var now = clock.Elapsed;
            var due = (long)(now.TotalSeconds * _rate);
            var wallMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            while (sent < due && !_stop.IsCancellationRequested)
            {
                ProduceEvent(_city.NextBenign(wallMs));
                sent++;
            }

            if (_scenarioEvery > TimeSpan.Zero && now >= nextScenario)
            {
                // The call record arrives when the call ends; the transfer follows a moment later, as in the seed case.
                var records = _city.NextScenario(wallMs + (long)TransferDelay.TotalMilliseconds).Records;
                ProduceEvent(records[0]);
                for (var i = 1; i < records.Count; i++)
                {
                    _later.Enqueue((now + TransferDelay, records[i]));
                }

                Interlocked.Increment(ref _scenarios);
                nextScenario += _scenarioEvery;
            }

            while (_later.TryPeek(out var next) && next.Due <= now)
            {
                ProduceEvent(_later.Dequeue().Record);
            }

            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(5));
        }

        // A scenario started just before the stop still gets its transfer: the run ends with no half-told scenario.
        while (_later.TryDequeue(out var pending))
        {
            ProduceEvent(pending.Record);
        }
    }

    private void ProduceEvent(SimRecord record)
    {
        Produce(record);
        Interlocked.Increment(ref _events);
    }

    private void Produce(SimRecord record)
    {
        while (true)
        {
            try
            {
                _producer.Produce(record.Topic, new Message<byte[], byte[]> { Key = record.Key, Value = record.Value });
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join(TimeSpan.FromSeconds(10));
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
        _stop.Dispose();
    }
}
