using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace StyleBlazor.Results;

/// <summary>Capability tokens of share links: 192 random bits, base64url without padding (32 characters).</summary>
public static class ShareToken
{
    private const int RandomBytes = 24;
    public const int Length = 32; // 24 bytes encode to exactly 32 base64url characters, no padding bits

    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    public static bool IsWellFormed(string? token)
    {
        if (token is null || token.Length != Length) return false;
        foreach (var c in token)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));

    /// <summary>
    /// The hash to look up for any input. A malformed token maps to a hash no token has (all zeros), so a guessed, a
    /// malformed and an unknown token all take the same path: one indexed query that finds nothing.
    /// </summary>
    public static byte[] LookupHash(string? token) => IsWellFormed(token) ? Hash(token!) : new byte[SHA256.HashSizeInBytes];
}
