using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Security;
using FraudShield.Contracts.Dispatch.V1;
using FraudShield.Tests.Shared;
using Grpc.Core;
using Grpc.Net.Client;

namespace FraudShield.AlertDispatch.Tests;

/// <summary>
/// A real dispatch server on loopback with an in-process case store in a temp folder, an in-memory outcome sink and
/// a fake clock; optionally with token authentication and something in front of the case store.
/// </summary>
internal sealed class DispatchTestHost : IAsyncDisposable
{
    public const string Secret = "test-secret-0123456789abcdef-0123456789";

    private readonly TempDirectory _folder = new("fraudshield-dispatch");

    private DispatchTestHost()
    {
    }

    public FakeTimeProvider Time { get; } = new();

    public AlertHub Hub { get; private set; } = null!;

    public InProcessCaseStore Store { get; private set; } = null!;

    public InMemoryOutcomeSink Outcomes { get; } = new();

    public CaseService Cases { get; private set; } = null!;

    public DispatchServer Server { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public TokenIssuer Tokens { get; private set; } = null!;

    public AlertStream.AlertStreamClient Stream => new(Channel);

    public Alerts.AlertsClient Alerts => new(Channel);

    public static async Task<DispatchTestHost> StartAsync(bool auth = false, Func<InProcessCaseStore, ICaseStore>? wrap = null)
    {
        var host = new DispatchTestHost();
        host.Hub = new AlertHub(new AlertHubOptions { RetentionCapacity = 1_000, Clock = host.Time });
        host.Store = InProcessCaseStore.Open(host._folder.Path, flushToDisk: false);
        host.Cases = new CaseService(wrap is null ? host.Store : wrap(host.Store), host.Hub, host.Outcomes, new CaseOptions(), host.Time);
        var options = new DispatchServerOptions();
        if (auth)
        {
            options.Auth = new DispatchAuthOptions { TokenSecret = Secret };
        }

        host.Tokens = new TokenIssuer(new DispatchAuthOptions { TokenSecret = Secret });
        host.Server = await DispatchServer.StartAsync(options, host.Hub, host.Cases).WithTimeout();
        host.Channel = GrpcChannel.ForAddress(host.Server.Address);
        return host;
    }

    public Metadata Bearer(DispatchRole role, string scope) =>
        new() { { "authorization", "Bearer " + Tokens.Issue(role, scope, TimeSpan.FromMinutes(10)) } };

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Server.DisposeAsync();
        Cases.Dispose();
        Hub.Dispose();
        await Store.DisposeAsync();
        _folder.Dispose();
    }
}
