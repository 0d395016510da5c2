using FraudShield.AlertDispatch.Security;

namespace FraudShield.AlertDispatch;

/// <summary>Where and how <see cref="DispatchServer"/> listens.</summary>
public sealed class DispatchServerOptions
{
    /// <summary>IP address to listen on (<c>localhost</c> means loopback). Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free port (read it from <see cref="DispatchServer.Address"/>). Default 0.</summary>
    public int Port { get; set; }

    /// <summary>PKCS#12 (.pfx) certificate for TLS; null serves HTTP/2 without TLS (h2c).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if any.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Allows h2c on a non-loopback address. Off by default: without TLS the server only listens on loopback.
    /// </summary>
    public bool AllowPlaintextOnNonLoopback { get; set; }

    /// <summary>Largest request message accepted, in bytes. Default 1 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = 1024 * 1024;

    /// <summary>How long a stop waits for calls to end after streams were told to finish. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Console authentication: off without a secret (loopback demo); with one, enforced on every RPC.</summary>
    public DispatchAuthOptions Auth { get; set; } = new();
}
