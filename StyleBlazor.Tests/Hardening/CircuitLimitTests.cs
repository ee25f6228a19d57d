using System.Security.Claims;
using Bunit;
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

    [Fact]
    public async Task ARefusedCircuitShowsWhyAndTakesNoUploadsOrJobs()
    {
        await using var ctx = NewContext();
        ctx.Services.GetRequiredService<CircuitAdmission>().Refusal = new ConnectionRefusal(PerSession: true, 5); // as the handler leaves it

        var studio = RenderWithProviders<StudioPage>(ctx);

        Assert.Equal("This browser already has 5 studio tabs open; this one is read-only. Close another tab and reload this one.",
            studio.Find("[data-testid=read-only]").TextContent.Trim());
        Assert.True(studio.Find("[data-testid=content-upload-browse]").HasAttribute("disabled"));
        Assert.True(studio.Find("[data-testid=start]").HasAttribute("disabled"));
        Assert.Empty(Jobs.Submissions);
    }
}
