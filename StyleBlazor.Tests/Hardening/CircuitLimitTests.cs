using System.Security.Claims;
using System.Net;
using Bunit;
using StyleBlazor.Components.Layout;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Components;
using StudioPage = StyleBlazor.Components.Pages.Studio.Studio;

namespace StyleBlazor.Tests.Hardening;

public class CircuitLimitTests : ComponentTestBase
{
    static OpenCircuits Counter(int perSession = 2, int perAddress = 3) =>
        new(Options.Create(new SubmissionLimitOptions { CircuitsPerSession = perSession, CircuitsPerAddress = perAddress }));

    [Fact]
    public void ASessionOverItsCircuitLimitIsRefusedUntilOneCloses()
    {
        var open = Counter();

        Assert.Null(open.TryOpen("s", "10.0.0.1"));
        Assert.Null(open.TryOpen("s", "10.0.0.1"));
        Assert.Equal(new ConnectionRefusal(PerSession: true, 2), open.TryOpen("s", "10.0.0.1"));
        open.Close("s", "10.0.0.1");

        Assert.Null(open.TryOpen("s", "10.0.0.1"));
        Assert.Equal(2, open.CountOf("s"));
    }

    [Fact]
    public void AnAddressOverItsCircuitLimitIsRefusedWhateverTheSessionAndARefusalCountsNothing()
    {
        var open = Counter();

        Assert.Null(open.TryOpen("a", "10.0.0.1"));
        Assert.Null(open.TryOpen("b", "10.0.0.1"));
        Assert.Null(open.TryOpen("c", "10.0.0.1"));
        Assert.Equal(new ConnectionRefusal(PerSession: false, 3), open.TryOpen("d", "10.0.0.1"));

        Assert.Equal(0, open.CountOf("d"));
        Assert.Null(open.TryOpen("d", "10.0.0.2"));
    }

    [Fact]
    public async Task TheHandlerAdmitsCountsAndReleasesACircuitByItsConnectionsSessionAndAddress()
    {
        var open = Counter(perSession: 1);
        var owner = new CurrentOwner(new HttpContextAccessor());
        owner.UseCircuitUser(new ClaimsPrincipal(OwnerClaims.Identity("session-1", System.Net.IPAddress.Parse("10.0.0.9"), authenticationType: null)));
        CircuitLimitHandler Handler(CircuitAdmission admission) =>
            new(open, admission, owner, NullLogger<CircuitLimitHandler>.Instance);

        var first = new CircuitAdmission();
        var firstHandler = Handler(first);
        await firstHandler.OnCircuitOpenedAsync(null!, default);
        var second = new CircuitAdmission();
        var secondHandler = Handler(second);
        await secondHandler.OnCircuitOpenedAsync(null!, default);

        Assert.Null(first.Refusal);
        Assert.Equal(new ConnectionRefusal(PerSession: true, 1), second.Refusal);
        await secondHandler.OnCircuitClosedAsync(null!, default); // the refused one was never counted
        Assert.Equal(1, open.CountOf("session-1"));
        await firstHandler.OnCircuitClosedAsync(null!, default);
        Assert.Equal(0, open.CountOf("session-1"));
    }

    [Theory]
    [InlineData(true, "This browser already has 5 StyleBlazor tabs open. Close one of them, then reload this page.")]
    [InlineData(false, "Your network address already has 5 StyleBlazor tabs open. Close one of them, then reload this page.")]
    public async Task ARefusedCircuitRendersOnlyWhyAndNoPage(bool perSession, string expected)
    {
        await using var ctx = NewContext();
        ctx.Services.GetRequiredService<CircuitAdmission>().Refusal = new ConnectionRefusal(perSession, 5); // as the handler leaves it

        var gate = ctx.Render<CircuitGate>(p => p.AddChildContent<StudioPage>());

        Assert.Equal(expected, gate.Find("[data-testid=circuit-refused] p").TextContent.Trim());
        Assert.Empty(gate.FindComponents<StudioPage>());
        Assert.Empty(gate.FindAll("[data-testid=studio]"));
        Assert.Empty(Jobs.Submissions);
    }

    [Fact]
    public async Task AnAdmittedCircuitRendersThePage()
    {
        await using var ctx = NewContext();

        var gate = RenderWithProviders<CircuitGate>(ctx, new Dictionary<string, object?>
        {
            [nameof(CircuitGate.ChildContent)] = (Microsoft.AspNetCore.Components.RenderFragment)(b => { b.OpenComponent<StudioPage>(0); b.CloseComponent(); }),
        });

        Assert.Single(gate.FindComponents<StudioPage>());
        Assert.Empty(gate.FindAll("[data-testid=circuit-refused]"));
    }
}

/// <summary>A page load over the tab limit is answered without the Blazor script: no circuit starts, no page renders.</summary>
public sealed class CircuitLimitPageTests : IDisposable
{
    readonly StyleBlazor.Tests.Results.TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("/watch/some-job")]
    [InlineData("/r/some-token")]
    [InlineData("/")]
    public async Task ASessionAtItsLimitGetsAReadablePageInsteadOfAnotherCircuit(string path)
    {
        await using var app = new StyleBlazor.Tests.Results.ResultsApplication(_temp.DataDirectory,
            settings: new Dictionary<string, string?> { ["Limits:CircuitsPerSession"] = "2" });
        var session = BrowserSession.NewId();
        var browser = app.CreateBrowser(session);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/network")).StatusCode);
        var open = app.Services.GetRequiredService<OpenCircuits>();
        open.TryOpen(session, null);
        open.TryOpen(session, null); // two tabs of this browser hold circuits

        var refused = await browser.GetAsync(path);
        var page = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("This browser already has 2 StyleBlazor tabs open. Close one of them, then reload this page.", page);
        Assert.DoesNotContain("_framework/blazor.web", page);
        Assert.Equal("nosniff", refused.Headers.GetValues("X-Content-Type-Options").Single());
        // Another browser, and this one once a tab closes, get the page itself.
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await app.CreateBrowser(BrowserSession.NewId()).GetAsync(path)).StatusCode);
        open.Close(session, null);
        var again = await browser.GetAsync(path);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, again.StatusCode);
        Assert.Contains("_framework/blazor.web", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheRefusalSpeaksTheUsersLanguage()
    {
        await using var app = new StyleBlazor.Tests.Results.ResultsApplication(_temp.DataDirectory,
            settings: new Dictionary<string, string?> { ["Limits:CircuitsPerSession"] = "1" });
        var session = BrowserSession.NewId();
        app.Services.GetRequiredService<OpenCircuits>().TryOpen(session, null);
        var browser = app.CreateClient();
        browser.DefaultRequestHeaders.Add("Cookie", $"{BrowserSession.CookieName}={session}; .AspNetCore.Culture=c%3Dru%7Cuic%3Dru");

        var page = await (await browser.GetAsync("/watch/some-job")).Content.ReadAsStringAsync();

        Assert.Contains("<html lang=\"ru\">", page);
        Assert.Contains("В этом браузере уже открыто вкладок StyleBlazor: 1. Закройте одну из них и перезагрузите эту страницу.", page);
    }
}
