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
    [InlineData("/assets/samples/photo-chelsea-cat.png")]
    [InlineData("/culture?set=ru&redirect=/network")]
    public async Task EveryResponseCarriesTheSecurityHeaders(string path)
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        var response = await app.CreateBrowser().GetAsync(path);

        Assert.Equal(path switch
        {
            "/no-such-page" => HttpStatusCode.NotFound,
            ['/', 'c', ..] => HttpStatusCode.Redirect,
            _ => HttpStatusCode.OK,
        }, response.StatusCode);
        AssertSecurityHeaders(response);
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
    }

    [Theory]
    [InlineData("/%09/evil.example")]
    [InlineData("/%0d%0a//evil")]
    [InlineData("//evil.example")]
    [InlineData("/%5cevil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("")]
    public async Task SwitchingLanguageNeverRedirectsOffTheSite(string redirect)
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        var response = await app.CreateBrowser().GetAsync($"/culture?set=en&redirect={redirect}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        Assert.Contains(".AspNetCore.Culture=c%3Den%7Cuic%3Den", Header(response, "Set-Cookie"));
    }

    [Fact]
    public async Task SwitchingLanguageReturnsToThePageItWasAskedFrom()
    {
        await using var app = new ResultsApplication(_temp.DataDirectory);

        var response = await app.CreateBrowser().GetAsync("/culture?set=ru&redirect=%2Fwatch%2Fabc%3Fx%3D1");

        Assert.Equal("/watch/abc?x=1", response.Headers.Location?.OriginalString);
        Assert.Contains(".AspNetCore.Culture=c%3Dru%7Cuic%3Dru", Header(response, "Set-Cookie"));
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
