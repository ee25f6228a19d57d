using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using StyleBlazor.Identity;
using StyleBlazor.Tests.Results;

namespace StyleBlazor.Tests.Hardening;

/// <summary>
/// Behind a TLS proxy the app sees the proxy's address and plain HTTP. Only a proxy listed in <c>ForwardedHeaders</c> is
/// believed about the client's address and scheme; the test server's connections come from the address each test names.
/// </summary>
public sealed class ForwardedHeaderTests : IDisposable
{
    const string Proxy = "10.0.0.5";
    readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    WebApplicationFactory<Program> App(string remoteAddress, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?> { ["Results:PageRequestsPerMinute"] = "1" };
        foreach (var (key, value) in settings) all[key] = value;
        return new ResultsApplication(_temp.DataDirectory, settings: all).ConnectingFrom(remoteAddress);
    }

    static HttpRequestMessage FromClient(string path, string clientAddress, string scheme = "https")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-For", clientAddress);
        request.Headers.Add("X-Forwarded-Proto", scheme);
        return request;
    }

    [Fact]
    public async Task BehindAListedProxyEachClientHasItsOwnAddressAndAnHttpsRequestGetsASecureHostCookie()
    {
        await using var app = App(Proxy, ("ForwardedHeaders:KnownProxies:0", Proxy));
        var http = app.CreateClient(new() { HandleCookies = false });

        var first = await http.SendAsync(FromClient("/r/not-a-token", "203.0.113.7"));
        var again = await http.SendAsync(FromClient("/r/not-a-token", "203.0.113.7"));
        var otherClient = await http.SendAsync(FromClient("/r/not-a-token", "198.51.100.2"));

        // One page view a minute per client address: the second client has its own allowance.
        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, otherClient.StatusCode);
        var cookie = SessionCookie(first);
        Assert.StartsWith("__Host-sb-session=", cookie);
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; path=/", cookie);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task APlainHttpRequestThroughTheProxyGetsThePlainCookieWhichIsNotSecure()
    {
        await using var app = App(Proxy, ("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/24"));
        var http = app.CreateClient(new() { HandleCookies = false });

        var cookie = SessionCookie(await http.SendAsync(FromClient("/robots.txt", "203.0.113.7", scheme: "http")));

        Assert.StartsWith("sb-session=", cookie);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("10.9.9.9", "10.0.0.5")] // a proxy that is not the listed one
    [InlineData("127.0.0.1", null)] // nothing listed: not even loopback is trusted
    public async Task ForwardedHeadersFromAnyoneElseAreIgnored(string remoteAddress, string? listedProxy)
    {
        await using var app = listedProxy is null ? App(remoteAddress) : App(remoteAddress, ("ForwardedHeaders:KnownProxies:0", listedProxy));
        var http = app.CreateClient(new() { HandleCookies = false });

        var first = await http.SendAsync(FromClient("/r/not-a-token", "203.0.113.7"));
        var claimingAnotherAddress = await http.SendAsync(FromClient("/r/not-a-token", "198.51.100.2"));

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, claimingAnotherAddress.StatusCode); // the same address: the real one
        var cookie = SessionCookie(first);
        Assert.StartsWith("sb-session=", cookie);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AProxyListThatIsNotAddressesStopsTheStart()
    {
        await using var app = App(Proxy, ("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/99"));

        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("ForwardedHeaders:KnownNetworks: '10.0.0.0/99' is not a network in CIDR notation", failure.ToString());
    }

    [Fact]
    public async Task AnHttpsRequestReadsOnlyTheHostCookieSoAPlainHttpCookieCannotChooseTheSession()
    {
        await using var app = App(Proxy, ("ForwardedHeaders:KnownProxies:0", Proxy));
        var http = app.CreateClient(new() { HandleCookies = false });
        var planted = BrowserSession.NewId();
        var request = FromClient("/robots.txt", "203.0.113.7");
        request.Headers.Add("Cookie", $"{BrowserSession.CookieName}={planted}");

        var cookie = SessionCookie(await http.SendAsync(request));

        Assert.StartsWith("__Host-sb-session=", cookie);
        Assert.DoesNotContain(planted, cookie);
    }

    static string SessionCookie(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.Contains("sb-session="));
}
