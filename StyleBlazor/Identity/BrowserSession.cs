using System.Buffers.Text;
using System.Security.Cryptography;

namespace StyleBlazor.Identity;

/// <summary>
/// An anonymous browser session: a long random id in an HttpOnly, SameSite=Lax cookie. It is who owns a job and its
/// results, unless the caller of the HTTP API signs in with a key (<see cref="ApiKeys"/>).
/// </summary>
public static class BrowserSession
{
    /// <summary>The cookie's name over plain HTTP; over HTTPS it carries the <see cref="SecurePrefix"/> (<see cref="CookieNameFor"/>).</summary>
    public const string CookieName = "sb-session";

    /// <summary>
    /// Over HTTPS (directly, or from a trusted TLS proxy) the cookie is <c>__Host-sb-session</c>: the browser then keeps it
    /// only if it is Secure, for this host alone and the whole path, so a plain-HTTP page or a sibling subdomain cannot
    /// plant a session id of its choosing. Over plain HTTP (<c>dotnet run</c> on localhost, the Docker image without a
    /// proxy) a browser refuses to store a <c>__Host-</c> cookie, since it cannot be Secure, so there it is plain
    /// <c>sb-session</c>. Each scheme reads only its own name.
    /// </summary>
    public const string SecurePrefix = "__Host-";

    public static string CookieNameFor(HttpRequest request) => request.IsHttps ? SecurePrefix + CookieName : CookieName;

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
        var name = BrowserSession.CookieNameFor(context.Request);
        var id = context.Request.Cookies[name];
        // A status page re-executes the pipeline for the same request: keep the id issued the first time.
        if (!BrowserSession.IsWellFormed(id) && context.Items[typeof(BrowserSession)] is string issued) id = issued;
        else if (!BrowserSession.IsWellFormed(id))
        {
            id = BrowserSession.NewId();
            context.Response.Cookies.Append(name, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                IsEssential = true,
                Path = "/",
                MaxAge = Lifetime,
            });
            context.Items[typeof(BrowserSession)] = id;
        }
        // An extra, unauthenticated identity: it identifies a browser, it does not sign anyone in.
        context.User.AddIdentity(OwnerClaims.Identity(id!, context.Connection.RemoteIpAddress, authenticationType: null));
        return next(context);
    }
}
