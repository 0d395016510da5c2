using System.Runtime.CompilerServices;
using FraudShield.AlertDispatch.Grpc;
using FraudShield.AlertDispatch.Internal;
using FraudShield.Contracts.Dispatch.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FraudShield.AlertDispatch;

/// <summary>
/// Console-side AlertStream client: subscribes, and on a transport failure (or the server shedding a slow or
/// stopping stream) reconnects with the last resume token after a bounded, growing delay, so no alert is lost.
/// </summary>
/// <remarks>
/// The first resume position comes from the <see cref="DispatchMetadata.ResumeTokenKey"/> response header, so even a
/// call that fails before its first alert resumes without a gap. Refusals (INVALID_ARGUMENT, OUT_OF_RANGE,
/// PERMISSION_DENIED, ...) are not retried: they are thrown as <see cref="RpcException"/>; except OUT_OF_RANGE with
/// <see cref="AlertStreamClientOptions.ReplayRetainedOnExpiredToken"/>, which resumes with the replay token the
/// refusal carries (after a dispatch restart: every alert again, duplicates included).
/// </remarks>
public sealed class AlertStreamClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly bool _ownsChannel;
    private readonly AlertStream.AlertStreamClient _client;
    private readonly AlertStreamClientOptions _options;
    private readonly ILogger _logger;
    private int _reconnects;

    /// <summary>Creates a client for an address; <c>http://</c> uses HTTP/2 without TLS (h2c).</summary>
    /// <param name="address">The dispatch server address.</param>
    /// <param name="options">Reconnect policy; defaults when null.</param>
    /// <param name="httpHandler">Handler to use (e.g. one trusting a test certificate); a keep-alive SocketsHttpHandler when null.</param>
    /// <param name="loggerFactory">Where reconnects are logged; nowhere when null.</param>
    public AlertStreamClient(Uri address, AlertStreamClientOptions? options = null, HttpMessageHandler? httpHandler = null, ILoggerFactory? loggerFactory = null)
        : this(CreateChannel(address, httpHandler, loggerFactory), ownsChannel: true, options, loggerFactory)
    {
    }

    /// <summary>Creates a client over a channel the caller owns.</summary>
    public AlertStreamClient(GrpcChannel channel, AlertStreamClientOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(channel ?? throw new ArgumentNullException(nameof(channel)), ownsChannel: false, options, loggerFactory)
    {
    }

    private AlertStreamClient(GrpcChannel channel, bool ownsChannel, AlertStreamClientOptions? options, ILoggerFactory? loggerFactory)
    {
        _channel = channel;
        _ownsChannel = ownsChannel;
        _client = new AlertStream.AlertStreamClient(channel);
        _options = options ?? new AlertStreamClientOptions();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<AlertStreamClient>();
    }

    /// <summary>Resume token of the last alert received (or the start position of the current call); null before any call.</summary>
    public string? LastResumeToken { get; private set; }

    /// <summary>How many times a subscription was re-established after a failure.</summary>
    public int ReconnectCount => Volatile.Read(ref _reconnects);

    /// <summary>
    /// Alerts of the request's scope, in order, across reconnects, until <paramref name="cancellationToken"/> is
    /// cancelled (then <see cref="OperationCanceledException"/>).
    /// </summary>
    /// <exception cref="RpcException">The server refused the subscription, or <see cref="AlertStreamClientOptions.MaxConsecutiveFailures"/> was reached.</exception>
    public async IAsyncEnumerable<AlertDelivery> SubscribeAsync(SubscribeRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var token = string.IsNullOrEmpty(request.ResumeToken) ? null : request.ResumeToken;
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var attempt = request.Clone();
            attempt.ResumeToken = token ?? string.Empty;
            RpcException? failure = null;
            var headers = _options.BearerToken is { Length: > 0 } bearer
                ? new Metadata { { Security.DispatchSecurity.AuthorizationKey, "Bearer " + bearer } }
                : null;
            using (var call = _client.Subscribe(attempt, headers, cancellationToken: cancellationToken))
            {
                try
                {
                    var responseHeaders = await call.ResponseHeadersAsync;
                    token ??= responseHeaders.GetValue(DispatchMetadata.ResumeTokenKey);
                    LastResumeToken = token;
                }
                catch (RpcException ex) when (IsTransient(ex, cancellationToken) || IsReplayable(ex))
                {
                    failure = ex;
                }
                catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
                {
                    throw Cancelled(ex, cancellationToken);
                }

                while (failure is null)
                {
                    bool received;
                    try
                    {
                        received = await call.ResponseStream.MoveNext(cancellationToken);
                    }
                    catch (RpcException ex) when (IsTransient(ex, cancellationToken) || IsReplayable(ex))
                    {
                        failure = ex;
                        break;
                    }
                    catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
                    {
                        throw Cancelled(ex, cancellationToken);
                    }

                    if (!received)
                    {
                        // The service never ends a stream with OK; a clean end is treated like a dropped stream.
                        failure = new RpcException(new Status(StatusCode.Unavailable, "The alert stream ended."));
                        break;
                    }

                    var delivery = call.ResponseStream.Current;
                    token = delivery.ResumeToken;
                    LastResumeToken = token;
                    failures = 0;
                    yield return delivery;
                }
            }

            if (IsReplayable(failure))
            {
                // The position is gone (a restarted dispatch, or past the retention): replay what is retained.
                token = failure.Trailers.GetValue(DispatchMetadata.ResumeTokenKey);
                LastResumeToken = token;
                DispatchLog.ClientReplaying(_logger, _channel.Target);
                Interlocked.Increment(ref _reconnects);
                continue;
            }

            failures++;
            if (_options.MaxConsecutiveFailures is { } max && failures > max)
            {
                throw failure;
            }

            var delay = ReconnectDelay(failures);
            DispatchLog.ClientReconnecting(_logger, _channel.Target, failure.StatusCode, failures, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, cancellationToken);
            Interlocked.Increment(ref _reconnects);
        }
    }

    /// <summary>Disposes the channel when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsChannel)
        {
            _channel.Dispose();
        }
    }

    // A stream that fails while the caller is cancelling (the server went away in the same moment) ends the way
    // cancellation does, as documented, not with the failure.
    private static OperationCanceledException Cancelled(RpcException failure, CancellationToken cancellationToken) =>
        new("The subscription was cancelled.", failure, cancellationToken);

    private static bool IsTransient(RpcException ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && ex.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Aborted;

    private bool IsReplayable(RpcException ex) =>
        _options.ReplayRetainedOnExpiredToken
        && ex.StatusCode == StatusCode.OutOfRange
        && !string.IsNullOrEmpty(ex.Trailers.GetValue(DispatchMetadata.ResumeTokenKey));

    private TimeSpan ReconnectDelay(int failures)
    {
        var initial = _options.InitialReconnectDelay.TotalMilliseconds;
        var max = _options.MaxReconnectDelay.TotalMilliseconds;
        var exponential = Math.Min(max, initial * Math.Pow(2, Math.Min(failures - 1, 30)));

        // Up to 20 % jitter so consoles of one station do not reconnect in lockstep after a restart.
        var jitter = exponential * 0.2 * Random.Shared.NextDouble();
        return TimeSpan.FromMilliseconds(Math.Min(max, exponential + jitter));
    }

    private static GrpcChannel CreateChannel(Uri address, HttpMessageHandler? httpHandler, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(address);
        httpHandler ??= new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = httpHandler,
            DisposeHttpClient = true,
            ThrowOperationCanceledOnCancellation = true,
            LoggerFactory = loggerFactory,
        });
    }
}
