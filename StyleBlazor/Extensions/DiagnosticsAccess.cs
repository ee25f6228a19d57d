using System.Net;
using System.Security.Cryptography;
using StyleBlazor.Identity;

namespace StyleBlazor.Extensions;

/// <summary>Who may read <c>/api/diagnostics</c> (section <c>Diagnostics</c>) besides a caller on this machine.</summary>
public sealed class DiagnosticsOptions
{
    public const string Section = "Diagnostics";

    /// <summary>
    /// The SHA-256 (64 hex digits, <c>printf %s "$KEY" | sha256sum</c>) of a key that opens the diagnostics from anywhere
    /// with <c>Authorization: Bearer &lt;key&gt;</c>; empty = loopback only.
    /// </summary>
    [System.ComponentModel.DataAnnotations.RegularExpression("^([0-9a-fA-F]{64})?$", ErrorMessage = "Diagnostics:KeySha256 must be 64 hex digits or empty.")]
    public string KeySha256 { get; set; } = "";
}

/// <summary>
/// <c>/api/diagnostics</c> tells memory, the device and the queue: it answers a caller on this machine (the load tool,
/// an operator's curl) or one with the configured key, and anyone else 404, as if it did not exist.
/// </summary>
public static class DiagnosticsAccess
{
    public static bool IsAllowed(HttpContext context, DiagnosticsOptions options)
    {
        var request = context.Request;
        // A request a proxy on this machine passed on comes from loopback too; unless the proxy is trusted (and its
        // headers consumed, TrustedProxies), its forwarding headers are still there and say it is not local.
        bool forwarded = request.Headers.ContainsKey("X-Forwarded-For") || request.Headers.ContainsKey("Forwarded");
        if (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote) && !forwarded) return true;

        var header = request.Headers.Authorization.ToString();
        if (options.KeySha256.Length != 64 || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(
            Convert.FromHexString(ApiKeys.Sha256Hex(header["Bearer ".Length..].Trim())), Convert.FromHexString(options.KeySha256));
    }
}
