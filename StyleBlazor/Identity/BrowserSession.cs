using System.Buffers.Text;
using System.Security.Cryptography;

namespace StyleBlazor.Identity;

/// <summary>
/// An anonymous browser session: a long random id in an HttpOnly, SameSite=Lax cookie. It is who owns a job and its
/// results, unless the caller of the HTTP API signs in with a key (<see cref="ApiKeys"/>).
/// </summary>
public static class BrowserSession
{
    public const string CookieName = "sb-session";

    /// <summary>256 random bits, base64url (43 characters).</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Only ids of our own shape are accepted back from a cookie.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: 43 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>
/// Issues the session cookie when a request has none (or a malformed one) and puts the owner on the request's user
/// (<see cref="OwnerClaims"/>), so hubs read it from <c>Context.User</c> and Blazor circuits from their authentication
/// state (which the framework takes from the circuit's connection).
/// </summary>
public sealed class BrowserSessionMiddleware(RequestDelegate next)
{
    static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    public Task InvokeAsync(HttpContext context)
    {
        var id = context.Request.Cookies[BrowserSession.CookieName];
        if (!BrowserSession.IsWellFormed(id))
        {
            id = BrowserSession.NewId();
            context.Response.Cookies.Append(BrowserSession.CookieName, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                IsEssential = true,
                Path = "/",
                MaxAge = Lifetime,
            });
        }
        // An extra, unauthenticated identity: it identifies a browser, it does not sign anyone in.
        context.User.AddIdentity(OwnerClaims.Identity(id!, context.Connection.RemoteIpAddress, authenticationType: null));
        return next(context);
    }
}
