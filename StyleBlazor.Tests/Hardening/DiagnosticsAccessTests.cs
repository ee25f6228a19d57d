using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using StyleBlazor.Identity;
using StyleBlazor.Tests.Results;

namespace StyleBlazor.Tests.Hardening;

/// <summary>/api/diagnostics (memory, device, queue) answers this machine, or a caller with the configured key; anyone else 404.</summary>
public sealed class DiagnosticsAccessTests : IDisposable
{
    const string Key = "an operator's diagnostics key";
    readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    WebApplicationFactory<Program> App(string remoteAddress, params (string Key, string Value)[] settings) =>
        new ResultsApplication(_temp.DataDirectory, settings: settings.ToDictionary(s => s.Key, s => (string?)s.Value)).ConnectingFrom(remoteAddress);

    static async Task<HttpStatusCode> GetAsync(WebApplicationFactory<Program> app, string? bearer = null, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/diagnostics");
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        var response = await app.CreateClient().SendAsync(request);
        if (response.StatusCode == HttpStatusCode.OK) Assert.Contains("\"rssBytes\":", await response.Content.ReadAsStringAsync());
        return response.StatusCode;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task ACallerOnThisMachineReadsThem(string loopback)
    {
        await using var app = App(loopback);

        Assert.Equal(HttpStatusCode.OK, await GetAsync(app));
    }

    [Fact]
    public async Task ARequestAProxyOnThisMachinePassedOnIsNotLocal()
    {
        await using var app = App("127.0.0.1");

        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(app, forwardedFor: "203.0.113.7"));
    }

    [Fact]
    public async Task BehindATrustedLocalProxyTheClientsAddressDecides()
    {
        await using var app = App("127.0.0.1", ("ForwardedHeaders:KnownProxies:0", "127.0.0.1"));

        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(app, forwardedFor: "203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(app, forwardedFor: "127.0.0.1"));
    }

    [Fact]
    public async Task FromElsewhereOnlyTheConfiguredKeyOpensThem()
    {
        await using var withoutKey = App("203.0.113.7");
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(withoutKey));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(withoutKey, bearer: Key)); // no key configured: none works

        await using var app = App("203.0.113.7", ("Diagnostics:KeySha256", ApiKeys.Sha256Hex(Key)));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(app));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(app, bearer: Key + "x"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(app, bearer: Key));
    }
}
