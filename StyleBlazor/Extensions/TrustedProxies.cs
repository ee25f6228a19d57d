using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace StyleBlazor.Extensions;

/// <summary>
/// The reverse proxies (a TLS terminator in front of the Docker image's HTTP port) whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> are believed (section <c>ForwardedHeaders</c>). Nothing is trusted by default: a client could
/// otherwise name any address it likes and step out of its per-address limits.
/// </summary>
public sealed class TrustedProxyOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of the proxies, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, in CIDR notation, e.g. <c>172.18.0.0/16</c> (a Docker network).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Proxies in a row whose headers are read, nearest first (1: one proxy in front of the app).</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public bool TrustsAny => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return new ValidationResult($"{Section}:KnownProxies: '{proxy}' is not an IP address.");
        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return new ValidationResult($"{Section}:KnownNetworks: '{network}' is not a network in CIDR notation (e.g. 172.18.0.0/16).");
    }
}

public static class TrustedProxies
{
    /// <summary>Binds <see cref="TrustedProxyOptions"/> and makes them the forwarded-headers middleware's only trusted sources.</summary>
    public static IHostApplicationBuilder AddTrustedProxies(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = trusted.Value.ForwardLimit;
            // The framework trusts loopback by default; here only what the operator listed.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies) forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in trusted.Value.KnownNetworks) forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return builder;
    }

    /// <summary>
    /// Behind a listed proxy, the client's address and scheme become the request's (so per-address limits, the session
    /// cookie's <c>Secure</c> flag and HSTS see the real client). Call first: everything after reads them.
    /// </summary>
    public static WebApplication UseTrustedProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value.TrustsAny) app.UseForwardedHeaders();
        return app;
    }

    /// <summary>
    /// HTTPS redirection only where this server itself listens on HTTPS (a TLS proxy in front redirects for it);
    /// otherwise the middleware only logs "Failed to determine the https port for redirect" on every start.
    /// </summary>
    public static WebApplication UseHttpsRedirectionWhereServed(this WebApplication app)
    {
        var configuration = app.Configuration;
        bool https = (configuration["urls"] ?? "").Contains("https://", StringComparison.OrdinalIgnoreCase)
                     || configuration["https_port"] is { Length: > 0 } || configuration["HTTPS_PORTS"] is { Length: > 0 }
                     || configuration.GetSection("Kestrel:Endpoints").GetChildren()
                         .Any(e => (e["Url"] ?? "").StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (https) app.UseHttpsRedirection();
        return app;
    }
}
