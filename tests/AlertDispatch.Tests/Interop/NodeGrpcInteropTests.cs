using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Alerts.V1;
using FraudShield.Tests.Shared;

namespace FraudShield.AlertDispatch.Tests.Interop;

/// <summary>
/// A real @grpc/grpc-js peer (npm, installed into tests/AlertDispatch.Tests/node on first use) against the Kestrel
/// server with token authentication on. Protos are loaded by @grpc/proto-loader straight from src/Contracts/Protos.
/// </summary>
public sealed class NodeGrpcInteropTests : IAsyncLifetime, IDisposable
{
    private const string Script = """
        const path = require('path');
        const [modules, protos, target, mode, token, station] = process.argv.slice(2);
        const grpc = require(path.join(modules, '@grpc/grpc-js'));
        const loader = require(path.join(modules, '@grpc/proto-loader'));
        const definition = loader.loadSync(
          ['fraudshield/dispatch/v1/alert_stream.proto', 'fraudshield/dispatch/v1/alerts.proto'],
          { includeDirs: [protos], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
        const v1 = grpc.loadPackageDefinition(definition).fraudshield.dispatch.v1;
        const client = new v1.AlertStream(target, grpc.credentials.createInsecure());
        const md = new grpc.Metadata();
        if (token !== 'none') md.add('authorization', 'Bearer ' + token);
        const name = code => Object.keys(grpc.status).find(k => grpc.status[k] === code);
        const out = line => process.stdout.write(line + '\n');

        if (mode === 'subscribe-ack') {
          const call = client.Subscribe({ station_id: station }, md);
          call.on('metadata', m => out('SUBSCRIBED ' + (m.get('fs-resume-token')[0] || '')));
          call.on('data', delivery => {
            out('ALERT ' + delivery.alert.alert_id + ' ' + delivery.alert.severity);
            client.Ack({ alert_id: delivery.alert.alert_id, operator_id: 'node' }, md, (err, reply) => {
              if (err) { out('ACK_ERROR ' + name(err.code) + ' ' + err.details); } else { out('ACKED ' + reply.case.status + ' ' + reply.case.signed_by); }
              call.cancel();
            });
          });
          call.on('error', err => { out('STATUS ' + name(err.code)); client.close(); });
        } else if (mode === 'deadline') {
          // Warm the connection first (a unary call answered NOT_FOUND), so the deadline measures the stream only.
          client.Ack({ alert_id: 'warm-up' }, md, warm => {
            out('WARM ' + name(warm.code));
            const call = client.Subscribe({ station_id: station }, md, { deadline: Date.now() + 2000 });
            call.on('metadata', () => out('SUBSCRIBED'));
            call.on('data', d => out('ALERT ' + d.alert.alert_id));
            call.on('error', err => { out('STATUS ' + name(err.code)); client.close(); });
          });
        } else if (mode === 'ack') {
          client.Ack({ alert_id: station }, md, (err, reply) => {
            out(err ? 'STATUS ' + name(err.code) + ' ' + err.details : 'ACKED ' + reply.case.status);
            client.close();
          });
        } else {
          const call = client.Subscribe({ station_id: station }, md);
          call.on('data', d => out('ALERT ' + d.alert.alert_id));
          call.on('error', err => { out('STATUS ' + name(err.code) + ' ' + err.details); client.close(); });
        }
        """;

    private DispatchTestHost _host = null!;
    private TempDirectory _scriptFolder = null!;
    private string _modules = null!;

    public async Task InitializeAsync()
    {
        NodeTools.RequireNode();
        _modules = await NodeTools.EnsurePackagesAsync(
            Path.Combine(RepoPaths.Root, "tests", "AlertDispatch.Tests", "node"), "@grpc/grpc-js", "@grpc/grpc-js@1", "@grpc/proto-loader");
        _scriptFolder = new TempDirectory("fraudshield-node");
        await File.WriteAllTextAsync(Path.Combine(_scriptFolder.Path, "client.js"), Script);
        _host = await DispatchTestHost.StartAsync(auth: true);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _scriptFolder?.Dispose();

    [Fact]
    public async Task SubscribeThenAckThenCancel_NodeStationConsole_SignsAndServerDropsTheStream()
    {
        var token = _host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        await using var node = Start("subscribe-ack", token, "S1");
        Assert.StartsWith("SUBSCRIBED 1.", await node.ReadLineAsync(), StringComparison.Ordinal);

        await _host.Cases.PublishAsync(TestAlerts.Make("other", station: "S2")).WithTimeout();
        await _host.Cases.PublishAsync(TestAlerts.Make("mine", station: "S1", severity: Severity.L2)).WithTimeout();

        Assert.Equal("ALERT mine SEVERITY_L2", await node.ReadLineAsync());
        Assert.Equal("ACKED ALERT_STATUS_SIGNED station:S1/node", await node.ReadLineAsync());
        Assert.Equal("STATUS CANCELLED", await node.ReadLineAsync());
        Assert.Equal(0, await node.WaitForExitAsync());
        await Poll.UntilAsync(() => _host.Hub.SubscriberCount == 0, "the server to drop the cancelled stream");
        Assert.Equal(Contracts.Dispatch.V1.CaseEventKind.Signed, Assert.Single(_host.Outcomes.Records).Kind);
    }

    [Fact]
    public async Task Subscribe_NodeDeadline_DeadlineExceededAndServerDropsTheStream()
    {
        var token = _host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        await using var node = Start("deadline", token, "S1");
        Assert.Equal("WARM NOT_FOUND", await node.ReadLineAsync());

        // The server sends headers only once the hub subscription exists, so the call reached the hub.
        Assert.Equal("SUBSCRIBED", await node.ReadLineAsync());
        Assert.Equal("STATUS DEADLINE_EXCEEDED", await node.ReadLineAsync());
        Assert.Equal(0, await node.WaitForExitAsync());
        await Poll.UntilAsync(() => _host.Hub.SubscriberCount == 0, "the server to end the call at its grpc-timeout");
    }

    [Fact]
    public async Task Subscribe_NodeWithoutToken_Unauthenticated_OtherStation_PermissionDenied()
    {
        await using (var none = Start("denied", "none", "S1"))
        {
            Assert.StartsWith("STATUS UNAUTHENTICATED ", await none.ReadLineAsync(), StringComparison.Ordinal);
        }

        var token = _host.Tokens.Issue(DispatchRole.Station, "S1", TimeSpan.FromMinutes(5));
        await using var other = Start("denied", token, "S2");
        Assert.StartsWith("STATUS PERMISSION_DENIED ", await other.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ack_NodeUnknownAlert_NotFound()
    {
        var token = _host.Tokens.Issue(DispatchRole.Centre, "", TimeSpan.FromMinutes(5));
        await using var node = Start("ack", token, "no-such-alert");
        Assert.StartsWith("STATUS NOT_FOUND ", await node.ReadLineAsync(), StringComparison.Ordinal);
    }

    private TestProcess Start(string mode, string token, string station) =>
        TestProcess.Start(
            NodeTools.RequireNode(),
            [Path.Combine(_scriptFolder.Path, "client.js"), _modules, RepoPaths.Protos, $"127.0.0.1:{_host.Server.Address.Port}", mode, token, station]);
}
