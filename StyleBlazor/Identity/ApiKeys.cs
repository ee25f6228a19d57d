using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace StyleBlazor.Identity;

/// <summary>The HTTP API's callers (section <c>Api</c>).</summary>
public sealed class ApiOptions : IValidatableObject
{
    public const string Section = "Api";

    /// <summary>
    /// False (default): anyone may call the API, owning jobs by a session cookie as a browser does (<c>curl -c jar -b jar</c>).
    /// True: every call needs <c>Authorization: Bearer &lt;key&gt;</c> with a key listed in <see cref="KeySha256"/>.
    /// </summary>
    public bool RequireKey { get; set; }

    /// <summary>The SHA-256 of each accepted key, as 64 hex digits (<c>printf %s "$KEY" | sha256sum</c>); the keys themselves are never stored.</summary>
    public List<string> KeySha256 { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var hash in KeySha256.Where(h => h.Length != 64 || !h.All(Uri.IsHexDigit)))
            yield return new ValidationResult($"Api:KeySha256 entries must be 64 hex digits (got '{hash}').");
        if (RequireKey && KeySha256.Count == 0)
            yield return new ValidationResult("Api:RequireKey is true but Api:KeySha256 lists no key.");
    }
}

/// <summary>Bearer keys for the HTTP API: each key is its own owner, named by its hash so the owner id reveals nothing.</summary>
public static class ApiKeys
{
    public const string Scheme = "ApiKey";
    public const string Policy = "ApiCaller";

    /// <summary>The owner id of a key: "key-" and the first 16 hex digits of its SHA-256.</summary>
    public static string OwnerIdOf(string keySha256) => "key-" + keySha256[..16].ToLowerInvariant();

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> against <see cref="ApiOptions.KeySha256"/>.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<ApiOptions> api) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = Request.Headers.Authorization.ToString();
        if (header.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <key>'."));
        var presented = Convert.FromHexString(ApiKeys.Sha256Hex(header["Bearer ".Length..].Trim()));
        // Compared in constant time against every listed hash, so the time taken says nothing about near misses.
        string? match = null;
        foreach (var listed in api.Value.KeySha256)
            if (CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(listed))) match = listed;
        if (match is null) return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        var identity = OwnerClaims.Identity(ApiKeys.OwnerIdOf(match), Context.Connection.RemoteIpAddress, ApiKeys.Scheme);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeys.Scheme)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return Microsoft.AspNetCore.Http.Results.Problem("This server's API needs 'Authorization: Bearer <key>' with a key its operator gave you.",
            statusCode: StatusCodes.Status401Unauthorized, title: "An API key is needed").ExecuteAsync(Context);
    }
}
