using System.Diagnostics;
using System.Globalization;
using FraudShield.AlertDispatch;
using FraudShield.Contracts.Dispatch.V1;

namespace FraudShield.Benchmarks;

/// <summary>
/// <c>fanout-console &lt;address&gt; &lt;streams&gt; &lt;rounds&gt; &lt;alerts-per-round&gt;</c>: the console side of
/// <see cref="FanoutReport"/>, run by it as a separate process. Opens <c>streams</c> subscriptions to everything, each an
/// <see cref="AlertStreamClient"/> on its own HTTP/2 connection (as many consoles would have), parses every delivery as
/// a console does, and once every stream has received a round's alerts prints one line on stdout:
/// <c>round &lt;r&gt; &lt;first-done&gt; &lt;last-done&gt; &lt;gen0&gt; &lt;allocated&gt; &lt;reconnects&gt; &lt;worst-ms,...&gt; &lt;alert-ms,...&gt;</c>,
/// with <see cref="Stopwatch.GetTimestamp"/> values (CLOCK_MONOTONIC, comparable across processes on one machine), the
/// gen0 collections and bytes this process allocated since the round's first alert, and per stream the worst
/// publish-to-receipt time of the round in ms for alerts carrying their publish timestamp in <c>emitted_ms</c>
/// (-1 when none did), then per alert of the round the time until the last of this process's streams received it
/// (<c>-</c> when the alerts carried no timestamp). After the last round the process ends when its stdin is closed. A stream that fails ends the
/// process with exit code 1 (no reconnect: a bench run must not hide one).
/// </summary>
internal static class FanoutConsole
{
    public static async Task<int> RunAsync(Uri address, int streams, int rounds, int perRound)
    {
        var remaining = Enumerable.Range(0, rounds).Select(_ => streams).ToArray();
        var doneAt = new long[rounds, streams];
        var worst = new double[rounds, streams];
        var perAlert = new long[rounds, perRound];
        var started = new int[rounds];
        var gen0AtStart = new int[rounds];
        var allocatedAtStart = new long[rounds];
        var clients = Enumerable.Range(0, streams)
            .Select(_ => new AlertStreamClient(address, new AlertStreamClientOptions { MaxConsecutiveFailures = 0 }))
            .ToArray();
        var output = new Lock();
        try
        {
            var readers = clients.Select((client, stream) => Task.Run(async () =>
            {
                var round = 0;
                var count = 0;
                var worstTicks = -1L;
                await foreach (var delivery in client.SubscribeAsync(new SubscribeRequest { All = true }))
                {
                    var now = Stopwatch.GetTimestamp();
                    if (count == 0 && Interlocked.Exchange(ref started[round], 1) == 0)
                    {
                        gen0AtStart[round] = GC.CollectionCount(0);
                        allocatedAtStart[round] = GC.GetTotalAllocatedBytes();
                    }

                    if (delivery.Alert.EmittedMs != 0)
                    {
                        var ticks = now - delivery.Alert.EmittedMs;
                        worstTicks = Math.Max(worstTicks, ticks);
                        ref var slot = ref perAlert[round, count];
                        for (var seen = Volatile.Read(ref slot); ticks > seen; seen = Volatile.Read(ref slot))
                        {
                            if (Interlocked.CompareExchange(ref slot, ticks, seen) == seen)
                            {
                                break;
                            }
                        }
                    }

                    if (++count < perRound)
                    {
                        continue;
                    }

                    doneAt[round, stream] = now;
                    worst[round, stream] = worstTicks < 0 ? -1 : worstTicks * 1000.0 / Stopwatch.Frequency;
                    if (Interlocked.Decrement(ref remaining[round]) == 0)
                    {
                        lock (output)
                        {
                            Console.Out.WriteLine(RoundLine(round));
                        }
                    }

                    count = 0;
                    worstTicks = -1;
                    if (++round == rounds)
                    {
                        break;
                    }
                }
            })).ToArray();
            await Task.WhenAll(readers);

            // Stays until the bench closes stdin, so that it can still read this process's CPU time.
            while (await Console.In.ReadLineAsync() is not null)
            {
            }

            return 0;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"fanout-console: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        string RoundLine(int round)
        {
            var first = long.MaxValue;
            var last = 0L;
            var worstMs = new string[streams];
            for (var s = 0; s < streams; s++)
            {
                first = Math.Min(first, doneAt[round, s]);
                last = Math.Max(last, doneAt[round, s]);
                worstMs[s] = worst[round, s].ToString("F2", CultureInfo.InvariantCulture);
            }

            var timed = perAlert[round, 0] != 0;
            var alertMs = timed
                ? string.Join(',', Enumerable.Range(0, perRound).Select(a => (perAlert[round, a] * 1000.0 / Stopwatch.Frequency).ToString("F2", CultureInfo.InvariantCulture)))
                : "-";
            return string.Create(CultureInfo.InvariantCulture,
                $"round {round} {first} {last} {GC.CollectionCount(0) - gen0AtStart[round]} {GC.GetTotalAllocatedBytes() - allocatedAtStart[round]} {clients.Sum(c => c.ReconnectCount)} {string.Join(',', worstMs)} {alertMs}");
        }
    }
}
