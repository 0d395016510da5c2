using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FraudShield.AlertDispatch.Security;

/// <summary>
/// Issues and checks the consoles' bearer tokens: a compact, JWT-like <c>header.payload.signature</c>, each part
/// base64url, signed with HMAC-SHA256 over <c>header.payload</c>. Payload: <c>role</c>, <c>scope</c>, <c>iat</c>,
/// <c>exp</c> (Unix seconds). Written here instead of taking a JWT library: the format is five fields and one MAC,
/// and only this one algorithm is ever accepted (the header must match exactly, so no algorithm confusion).
/// </summary>
/// <remarks>The host exposes it as <c>fraudshield token issue --role station --scope S01</c>.</remarks>
public sealed class TokenIssuer
{
    private const string HeaderJson = """{"alg":"HS256","typ":"FST"}""";
    private static readonly string EncodedHeader = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(HeaderJson));

    private readonly byte[] _key;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _skew;

    /// <summary>Creates an issuer/validator over the options' secret and clock.</summary>
    /// <exception cref="ArgumentException">No secret, or one shorter than <see cref="DispatchAuthOptions.MinimumSecretBytes"/> bytes.</exception>
    public TokenIssuer(DispatchAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.TokenSecret) || Encoding.UTF8.GetByteCount(options.TokenSecret) < DispatchAuthOptions.MinimumSecretBytes)
        {
            throw new ArgumentException($"The token secret must be at least {DispatchAuthOptions.MinimumSecretBytes} bytes.", nameof(options));
        }

        _key = Encoding.UTF8.GetBytes(options.TokenSecret);
        _clock = options.Clock ?? TimeProvider.System;
        _skew = options.ClockSkew < TimeSpan.Zero ? TimeSpan.Zero : options.ClockSkew;
    }

    /// <summary>Creates an issuer over a secret and the system clock.</summary>
    public TokenIssuer(string secret)
        : this(new DispatchAuthOptions { TokenSecret = secret })
    {
    }

    /// <summary>Issues a token for a role and scope, valid from now for <paramref name="lifetime"/>.</summary>
    /// <exception cref="ArgumentException">A station or grid role without a scope, or a non-positive lifetime.</exception>
    public string Issue(DispatchRole role, string scopeId, TimeSpan lifetime)
    {
        var caller = new DispatchCaller(role, scopeId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var now = _clock.GetUtcNow();
        var payload = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("role", DispatchCaller.RoleName(caller.Role));
            writer.WriteString("scope", caller.ScopeId);
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            writer.WriteEndObject();
        }

        var signed = EncodedHeader + "." + Base64Url.EncodeToString(payload.ToArray());
        return signed + "." + Base64Url.EncodeToString(Sign(signed));
    }

    /// <summary>Checks a token and returns its caller.</summary>
    /// <exception cref="DispatchTokenException">Malformed, forged (bad signature or header) or expired; the message says which.</exception>
    public DispatchCaller Validate(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new DispatchTokenException("A bearer token is required (authorization: Bearer <token>).");
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var last = token.LastIndexOf('.');
        if (first <= 0 || last == first || last == token.Length - 1)
        {
            throw new DispatchTokenException("The bearer token is malformed.");
        }

        var signed = token.AsSpan(0, last);
        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(token.AsSpan(last + 1));
        }
        catch (FormatException)
        {
            throw new DispatchTokenException("The bearer token is malformed.");
        }

        if (!CryptographicOperations.FixedTimeEquals(Sign(signed.ToString()), signature)
            || !token.AsSpan(0, first).SequenceEqual(EncodedHeader))
        {
            throw new DispatchTokenException("The bearer token's signature is not valid.");
        }

        string? roleName;
        string? scope;
        long exp;
        try
        {
            using var json = JsonDocument.Parse(Base64Url.DecodeFromChars(token.AsSpan(first + 1, last - first - 1)));
            var root = json.RootElement;
            roleName = root.GetProperty("role").GetString();
            scope = root.GetProperty("scope").GetString();
            exp = root.GetProperty("exp").GetInt64();
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DispatchTokenException("The bearer token's payload is malformed.");
        }

        if (!DispatchCaller.TryParseRole(roleName, out var role))
        {
            throw new DispatchTokenException($"The bearer token's role '{roleName}' is unknown.");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (_clock.GetUtcNow() - _skew >= expires)
        {
            throw new DispatchTokenException(
                $"The bearer token expired at {expires.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}.");
        }

        try
        {
            return new DispatchCaller(role, scope ?? string.Empty);
        }
        catch (ArgumentException)
        {
            throw new DispatchTokenException($"The bearer token of role {roleName} has no scope.");
        }
    }

    private byte[] Sign(string signed) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(signed));
}
