using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Components.Authorization;

namespace StyleBlazor.Extensions;

/// <summary>
/// An anonymous browser session: a long random id in an HttpOnly, SameSite=Lax cookie. It is who owns a job. The id is
/// put on <see cref="HttpContext.User"/> as a claim, so hubs read it from <c>Context.User</c> and Blazor circuits from
/// their authentication state (which the framework takes from the circuit's connection).
/// </summary>
public static class BrowserSession
{
    public const string CookieName = "sb-session";
    public const string ClaimType = "sb-session";

    /// <summary>The session id carried by <paramref name="user"/>, or null.</summary>
    public static string? IdOf(ClaimsPrincipal? user) => user?.FindFirst(ClaimType)?.Value;

    /// <summary>256 random bits, base64url (43 characters).</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Only ids of our own shape are accepted back from a cookie.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: 43 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>Issues the session cookie when a request has none (or a malformed one) and puts the id on the user.</summary>
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
        // NameIdentifier makes it SignalR's user id too (Clients.User(sessionId)).
        context.User.AddIdentity(new ClaimsIdentity([new Claim(BrowserSession.ClaimType, id!), new Claim(ClaimTypes.NameIdentifier, id!)]));
        return next(context);
    }
}

/// <summary>The current circuit's (or prerendering request's) browser session, for components.</summary>
public sealed class CurrentBrowserSession(AuthenticationStateProvider authentication)
{
    public async Task<string?> GetIdAsync() => BrowserSession.IdOf((await authentication.GetAuthenticationStateAsync()).User);
}
