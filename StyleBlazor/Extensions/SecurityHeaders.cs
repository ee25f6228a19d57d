namespace StyleBlazor.Extensions;

/// <summary>
/// The security headers every response carries: a Content-Security-Policy fit for Blazor Server and MudBlazor,
/// nosniff, a referrer policy and a frame ban. They are added as the response starts, so a later component that
/// chooses its own referrer policy (the share-link middleware's <c>no-referrer</c> under /r/) keeps it, and a
/// response cleared by the exception handler or re-executed for a status page still gets them.
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    // Blazor Server needs no eval and no inline script of ours; MudBlazor sets inline styles (positions of popovers,
    // sliders, progress) and its theme provider writes a <style> element, hence 'unsafe-inline' for styles only.
    // The circuit and the progress hub are WebSockets back to this origin (ws: or wss:); frames and thumbnails are
    // shown from data: and blob: URLs.
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; " +
        "form-action 'self'; object-src 'none'";

    public const string DefaultReferrerPolicy = "strict-origin-when-cross-origin";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            if (!headers.ContainsKey("Referrer-Policy")) headers["Referrer-Policy"] = DefaultReferrerPolicy;
            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    }
}
