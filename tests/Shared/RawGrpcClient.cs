using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace FraudShield.Tests.Shared;

/// <summary>
/// A gRPC client built by hand on HttpClient (HTTP/2 with prior knowledge, no generated code): it sends whatever
/// frame bytes a test gives it, so tests can send what no well-behaved client would (oversized length prefixes,
/// garbage messages, truncated frames, wrong content types, unknown paths).
/// </summary>
public sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _address;

    /// <summary>Creates a client for an <c>http://</c> (h2c) server address.</summary>
    public RawGrpcClient(Uri address)
    {
        _address = address;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeoutExtensions.DefaultTimeout,
        };
    }

    /// <summary>A gRPC length-prefixed frame: flag 0 (uncompressed), the big-endian length, the message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message) => Frame(message, (uint)message.Length);

    /// <summary>A frame whose length prefix says <paramref name="declaredLength"/> whatever the message's real length.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message, uint declaredLength)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>
    /// POSTs <paramref name="body"/> to <paramref name="path"/> and reads the whole response: HTTP status, the
    /// gRPC status and message (from the trailers, or from the headers of a trailers-only response) and the
    /// response body's bytes.
    /// </summary>
    public async Task<RawGrpcResponse> CallAsync(string path, byte[] body, string contentType = "application/grpc", string? bearerToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_address, path))
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (bearerToken is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + bearerToken);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WithTimeout();
        var bytes = await response.Content.ReadAsByteArrayAsync().WithTimeout();
        var status = Value(response.TrailingHeaders, "grpc-status") ?? Value(response.Headers, "grpc-status");
        var message = Value(response.TrailingHeaders, "grpc-message") ?? Value(response.Headers, "grpc-message");
        return new RawGrpcResponse(
            response.StatusCode,
            response.Version,
            status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message is null ? null : Uri.UnescapeDataString(message),
            bytes);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static string? Value(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>What a <see cref="RawGrpcClient"/> call got back.</summary>
/// <param name="HttpStatus">The HTTP status.</param>
/// <param name="Version">The HTTP version the response came on.</param>
/// <param name="GrpcStatus">The grpc-status code, null when the response carried none.</param>
/// <param name="GrpcMessage">The grpc-message, percent-decoded.</param>
/// <param name="Body">The response body.</param>
public sealed record RawGrpcResponse(HttpStatusCode HttpStatus, Version Version, int? GrpcStatus, string? GrpcMessage, byte[] Body);
