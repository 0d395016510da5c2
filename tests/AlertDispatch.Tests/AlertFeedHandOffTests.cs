using FraudShield.AlertDispatch.Tests.Cases;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.AlertDispatch.Tests;

/// <summary>
/// An engine's hand-off of acknowledged alerts (<see cref="AlertFeed.OfferAcknowledged"/>): the offering thread (the
/// producer's delivery reports) never waits for the case store, and the alerts reach the hub in the order offered
/// once the store answers. No cluster: the feed is not started, only handed alerts.
/// </summary>
public sealed class AlertFeedHandOffTests : IAsyncLifetime
{
    private readonly StoreGate _gate = new();
    private CaseHarness _h = null!;

    public Task InitializeAsync()
    {
        _h = CaseHarness.Open("fraudshield-hand-off", wrap: store => new GatedCaseStore(store, _gate));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _gate.Open();
        return _h.DisposeAsync().AsTask();
    }

    [Fact]
    public async Task OfferAcknowledged_CaseStoreNotAnswering_ReturnsAtOnce_ThenPublishesInOrderOffered()
    {
        using var feed = new AlertFeed(KafkaOptions.For("127.0.0.1:1"), _h.Cases, _h.Hub, NullLogger<AlertFeed>.Instance);
        using var console = _h.Hub.Subscribe(AlertScope.All);

        // The store holds the first case's opening until it is opened; every offer must return before that.
        var offers = Task.Run(() =>
        {
            feed.OfferAcknowledged(TestAlerts.Make("A-1", version: 1));
            feed.OfferAcknowledged(TestAlerts.Make("A-1", version: 2));
            feed.OfferAcknowledged(TestAlerts.Make("A-2"));
        });
        await offers.WaitAsync(TimeoutExtensions.DefaultTimeout);
        await _gate.Entered.WaitAsync(TimeoutExtensions.DefaultTimeout);
        Assert.False(console.HasReady);
        Assert.Equal(3, feed.Offered);

        _gate.Open();
        var received = await console.TakeAsync(3);

        Assert.Equal([("A-1", 1), ("A-1", 2), ("A-2", 1)], received.Select(x => (x.AlertId, x.Version)));
        Assert.Equal(2, (await _h.Store.GetAsync("A-1"))!.Alert.Version);
    }

    [Fact]
    public async Task OfferAcknowledged_AfterDispose_IsDroppedWithoutThrowing()
    {
        var feed = new AlertFeed(KafkaOptions.For("127.0.0.1:1"), _h.Cases, _h.Hub, NullLogger<AlertFeed>.Instance);
        _gate.Open();
        using var console = _h.Hub.Subscribe(AlertScope.All);
        feed.OfferAcknowledged(TestAlerts.Make("A-1"));
        Assert.Single(await console.TakeAsync(1));

        feed.Dispose();
        feed.OfferAcknowledged(TestAlerts.Make("A-2"));
        feed.Dispose();

        Assert.Null(await _h.Store.GetAsync("A-2"));
    }

    [Fact]
    public async Task ReadBack_OfAVersionTheHandOffDelivered_IsSkippedUndecoded_AnyOtherIsDelivered()
    {
        _gate.Open();
        using var feed = new AlertFeed(KafkaOptions.For("127.0.0.1:1"), _h.Cases, _h.Hub, NullLogger<AlertFeed>.Instance);
        using var console = _h.Hub.Subscribe(AlertScope.All);
        var handedOver = TestAlerts.Make("A-1", version: 1);
        feed.OfferAcknowledged(handedOver);
        Assert.Equal(("A-1", 1), (await console.TakeAsync(1)).Select(x => (x.AlertId, x.Version)).Single());
        await Poll.UntilAsync(() => feed.AwaitingReadBack == 1, "the hand-off to note the version it delivered", TimeoutExtensions.DefaultTimeout);

        // Its record read back, with bytes after it that no decoder accepts: skipped without decoding.
        feed.ReadBack([.. handedOver.ToByteArray(), 0xFF, 0xFF]);
        Assert.Equal(1, feed.ReadBackSkipped);
        Assert.Equal(0, feed.Undecodable);
        Assert.Equal(0, feed.AwaitingReadBack);

        // A version it did not hand over, and an alert of another engine, are decoded and delivered.
        feed.ReadBack(TestAlerts.Make("A-1", version: 2).ToByteArray());
        feed.ReadBack(TestAlerts.Make("A-2").ToByteArray());
        Assert.Equal([("A-1", 2), ("A-2", 1)], (await console.TakeAsync(2)).Select(x => (x.AlertId, x.Version)));
        Assert.Equal(2, (await _h.Store.GetAsync("A-1"))!.Alert.Version);
        Assert.NotNull(await _h.Store.GetAsync("A-2"));

        // The same record read back once more (a restarted follower) is decoded again: nothing is delivered twice.
        feed.ReadBack(handedOver.ToByteArray());
        Assert.Equal(1, feed.ReadBackSkipped);
        Assert.False(console.HasReady);
    }
}
