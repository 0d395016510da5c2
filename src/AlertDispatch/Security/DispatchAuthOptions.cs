namespace FraudShield.AlertDispatch.Security;

/// <summary>Console authentication. Off without a secret (loopback demo); with one, every RPC needs a valid token.</summary>
public sealed class DispatchAuthOptions
{
    /// <summary>The minimum secret length in UTF-8 bytes (the HMAC-SHA256 block of security, 256 bits).</summary>
    public const int MinimumSecretBytes = 32;

    /// <summary>HMAC-SHA256 secret shared by <see cref="TokenIssuer"/> and the server; null turns authentication off.</summary>
    public string? TokenSecret { get; set; }

    /// <summary>Tolerance for clock differences when checking expiry. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock expiry is checked against. Default the system clock.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>True when a secret is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(TokenSecret);
}
