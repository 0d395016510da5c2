using System.Diagnostics;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;
using FraudShield.Tests.Shared;

namespace FraudShield.Ingest.Tests.Kafka;

public sealed class PartitionOffsetsTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public void Store_AfterSeveralMarks_StoresTheLatestOfEachPartitionOnce()
    {
        var (topic, consumer) = AssignedConsumer(partitions: 2, assign: 2);
        using (consumer)
        {
            var offsets = new PartitionOffsets();
            offsets.MarkDone(topic, 0, 5);
            offsets.MarkDone(topic, 1, 3);
            offsets.MarkDone(topic, 0, 7);

            Assert.Equal(2, offsets.Store(consumer));
            Assert.Equal(-1, offsets.Pending(topic, 0));
            Assert.Equal(0, offsets.Store(consumer));

            consumer.Commit();
            var committed = consumer.Committed(Timeout).ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
            Assert.Equal(7, committed[0]);
            Assert.Equal(3, committed[1]);
        }
    }

    [Fact]
    public void Store_PartitionNoLongerAssigned_SkipsItAndStoresTheOthers()
    {
        var (topic, consumer) = AssignedConsumer(partitions: 2, assign: 1);
        using (consumer)
        {
            var offsets = new PartitionOffsets();
            offsets.MarkDone(topic, 0, 4);
            offsets.MarkDone(topic, 1, 9);

            Assert.Equal(1, offsets.Store(consumer));
            Assert.Equal(-1, offsets.Pending(topic, 1));
        }
    }

    [Fact]
    public void StoreIfDue_OnlyOncePerInterval_AndForgetDropsWhatIsPending()
    {
        var (topic, consumer) = AssignedConsumer(partitions: 1, assign: 1);
        using (consumer)
        {
            var offsets = new PartitionOffsets(TimeSpan.FromHours(1));
            offsets.MarkDone(topic, 0, 2);
            Assert.False(offsets.StoreIfDue(consumer, Stopwatch.GetTimestamp()));
            Assert.Equal(2, offsets.Pending(topic, 0));

            var due = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency * 3600);
            Assert.True(offsets.StoreIfDue(consumer, due));
            Assert.Equal(-1, offsets.Pending(topic, 0));

            offsets.MarkDone(topic, 0, 3);
            offsets.Forget(topic, 0);
            Assert.Equal(-1, offsets.Pending(topic, 0));
            Assert.Equal(0, offsets.Store(consumer));
        }
    }

    [Fact]
    public void StoreIfDue_OutputsNotYetAcknowledged_StagesUntilTheyAreThenStoresThoseOffsets()
    {
        var (topic, consumer) = AssignedConsumer(partitions: 1, assign: 1);
        using (consumer)
        using (var producer = new ProducerBuilder<byte[], byte[]>(fixture.Options.CreateProducerConfig()).Build())
        {
            var outputs = new OutputLedger(producer);
            var offsets = new PartitionOffsets(TimeSpan.FromHours(1));
            var due = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency * 3600);

            // Records up to offset 5 produced two alerts, one acknowledged so far: offset 5 waits, staged.
            offsets.MarkDone(topic, 0, 5);
            outputs.OnProduced();
            outputs.OnProduced();
            outputs.OnAcknowledged();
            Assert.False(offsets.StoreIfDue(consumer, due, outputs));
            Assert.Equal(5, offsets.Pending(topic, 0));

            // A later record produces a third output; the second is acknowledged: offset 5 is stored, 8 is not.
            offsets.MarkDone(topic, 0, 8);
            outputs.OnProduced();
            outputs.OnAcknowledged();
            Assert.True(offsets.StoreIfDue(consumer, due, outputs));
            Assert.Equal(8, offsets.Pending(topic, 0));
            consumer.Commit();
            Assert.Equal(5, consumer.Committed(Timeout).Single().Offset.Value);

            // Nothing acknowledged since: 8 is staged at the next due time, and stored once the third output is.
            Assert.False(offsets.StoreIfDue(consumer, due + (2 * Stopwatch.Frequency * 3600), outputs));
            Assert.False(offsets.StoreIfDue(consumer, due + (2 * Stopwatch.Frequency * 3600), outputs));
            outputs.OnAcknowledged();
            Assert.True(offsets.StoreIfDue(consumer, due + (2 * Stopwatch.Frequency * 3600), outputs));
            consumer.Commit();
            Assert.Equal(8, consumer.Committed(Timeout).Single().Offset.Value);
            Assert.Equal(-1, offsets.Pending(topic, 0));
        }
    }

    [Fact]
    public void OutputLedger_Flush_TrueOnceTheProducerDeliveredEverything()
    {
        var topic = EmbeddedKafkaFixture.NewTopic("ledger");
        fixture.Cluster.CreateTopic(topic, 1);
        using var producer = new ProducerBuilder<byte[], byte[]>(fixture.Options.CreateProducerConfig()).Build();
        var outputs = new OutputLedger(producer);
        for (var i = 0; i < 100; i++)
        {
            outputs.OnProduced();
            producer.Produce(topic, new Message<byte[], byte[]> { Value = [(byte)i] }, report =>
            {
                if (!report.Error.IsError)
                {
                    outputs.OnAcknowledged();
                }
            });
        }

        Assert.True(outputs.Flush(Timeout));
        Assert.Equal(100, outputs.Acknowledged);

        // One output counted but never handed over (as after a delivery failure): never all acknowledged.
        outputs.OnProduced();
        Assert.False(outputs.Flush(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task StoreIfDue_DrainingLedger_OffsetsWaitWhileTheOutputCannotBeDelivered_StoredOnceItIs()
    {
        // Outputs on broker 2, the input and the group's commits on broker 1; broker 2 goes away.
        using var cluster = EmbeddedKafkaCluster.Start(brokers: 2);
        cluster.CreateTopic("input", 1);
        cluster.CreateTopic("output", 1);
        cluster.SetPartitionLeader("input", 0, 1);
        cluster.SetPartitionLeader("output", 0, 2);
        var kafka = KafkaOptions.For(cluster.BootstrapServers);
        var config = kafka.CreateProducerConfig();
        config.EnableDeliveryReports = false;
        config.MessageTimeoutMs = 0;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var consumerConfig = kafka.CreateConsumerConfig("draining-" + Guid.NewGuid().ToString("N"));
        consumerConfig.EnableAutoCommit = false; // committed below, once
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(consumerConfig).Build();
        consumer.Assign(new TopicPartitionOffset("input", 0, Offset.Beginning));
        var outputs = OutputLedger.Draining(producer, TimeSpan.FromMilliseconds(100));
        var offsets = new PartitionOffsets(TimeSpan.FromHours(1));
        var due = Stopwatch.GetTimestamp();
        long Later() => due += 2 * Stopwatch.Frequency * 3600;

        // Delivered: an interval's drain succeeds and the position is stored. The first record also waits for the
        // producer's metadata and connection, which can take longer than one 100 ms drain on a loaded machine.
        outputs.OnProduced();
        producer.Produce("output", new Message<byte[], byte[]> { Value = [1] });
        offsets.MarkDone("input", 0, 3);
        await Poll.UntilAsync(() => offsets.StoreIfDue(consumer, Later(), outputs), "the position stored once the first record is delivered", Timeout);
        Assert.Equal(1, outputs.Acknowledged);

        // Broker 2 down: the next output cannot be delivered, so neither its position nor a newer one is stored.
        cluster.SetBrokerDown(2);
        outputs.OnProduced();
        producer.Produce("output", new Message<byte[], byte[]> { Value = [2] });
        offsets.MarkDone("input", 0, 5);
        Assert.False(offsets.StoreIfDue(consumer, Later(), outputs));
        offsets.MarkDone("input", 0, 6);
        Assert.False(offsets.StoreIfDue(consumer, Later(), outputs));
        Assert.Equal(6, offsets.Pending("input", 0));
        Assert.Equal(1, outputs.Acknowledged);

        // Back up: the record is delivered (no message timeout) and the newest position is stored.
        cluster.SetBrokerUp(2);
        await Poll.UntilAsync(() => offsets.StoreIfDue(consumer, Later(), outputs), "the position stored after the broker's return", Timeout);
        Assert.Equal(2, outputs.Acknowledged);
        Assert.Equal(-1, offsets.Pending("input", 0));
        consumer.Commit();
        Assert.Equal(6, consumer.Committed(Timeout).Single().Offset.Value);
    }

    private (string Topic, IConsumer<Ignore, Ignore> Consumer) AssignedConsumer(int partitions, int assign)
    {
        var topic = EmbeddedKafkaFixture.NewTopic("offsets");
        fixture.Cluster.CreateTopic(topic, partitions);
        var consumer = new ConsumerBuilder<Ignore, Ignore>(fixture.Options.CreateConsumerConfig("offsets-" + Guid.NewGuid().ToString("N"))).Build();
        consumer.Assign(Enumerable.Range(0, assign).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        return (topic, consumer);
    }
}
