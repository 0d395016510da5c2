using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Core;

namespace FraudShield.AlertDispatch.Tests.Grpc;

public sealed class AlertStreamClientTests
{
    private static readonly AlertStreamClientOptions FastRetry = new()
    {
        InitialReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task SubscribeAsync_ServerRestartsOnSamePort_ReconnectsWithoutLossOrDuplicates()
    {
        using var hub = new AlertHub();
        var first = await DispatchServer.StartAsync(new DispatchServerOptions(), hub).WithTimeout();
        var port = first.Address.Port;
        DispatchServer? second = null;
        using var client = new AlertStreamClient(first.Address, FastRetry);
        using var cts = new CancellationTokenSource();
        var pump = Pump(client, new SubscribeRequest { StationId = "S1" }, cts.Token, out var received);
        try
        {
            await Poll.UntilAsync(() => hub.SubscriberCount == 1 && client.LastResumeToken is not null, "the client to subscribe");
            hub.Publish(TestAlerts.Make("a1"));
            hub.Publish(TestAlerts.Make("a2"));
            Assert.Equal(["a1", "a2"], await ReadIdsAsync(received, 2));

            await first.DisposeAsync().WithTimeout();
            hub.Publish(TestAlerts.Make("a3"));
            hub.Publish(TestAlerts.Make("x1", station: "S2"));
            hub.Publish(TestAlerts.Make("a4"));

            second = await DispatchServer.StartAsync(new DispatchServerOptions { Port = port }, hub).WithTimeout();
            hub.Publish(TestAlerts.Make("a5"));

            Assert.Equal(["a3", "a4", "a5"], await ReadIdsAsync(received, 3));
            Assert.True(client.ReconnectCount >= 1);
        }
        finally
        {
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pump).WithTimeout();
            if (second is not null)
            {
                await second.DisposeAsync().WithTimeout();
            }
        }
    }

    [Fact]
    public async Task SubscribeAsync_NoScope_ThrowsInvalidArgumentWithoutRetrying()
    {
        using var hub = new AlertHub();
        await using var server = await DispatchServer.StartAsync(new DispatchServerOptions(), hub).WithTimeout();
        using var client = new AlertStreamClient(server.Address, FastRetry);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in client.SubscribeAsync(new SubscribeRequest()))
            {
            }
        }).WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(0, client.ReconnectCount);
    }

    [Fact]
    public async Task SubscribeAsync_TlsServer_DeliversOverHttps()
    {
        using var temp = new TempDirectory();
        using var certificate = CreateSelfSigned();
        var pfx = Path.Combine(temp.Path, "dispatch.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "secret"));

        using var hub = new AlertHub();
        await using var server = await DispatchServer.StartAsync(
            new DispatchServerOptions { CertificatePath = pfx, CertificatePassword = "secret" }, hub).WithTimeout();
        Assert.Equal("https", server.Address.Scheme);

        var thumbprint = certificate.GetCertHashString();
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == thumbprint,
            },
        };
        using var client = new AlertStreamClient(server.Address, FastRetry, handler);
        using var cts = new CancellationTokenSource();
        var pump = Pump(client, new SubscribeRequest { All = true }, cts.Token, out var received);

        await Poll.UntilAsync(() => hub.SubscriberCount == 1, "the TLS client to subscribe");
        hub.Publish(TestAlerts.Make("tls-1"));
        Assert.Equal(["tls-1"], await ReadIdsAsync(received, 1));
        Assert.Equal(0, client.ReconnectCount);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pump).WithTimeout();
    }

    [Fact]
    public async Task StartAsync_PlaintextOnNonLoopback_Refused()
    {
        using var hub = new AlertHub();
        await Assert.ThrowsAsync<ArgumentException>(() => DispatchServer.StartAsync(new DispatchServerOptions { Host = "0.0.0.0" }, hub)).WithTimeout();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SubscribeAsync_NewDispatchProcessOnSamePort_ReplaysItsRetentionWithOption_ElseOutOfRange(bool replay)
    {
        // Two hubs stand for two dispatch processes: the second re-read the same alerts (and one more) before the
        // client came back, as a restarted dispatch re-reads fs.alerts.
        using var oldHub = new AlertHub();
        using var newHub = new AlertHub();
        var first = await DispatchServer.StartAsync(new DispatchServerOptions(), oldHub).WithTimeout();
        DispatchServer? second = null;
        using var client = new AlertStreamClient(first.Address, new AlertStreamClientOptions
        {
            InitialReconnectDelay = FastRetry.InitialReconnectDelay,
            MaxReconnectDelay = FastRetry.MaxReconnectDelay,
            ReplayRetainedOnExpiredToken = replay,
        });
        using var cts = new CancellationTokenSource();
        var pump = Pump(client, new SubscribeRequest { StationId = "S1" }, cts.Token, out var received);
        try
        {
            await Poll.UntilAsync(() => oldHub.SubscriberCount == 1 && client.LastResumeToken is not null, "the client to subscribe");
            oldHub.Publish(TestAlerts.Make("a1"));
            Assert.Equal(["a1"], await ReadIdsAsync(received, 1));

            var port = first.Address.Port;
            await first.DisposeAsync().WithTimeout();
            newHub.Publish(TestAlerts.Make("a1"));
            newHub.Publish(TestAlerts.Make("x1", station: "S2"));
            newHub.Publish(TestAlerts.Make("a2"));
            second = await DispatchServer.StartAsync(new DispatchServerOptions { Port = port }, newHub).WithTimeout();

            if (replay)
            {
                Assert.Equal(["a1", "a2"], await ReadIdsAsync(received, 2));
                newHub.Publish(TestAlerts.Make("a3"));
                Assert.Equal(["a3"], await ReadIdsAsync(received, 1));
            }
            else
            {
                var ex = await Assert.ThrowsAsync<RpcException>(() => pump).WithTimeout();
                Assert.Equal(StatusCode.OutOfRange, ex.StatusCode);
                Assert.Equal(newHub.FormatResumeToken(0), ex.Trailers.GetValue(AlertDispatch.Grpc.DispatchMetadata.ResumeTokenKey));
            }
        }
        finally
        {
            await cts.CancelAsync();
            try
            {
                await pump.WithTimeout();
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException)
            {
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }

    private static Task Pump(AlertStreamClient client, SubscribeRequest request, CancellationToken cancellationToken, out ChannelReader<AlertDelivery> received)
    {
        var channel = Channel.CreateUnbounded<AlertDelivery>();
        received = channel.Reader;
        return Task.Run(async () =>
        {
            try
            {
                await foreach (var delivery in client.SubscribeAsync(request, cancellationToken))
                {
                    channel.Writer.TryWrite(delivery);
                }
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        });
    }

    private static async Task<List<string>> ReadIdsAsync(ChannelReader<AlertDelivery> reader, int count)
    {
        var ids = new List<string>();
        using var cts = new CancellationTokenSource(TimeoutExtensions.DefaultTimeout);
        while (ids.Count < count)
        {
            ids.Add((await reader.ReadAsync(cts.Token)).Alert.AlertId);
        }

        return ids;
    }

    private static X509Certificate2 CreateSelfSigned()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }
}
