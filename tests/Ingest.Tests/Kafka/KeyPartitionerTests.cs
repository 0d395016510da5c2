using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using FraudShield.Ingest.Kafka;

namespace FraudShield.Ingest.Tests.Kafka;

/// <summary><see cref="KeyPartitioner"/> against the CRC-32 check value and against librdkafka's own default partitioner.</summary>
public sealed class KeyPartitionerTests(EmbeddedKafkaFixture fixture) : IClassFixture<EmbeddedKafkaFixture>
{
    [Fact]
    public void Crc32_CheckString_IsTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, KeyPartitioner.Crc32("123456789"u8));
        Assert.Equal(0u, KeyPartitioner.Crc32([]));
        Assert.Equal(0x414FA339u, KeyPartitioner.Crc32(Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog")));
    }

    [Fact]
    public async Task Partition_KeysProducedWithLibrdkafkasDefaultPartitioner_LandWhereItSays()
    {
        const int Partitions = 12;
        var topic = EmbeddedKafkaFixture.NewTopic("key-partitioner");
        fixture.Cluster.CreateTopic(topic, Partitions);
        using var producer = new ProducerBuilder<byte[], byte[]>(fixture.Options.CreateProducerConfig()).Build();

        // 8-byte big-endian keys as the counterparty stage writes them, and some text keys of other lengths.
        var keys = Enumerable.Range(0, 200).Select(i =>
        {
            var key = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(key, ((ulong)i * 0x9E3779B97F4A7C15UL) ^ (ulong)i);
            return key;
        }).Concat(Enumerable.Range(0, 40).Select(i => Encoding.UTF8.GetBytes($"party-{i}"))).ToList();

        var placed = new HashSet<int>();
        foreach (var key in keys)
        {
            var report = await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = key, Value = [1] }).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(report.Partition.Value, KeyPartitioner.Partition(key, Partitions));
            placed.Add(report.Partition.Value);
        }

        Assert.Equal(Partitions, placed.Count);
    }

    [Fact]
    public void Partition_EmptyKeyOrNoPartitions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyPartitioner.Partition([], 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyPartitioner.Partition([1], 0));
    }
}
