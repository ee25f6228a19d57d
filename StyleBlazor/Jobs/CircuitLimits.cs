using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;
using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleBlazor.Identity;
using StyleBlazor.Resources;

namespace StyleBlazor.Jobs;

/// <summary>Why a connection was not admitted: which limit, and its value.</summary>
public sealed record ConnectionRefusal(bool PerSession, int Limit);

/// <summary>
/// Counts open long-lived connections per browser session and per client address, and admits a new one only under
/// the limits it is given. A refused connection counts nothing.
/// </summary>
public abstract class OpenConnections(Func<(int PerSession, int PerAddress)> limits)
{
    readonly Lock _gate = new();
    readonly Dictionary<string, int> _perSession = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);

    /// <summary>Counts the connection in, or says which limit it would cross (and counts nothing).</summary>
    public ConnectionRefusal? TryOpen(string? sessionId, string? clientAddress)
    {
        lock (_gate)
        {
            if (WouldRefuse(sessionId, clientAddress) is { } refusal) return refusal;
            if (sessionId is not null) _perSession[sessionId] = _perSession.GetValueOrDefault(sessionId) + 1;
            if (clientAddress is not null) _perAddress[clientAddress] = _perAddress.GetValueOrDefault(clientAddress) + 1;
            return null;
        }
    }

    /// <summary>The limit one more connection would cross now, or null; counts nothing.</summary>
    public ConnectionRefusal? WouldRefuse(string? sessionId, string? clientAddress)
    {
        var (perSession, perAddress) = limits();
        lock (_gate)
        {
            if (sessionId is not null && _perSession.GetValueOrDefault(sessionId) >= perSession) return new(PerSession: true, perSession);
            if (clientAddress is not null && _perAddress.GetValueOrDefault(clientAddress) >= perAddress) return new(PerSession: false, perAddress);
            return null;
        }
    }

    public void Close(string? sessionId, string? clientAddress)
    {
        lock (_gate)
        {
            Decrement(_perSession, sessionId);
            Decrement(_perAddress, clientAddress);
        }
    }

    public int CountOf(string sessionId) { lock (_gate) return _perSession.GetValueOrDefault(sessionId); }

    public int CountOfAddress(string clientAddress) { lock (_gate) return _perAddress.GetValueOrDefault(clientAddress); }

    static void Decrement(Dictionary<string, int> counts, string? key)
    {
        if (key is null || !counts.TryGetValue(key, out var n)) return;
        if (n <= 1) counts.Remove(key); else counts[key] = n - 1;
    }
}

/// <summary>Blazor circuits, under <see cref="SubmissionLimitOptions.CircuitsPerSession"/> and <see cref="SubmissionLimitOptions.CircuitsPerAddress"/>.</summary>
public sealed class OpenCircuits(IOptions<SubmissionLimitOptions> options)
    : OpenConnections(() => (options.Value.CircuitsPerSession, options.Value.CircuitsPerAddress));

/// <summary>
/// Progress hub connections (scripts, projectors, the load tool; the app's own pages read the feed directly), under
/// <see cref="SubmissionLimitOptions.HubConnectionsPerAddress"/>. Each holds watches and buffers, so one address
/// cannot open them without end.
/// </summary>
public sealed class OpenHubConnections(IOptions<SubmissionLimitOptions> options)
    : OpenConnections(() => (int.MaxValue, options.Value.HubConnectionsPerAddress));

/// <summary>This circuit's admission: null refusal = admitted. A refused circuit renders only why (<c>CircuitGate</c>), no page.</summary>
public sealed class CircuitAdmission
{
    public ConnectionRefusal? Refusal { get; internal set; }
}

/// <summary>
/// Admits each circuit as it opens (before its components first render) and counts it out when it closes. A page load
/// over the limit is answered by <see cref="CircuitLimitPage"/> and starts no circuit; one that opens over the limit
/// anyway (two tabs at the same moment, or a script) is refused here, and renders only the reason, no page.
/// </summary>
public sealed class CircuitLimitHandler(OpenCircuits open, CircuitAdmission admission, CurrentOwner owner,
    ILogger<CircuitLimitHandler> logger) : CircuitHandler
{
    (string? Session, string? Address)? _counted;

    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var (session, address) = (owner.Requester?.OwnerId, owner.Requester?.ClientAddress);
        admission.Refusal = open.TryOpen(session, address);
        if (admission.Refusal is null) _counted = (session, address);
        else logger.LogInformation("Circuit refused: over the {Which} limit of {Limit}",
            admission.Refusal.PerSession ? "per-session" : "per-address", admission.Refusal.Limit);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_counted is var (session, address))
        {
            _counted = null;
            open.Close(session, address);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// A page request from a browser session or address that already holds as many circuits as it may gets a plain page
/// that says so (429), without the Blazor script, so no circuit starts and no page component runs for it.
/// </summary>
public sealed class CircuitLimitPage(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, OpenCircuits open, IStringLocalizer<UiText> text)
    {
        if (!HttpMethods.IsGet(context.Request.Method)
            || context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is null
            || OwnerClaims.RequesterOf(context.User) is not { } requester
            || open.WouldRefuse(requester.OwnerId, requester.ClientAddress) is not { } refusal)
        {
            await next(context);
            return;
        }
        var enc = System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All); // Cyrillic as it is
        string Html(string key, params object[] values) => enc.Encode(text[key, values]);
        var page = $$"""
            <!DOCTYPE html>
            <html lang="{{enc.Encode(CultureInfo.CurrentUICulture.TwoLetterISOLanguageName)}}">
            <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1.0" />
            <title>{{Html("CircuitRefusedTitle")}} · StyleBlazor</title><link rel="stylesheet" href="/app.css" /></head>
            <body class="circuit-refused-page">
            <main class="circuit-refused" data-testid="circuit-refused">
            <h1>{{Html("CircuitRefusedTitle")}}</h1>
            <p>{{Html(refusal.PerSession ? "CircuitRefusedSession" : "CircuitRefusedAddress", refusal.Limit)}}</p>
            <p><a href="{{enc.Encode(context.Request.Path + context.Request.QueryString)}}">{{Html("ReloadPage")}}</a></p>
            </main>
            </body>
            </html>
            """;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(page);
    }
}
