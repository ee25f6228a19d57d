using System.Net;
using StyleBlazor.Extensions;
using StyleBlazor.Tests.Results;

namespace StyleBlazor.Tests.Hardening;

public sealed class SecurityHeaderTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("/")]
    [InlineData("/favicon.svg")]
    [InlineData("/robots.txt")]
    [InlineData("/no-such-page")]
    public async Task EveryResponseCarriesTheSecurityHeaders(string path)
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        var response = await app.CreateBrowser().GetAsync(path);

        Assert.Equal(path == "/no-such-page" ? HttpStatusCode.NotFound : HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders(response);
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
    }

    [Fact]
    public async Task AResultPageCarriesTheSecurityHeadersAndKeepsNoReferrer()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);
        var link = await app.Sink.SaveAsync(SampleResults.Create(app.Sink));
        var browser = app.CreateBrowser();

        foreach (var path in new[] { link.Path, $"{link.Path}/result.png", "/r/not-a-token" })
        {
            var response = await browser.GetAsync(path);

            AssertSecurityHeaders(response);
            Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        }
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        var csp = Header(response, "Content-Security-Policy");
        Assert.Equal(SecurityHeadersMiddleware.ContentSecurityPolicy, csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("connect-src 'self' ws: wss:", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : "";
}
