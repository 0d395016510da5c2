using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests;

public sealed class AlertHubTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Publish_StationScope_DeliversHomeOrCurrentStationOnly()
    {
        using var hub = new AlertHub();
        using var s1 = hub.Subscribe(AlertScope.Station("S1"));
        using var s2 = hub.Subscribe(AlertScope.Station("S2"));

        hub.Publish(TestAlerts.Make("a1", station: "S1"));
        hub.Publish(TestAlerts.Make("a2", station: "S2"));
        hub.Publish(TestAlerts.Make("a3", station: "S3", currentStation: "S1"));
        hub.Publish(TestAlerts.Make("a4", station: "S2"));

        var got1 = await s1.TakeAsync(2);
        var got2 = await s2.TakeAsync(2);
        Assert.Equal(["a1", "a3"], got1.Select(e => e.AlertId));
        Assert.Equal(["a2", "a4"], got2.Select(e => e.AlertId));
    }

    [Fact]
    public async Task Publish_GridScope_DeliversHomeOrCurrentGridOnly()
    {
        using var hub = new AlertHub();
        using var g1 = hub.Subscribe(AlertScope.Grid("G1"));
        using var g2 = hub.Subscribe(AlertScope.Grid("G2"));

        hub.Publish(TestAlerts.Make("a1", grid: "G1"));
        hub.Publish(TestAlerts.Make("a2", grid: "G9", currentGrid: "G1"));
        hub.Publish(TestAlerts.Make("a3", grid: "G2"));

        Assert.Equal(["a1", "a2"], (await g1.TakeAsync(2)).Select(e => e.AlertId));
        Assert.Equal(["a3"], (await g2.TakeAsync(1)).Select(e => e.AlertId));
    }

    [Fact]
    public async Task Publish_AllScope_DeliversEveryAlertInOrder()
    {
        using var hub = new AlertHub();
        using var all = hub.Subscribe(AlertScope.All);
        for (var i = 0; i < 10; i++)
        {
            hub.Publish(TestAlerts.Make($"a{i}", station: $"S{i % 3}"));
        }

        var got = await all.TakeAsync(10);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), got.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Publish_HomeAndCurrentSameStation_DeliversOnce()
    {
        using var hub = new AlertHub();
        using var s1 = hub.Subscribe(AlertScope.Station("S1"));
        hub.Publish(TestAlerts.Make("a1", station: "S1", currentStation: "S1"));
        hub.Publish(TestAlerts.Make("marker", station: "S1"));

        Assert.Equal(["a1", "marker"], (await s1.TakeAsync(2)).Select(e => e.AlertId));
    }

    [Fact]
    public async Task Publish_StampsThePublicationTime_AndAReplayCarriesTheOriginal()
    {
        var clock = new FakeTimeProvider();
        using var hub = new AlertHub(new AlertHubOptions { Clock = clock });
        string token;
        var publishedFirst = clock.NowMs;
        var publishedSecond = publishedFirst + 250;
        using (var live = hub.Subscribe(AlertScope.All))
        {
            hub.Publish(TestAlerts.Make("a1"));
            clock.Advance(TimeSpan.FromMilliseconds(250));
            hub.Publish(TestAlerts.Make("a2"));

            var got = await live.TakeAsync(2);
            Assert.Equal([publishedFirst, publishedSecond], got.Select(e => e.PublishedMs));
            Assert.Equal(publishedSecond, AlertDelivery.Parser.ParseFrom(got[1].EncodedDelivery(AlertScope.All)).PublishedMs);
            token = hub.FormatResumeToken(got[0].Sequence);
        }

        // Resumed five minutes later: the replay is the same delivery, stamped when it was first published.
        clock.Advance(TimeSpan.FromMinutes(5));
        using var resumed = hub.Subscribe(AlertScope.All, token);
        var replayed = Assert.Single(await resumed.TakeAsync(1));
        Assert.Equal("a2", replayed.AlertId);
        Assert.Equal(publishedSecond, AlertDelivery.Parser.ParseFrom(replayed.EncodedDelivery(AlertScope.All)).PublishedMs);
    }

    [Fact]
    public async Task Publish_SameIdAndVersion_PublishedOnce()
    {
        using var hub = new AlertHub();
        using var all = hub.Subscribe(AlertScope.All);

        Assert.True(hub.Publish(TestAlerts.Make("a1", version: 1)));
        Assert.False(hub.Publish(TestAlerts.Make("a1", version: 1)));
        Assert.True(hub.Publish(TestAlerts.Make("a1", version: 2)));
        Assert.False(hub.Publish(TestAlerts.Make("a1", version: 2)));
        Assert.True(hub.Publish(TestAlerts.Make("marker")));

        var got = await all.TakeAsync(3);
        Assert.Equal(["a1/1", "a1/2", "marker/1"], got.Select(e => $"{e.AlertId}/{e.Version}"));
        Assert.Equal(2, hub.DuplicateCount);
        Assert.Equal(3, hub.LastSequence);
    }

    [Fact]
    public void Publish_DeduplicationCapacityExceeded_ForgetsOldestOnly()
    {
        using var hub = new AlertHub(new AlertHubOptions { DeduplicationCapacity = 3 });
        hub.Publish(TestAlerts.Make("a1"));
        hub.Publish(TestAlerts.Make("a2"));
        hub.Publish(TestAlerts.Make("a3"));
        hub.Publish(TestAlerts.Make("a4"));

        Assert.False(hub.Publish(TestAlerts.Make("a4")));
        Assert.False(hub.Publish(TestAlerts.Make("a2")));
        Assert.True(hub.Publish(TestAlerts.Make("a1")));
    }

    [Fact]
    public async Task PublishEscalation_OfAVersionStillRetained_SharesItsEncoding_ElseEncodesItsOwn()
    {
        using var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = 3 });
        using var all = hub.Subscribe(AlertScope.All);
        var tier = (EscalationTier t) => new Escalation { Tier = t, EscalatedMs = 5, MissedDueMs = 4, AckDueMs = 9 };

        hub.Publish(TestAlerts.Make("a1", version: 1));

        // The case store's copies of the same version, as the escalation pass hands them over.
        Assert.True(hub.PublishEscalation(TestAlerts.Make("a1", version: 1), tier(EscalationTier.DistrictCentre)));
        Assert.True(hub.PublishEscalation(TestAlerts.Make("a1", version: 1), tier(EscalationTier.City)));
        Assert.False(hub.PublishEscalation(TestAlerts.Make("a1", version: 1), tier(EscalationTier.City)));

        // A version the hub never published, and one whose publication left the ring: their own encodings.
        Assert.True(hub.PublishEscalation(TestAlerts.Make("a1", version: 2), tier(EscalationTier.DistrictCentre)));
        hub.Publish(TestAlerts.Make("a2"));
        hub.Publish(TestAlerts.Make("a3"));
        hub.Publish(TestAlerts.Make("a4"));
        hub.Publish(TestAlerts.Make("a5"));
        Assert.True(hub.PublishEscalation(TestAlerts.Make("a2"), tier(EscalationTier.City)));

        var got = await all.TakeAsync(9);
        var alertPart = (int i) => got[i].Delivery(AlertScope.All).Alert;
        Assert.Same(alertPart(0), alertPart(1));
        Assert.Same(alertPart(0), alertPart(2));
        Assert.Equal([EscalationTier.Unspecified, EscalationTier.DistrictCentre, EscalationTier.City], got[0..3].Select(e => e.EscalationTier));
        Assert.Equal([null, EscalationTier.DistrictCentre, EscalationTier.City], got[0..3].Select(e => e.DecodeEscalation()?.Tier));
        Assert.Equal(2, got[3].Version);
        Assert.NotSame(alertPart(0), alertPart(3));
        Assert.Equal("a2", got[8].AlertId);
        Assert.NotSame(alertPart(4), alertPart(8));
        Assert.Equal(alertPart(4), alertPart(8));
        Assert.Equal(got[4].DecodeAlert(), got[8].DecodeAlert());
    }

    [Fact]
    public async Task Publish_KeepsTheAlertsEncoding_NotTheInstance()
    {
        using var hub = new AlertHub();
        using var all = hub.Subscribe(AlertScope.All);
        var alert = AlertMasking.EnsureMasked(TestAlerts.Make("a1", station: "S1"));
        var published = alert.Clone();
        hub.Publish(alert);

        // The publisher reuses its instance: what the hub delivers and replays is what was published.
        alert.Home.StationId = "S9";
        alert.Subject.Msisdn = "8613899999999";
        var entry = (await all.TakeAsync(1))[0];
        Assert.Equal(published, entry.DecodeAlert());
        Assert.Equal(published, AlertDelivery.Parser.ParseFrom(entry.EncodedDelivery(AlertScope.Station("S1"))).Alert);
        Assert.True(hub.Routes(AlertScope.Station("S1"), entry.DecodeAlert()));
        using var resumed = hub.Subscribe(AlertScope.Station("S1"), hub.FormatResumeToken(0));
        Assert.Equal("a1", (await resumed.TakeAsync(1))[0].AlertId);
    }

    [Fact]
    public async Task Publish_MissingMaskedNumber_FillsMaskWithoutMutatingInput()
    {
        using var hub = new AlertHub();
        using var all = hub.Subscribe(AlertScope.All);
        var alert = TestAlerts.Make("a1", msisdn: "8613812345678");
        hub.Publish(alert);

        var delivered = (await all.TakeAsync(1))[0].DecodeAlert();
        Assert.Equal("861******5678", delivered.Subject.MsisdnMasked);
        Assert.Equal("8613812345678", delivered.Subject.Msisdn);
        Assert.Equal(string.Empty, alert.Subject.MsisdnMasked);
    }

    [Fact]
    public async Task Subscribe_WithResumeToken_ReplaysRetainedInScopeThenLive()
    {
        using var hub = new AlertHub();
        string token;
        using (var first = hub.Subscribe(AlertScope.Station("S1")))
        {
            hub.Publish(TestAlerts.Make("a1"));
            hub.Publish(TestAlerts.Make("a2"));
            var got = await first.TakeAsync(1);
            token = hub.FormatResumeToken(got[0].Sequence);
        }

        hub.Publish(TestAlerts.Make("x1", station: "S2"));
        hub.Publish(TestAlerts.Make("a3"));

        using var resumed = hub.Subscribe(AlertScope.Station("S1"), token);
        Assert.Equal(2, resumed.ReplayCount);
        hub.Publish(TestAlerts.Make("a4"));

        Assert.Equal(["a2", "a3", "a4"], (await resumed.TakeAsync(3)).Select(e => e.AlertId));
    }

    [Fact]
    public async Task Subscribe_StartResumeToken_ResumesWithoutGapWhenNothingWasRead()
    {
        using var hub = new AlertHub();
        hub.Publish(TestAlerts.Make("old"));
        string start;
        using (var first = hub.Subscribe(AlertScope.All))
        {
            start = first.StartResumeToken;
        }

        hub.Publish(TestAlerts.Make("a1"));
        using var resumed = hub.Subscribe(AlertScope.All, start);
        Assert.Equal(["a1"], (await resumed.TakeAsync(1)).Select(e => e.AlertId));
    }

    [Fact]
    public void Subscribe_TokenOlderThanRetention_ThrowsExpired()
    {
        using var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = 4 });
        for (var i = 1; i <= 10; i++)
        {
            hub.Publish(TestAlerts.Make($"a{i}"));
        }

        // Retained: 7..10. Resuming after 6 is complete; after 5 would skip 6.
        using (hub.Subscribe(AlertScope.All, hub.FormatResumeToken(6)))
        {
        }

        Assert.Throws<ResumeTokenExpiredException>(() => hub.Subscribe(AlertScope.All, hub.FormatResumeToken(5)));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("1.")]
    [InlineData("1.zzzzzzzz.5")]
    [InlineData("1.0000000a.-5")]
    [InlineData("2.00000000.1")]
    public void Subscribe_MalformedToken_ThrowsFormat(string token)
    {
        using var hub = new AlertHub();
        Assert.Throws<ResumeTokenFormatException>(() => hub.Subscribe(AlertScope.All, token));
    }

    [Fact]
    public void Subscribe_TokenFromTheFuture_ThrowsFormat()
    {
        using var hub = new AlertHub();
        hub.Publish(TestAlerts.Make("a1"));
        Assert.Throws<ResumeTokenFormatException>(() => hub.Subscribe(AlertScope.All, hub.FormatResumeToken(2)));
    }

    [Fact]
    public void Subscribe_TokenFromAnotherHub_ThrowsExpired()
    {
        using var earlier = new AlertHub();
        using var hub = new AlertHub();
        hub.Publish(TestAlerts.Make("a1"));
        Assert.Throws<ResumeTokenExpiredException>(() => hub.Subscribe(AlertScope.All, earlier.FormatResumeToken(1)));
    }

    [Fact]
    public async Task Subscribe_WhilePublishing_ResubscribingFromTokensSeesEverySequenceOnce()
    {
        const int Total = 50_000;
        using var hub = new AlertHub(new AlertHubOptions { RetentionCapacity = Total, SubscriberBufferCapacity = Total });
        using var go = new ManualResetEventSlim();
        var publisher = Task.Factory.StartNew(
            () =>
            {
                go.Wait();
                for (var i = 1; i <= Total; i++)
                {
                    hub.Publish(TestAlerts.Make($"a{i}", station: i % 2 == 0 ? "S1" : "S2"));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        // Two readers resubscribe every few alerts while the publisher runs: each must see the contiguous sequence.
        async Task<List<long>> ReadWithResubscribes(AlertScope scope, int expected)
        {
            var seen = new List<long>(expected);
            // From position 0: the first subscription may replay what was already published and then go live.
            var token = hub.FormatResumeToken(0);
            var chunk = 0;
            while (seen.Count < expected)
            {
                using var subscription = hub.Subscribe(scope, token);
                go.Set();
                var want = Math.Min(expected - seen.Count, 1 + (chunk++ * 37 % 500));
                var got = await subscription.TakeAsync(want);
                seen.AddRange(got.Select(e => e.Sequence));
                token = hub.FormatResumeToken(got[^1].Sequence);
            }

            return seen;
        }

        var all = ReadWithResubscribes(AlertScope.All, Total);
        var s1 = ReadWithResubscribes(AlertScope.Station("S1"), Total / 2);
        await Task.WhenAll(all, s1, publisher).WithTimeout(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), await all);
        Assert.Equal(Enumerable.Range(1, Total / 2).Select(i => (long)(i * 2)), await s1);
    }

    [Fact]
    public async Task Publish_SlowSubscriber_DisconnectedWithoutBlockingOthersAndResumes()
    {
        using var hub = new AlertHub(new AlertHubOptions { SubscriberBufferCapacity = 4 });
        using var slow = hub.Subscribe(AlertScope.All);
        using var fast = hub.Subscribe(AlertScope.All);
        var fastReader = fast.TakeAsync(100);

        // Publish does not wait for the slow subscriber: 100 alerts go through while it reads nothing.
        for (var i = 1; i <= 100; i++)
        {
            hub.Publish(TestAlerts.Make($"a{i}"));
            if (i % 4 == 0)
            {
                await Poll.UntilAsync(() => fast.LastSequence == i, $"fast subscriber at {i}");
            }
        }

        Assert.Equal(100, (await fastReader.WithTimeout()).Count);
        Assert.Equal(1, hub.SlowSubscriberDisconnectCount);
        Assert.Equal(1, hub.SubscriberCount);

        // The slow one gets what was buffered, then the disconnect with a token after the last alert read.
        var buffered = new List<long>();
        var ex = await Assert.ThrowsAsync<SubscriberDisconnectedException>(async () =>
        {
            await foreach (var e in slow.ReadAllAsync().WithCancellation(Short))
            {
                buffered.Add(e.Sequence);
            }
        }).WithTimeout();
        Assert.Equal([1L, 2, 3, 4], buffered);
        Assert.Equal(DisconnectReason.SlowSubscriber, ex.Reason);

        using var resumed = hub.Subscribe(AlertScope.All, ex.ResumeToken);
        Assert.Equal(Enumerable.Range(5, 96).Select(i => (long)i), (await resumed.TakeAsync(96)).Select(e => e.Sequence));
    }

    [Fact]
    public async Task Dispose_WithSubscribers_EndsThemWithShuttingDown()
    {
        var hub = new AlertHub();
        using var all = hub.Subscribe(AlertScope.All);
        hub.Publish(TestAlerts.Make("a1"));
        hub.Dispose();

        var ex = await Assert.ThrowsAsync<SubscriberDisconnectedException>(async () =>
        {
            await foreach (var _ in all.ReadAllAsync().WithCancellation(Short))
            {
            }
        }).WithTimeout();
        Assert.Equal(DisconnectReason.ShuttingDown, ex.Reason);
        Assert.Equal(hub.FormatResumeToken(1), ex.ResumeToken);
        Assert.Throws<ObjectDisposedException>(() => hub.Publish(TestAlerts.Make("a2")));
    }

    [Fact]
    public void Masking_ScopeNotCoveringAlert_RemovesFullNumberKeepsMask()
    {
        var alert = AlertMasking.EnsureMasked(TestAlerts.Make("a1", station: "S1"));

        Assert.True(AlertMasking.WithholdsNumber(alert, AlertScope.Station("S2")));
        Assert.False(AlertMasking.WithholdsNumber(alert, AlertScope.Station("S1")));
        Assert.False(AlertMasking.WithholdsNumber(alert, AlertScope.All));
        Assert.False(AlertMasking.WithholdsNumber(TestAlerts.Make("a2", station: "S1", msisdn: ""), AlertScope.Station("S2")));

        var outOfScope = AlertMasking.WithoutNumber(alert);
        Assert.Equal(string.Empty, outOfScope.Subject.Msisdn);
        Assert.Equal("861******5678", outOfScope.Subject.MsisdnMasked);
        Assert.Equal("8613812345678", alert.Subject.Msisdn);
    }
}
