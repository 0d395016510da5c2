using System.Net;
using System.Security.Cryptography.X509Certificates;
using FraudShield.AlertDispatch.Cases;
using FraudShield.AlertDispatch.Grpc;
using FraudShield.AlertDispatch.Internal;
using FraudShield.AlertDispatch.Security;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudShield.AlertDispatch;

/// <summary>
/// Hosts the dispatch gRPC services (AlertStream, Alerts when a case service is given, plus whatever the host maps)
/// on Kestrel, HTTP/2 only: h2c on loopback, TLS when a certificate is configured. With
/// <see cref="DispatchServerOptions.Auth"/> carrying a secret, every RPC needs a bearer token.
/// </summary>
public sealed class DispatchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private DispatchServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address the server is bound to, with the actual port (e.g. <c>http://127.0.0.1:40123</c>).</summary>
    public Uri Address { get; }

    /// <summary>The server's services (e.g. to resolve something a host registered).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server.</summary>
    /// <param name="options">Listen address, TLS and limits.</param>
    /// <param name="hub">The hub the AlertStream service subscribes to; owned by the caller.</param>
    /// <param name="configureServices">Registers extra services (e.g. for other gRPC services).</param>
    /// <param name="mapExtra">Maps extra endpoints, e.g. <c>endpoints.MapGrpcService&lt;EngineService&gt;()</c>.</param>
    /// <param name="loggerFactory">Where the server logs; null logs nothing.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">The host is not an IP address, or h2c was asked for on a non-loopback address.</exception>
    public static Task<DispatchServer> StartAsync(
        DispatchServerOptions options,
        AlertHub hub,
        Action<IServiceCollection>? configureServices = null,
        Action<IEndpointRouteBuilder>? mapExtra = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default) =>
        StartCoreAsync(options, hub, null, configureServices, mapExtra, loggerFactory, cancellationToken);

    /// <summary>Starts a server with case state: AlertStream with Ack/UpdateStatus/ReportOutcome, and Alerts.</summary>
    /// <param name="options">Listen address, TLS, limits and authentication.</param>
    /// <param name="hub">The hub the AlertStream service subscribes to; owned by the caller.</param>
    /// <param name="cases">The case service (over the hub above); owned by the caller.</param>
    /// <param name="configureServices">Registers extra services (e.g. for other gRPC services).</param>
    /// <param name="mapExtra">Maps extra endpoints.</param>
    /// <param name="loggerFactory">Where the server logs; null logs nothing.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">The host is not an IP address, h2c was asked for on a non-loopback address, or the token secret is too short.</exception>
    public static Task<DispatchServer> StartAsync(
        DispatchServerOptions options,
        AlertHub hub,
        CaseService cases,
        Action<IServiceCollection>? configureServices = null,
        Action<IEndpointRouteBuilder>? mapExtra = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cases);
        return StartCoreAsync(options, hub, cases, configureServices, mapExtra, loggerFactory, cancellationToken);
    }

    private static async Task<DispatchServer> StartCoreAsync(
        DispatchServerOptions options,
        AlertHub hub,
        CaseService? cases,
        Action<IServiceCollection>? configureServices,
        Action<IEndpointRouteBuilder>? mapExtra,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxReceiveMessageSize, 1, nameof(options));

        var ip = ParseHost(options.Host);
        var security = new DispatchSecurity(options.Auth);
        var certificate = options.CertificatePath is null
            ? null
            : X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        if (certificate is null && !IPAddress.IsLoopback(ip) && !options.AllowPlaintextOnNonLoopback)
        {
            throw new ArgumentException(
                $"Refusing to serve without TLS on {options.Host}: configure a certificate or listen on loopback.", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DispatchServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(ip, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            grpc.EnableDetailedErrors = false;
            grpc.Interceptors.Add<DispatchAuthInterceptor>();
        });
        // Services with a generated base class are bound with request marshallers that answer a body that is not
        // protobuf with INVALID_ARGUMENT (in place of grpc-dotnet's default binder, which would report UNKNOWN).
        builder.Services.RemoveAll(typeof(IServiceMethodProvider<>));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(ValidatingServiceMethodProvider<>)));

        // AlertStreamService is bound by this provider (shared encoded deliveries), not by a generated base class.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<AlertStreamService>, AlertStreamMethodProvider>());
        builder.Services.AddSingleton(hub);
        builder.Services.AddSingleton(security);
        if (cases is not null)
        {
            builder.Services.AddSingleton(cases);
        }

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapGrpcService<AlertStreamService>();
        if (cases is not null)
        {
            app.MapGrpcService<AlertsService>();
        }

        mapExtra?.Invoke(app);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        var address = new Uri(bound);
        var logger = app.Services.GetRequiredService<ILogger<DispatchServer>>();
        DispatchLog.ServerStarted(logger, address);
        return new DispatchServer(app, address);
    }

    /// <summary>Stops the server: open streams end with UNAVAILABLE and a resume token, then Kestrel stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(host, out var ip)
            ? ip
            : throw new ArgumentException($"Host '{host}' is not an IP address.", nameof(host));
    }
}
