using FraudShield.Host.Bench;

namespace FraudShield.EndToEnd.Tests.Bench;

/// <summary>
/// The bench's CPU-by-thread profile: this process's threads read from /proc, and two readings grouped by name into
/// what each part of the path used between them.
/// </summary>
public sealed class ThreadCpuTests
{
    [Fact]
    public void ByGroup_ThreadsOfOneNameBesideDigits_SumsTheirTicksSinceBefore()
    {
        var before = new Dictionary<int, (string, long)> { [1] = ("rdk:broker1", 100), [2] = ("rdk:broker2", 50), [3] = ("fraudshield-eng", 10) };
        var after = new Dictionary<int, (string, long)> { [1] = ("rdk:broker1", 130), [2] = ("rdk:broker2", 70), [3] = ("fraudshield-eng", 410) };

        var groups = ThreadCpu.ByGroup(before, after);

        Assert.Equal([new ThreadGroupCpu("fraudshield-eng", 1, 4.0), new ThreadGroupCpu("rdk:broker#", 2, 0.5)], groups);
    }

    [Fact]
    public void ByGroup_AThreadStartedInBetweenOrItsIdReused_CountsAllItsTicks()
    {
        var before = new Dictionary<int, (string, long)> { [7] = (".NET TP Worker", 900) };
        var after = new Dictionary<int, (string, long)> { [7] = ("rdk:main", 25), [8] = ("rdk:main", 75) };

        Assert.Equal([new ThreadGroupCpu("rdk:main", 2, 1.0)], ThreadCpu.ByGroup(before, after));
    }

    [Fact]
    public void Sum_TwoStepsSharingAName_AddsSecondsAndKeepsTheMostThreads()
    {
        IReadOnlyList<ThreadGroupCpu> one = [new("rdk:mock", 1, 2.0), new(".NET TP Worker", 3, 1.0)];
        IReadOnlyList<ThreadGroupCpu> two = [new(".NET TP Worker", 5, 4.0)];

        Assert.Equal([new ThreadGroupCpu(".NET TP Worker", 5, 5.0), new ThreadGroupCpu("rdk:mock", 1, 2.0)], ThreadCpu.Sum([one, two]));
    }

    [Fact]
    public void All_ThisProcess_FindsANamedThreadThatSpins()
    {
        using var stop = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                Thread.SpinWait(1_000);
            }
        }) { Name = "cpu-test-spin", IsBackground = true };
        var before = ThreadCpu.All();
        thread.Start();
        try
        {
            double Spun() => ThreadCpu.ByGroup(before, ThreadCpu.All()).FirstOrDefault(g => g.Group == "cpu-test-spin")?.Seconds ?? 0;
            Assert.True(SpinWait.SpinUntil(() => Spun() >= 0.05, TimeSpan.FromSeconds(30)), $"the spinning thread was seen using {Spun()} s");
        }
        finally
        {
            stop.Set();
            thread.Join();
        }
    }
}
