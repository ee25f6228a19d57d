using Microsoft.Playwright;
using static StyleBlazor.Tests.EndToEnd.StudioDriver;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// A Studio run belongs to the browser that made it: it is in that browser's My results and nobody else's, Share gives
/// its permanent link even after a visit to another page, and revoking the link ends the job's result URL too.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class OwnershipEndToEndTests(AppServer app, Browser browser)
{
    [Fact]
    public async Task AStudioRunIsThisBrowsersSharedByItsPermanentLinkAndRevokedEverywhere()
    {
        await using var context = await browser.NewUserAsync();
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = app.BaseUrl });
        var page = await OpenStudioAsync(app, context);
        await UploadAsync(page, "photo-red-panda.webp", "art-hokusai-ejiri-suruga.png");
        await SetParametersAsync(page, iterations: 20, size: 128);
        await page.GetByTestId("start").ClickAsync();
        await WaitForPhaseAsync(page, "completed");
        var jobId = await page.GetByTestId("studio").GetAttributeAsync("data-job");
        var shareLink = await Input(page, "share-link").InputValueAsync();
        Assert.Matches($"^{app.BaseUrl}/r/[A-Za-z0-9_-]{{32}}$", shareLink);

        // Leave the Studio and come back (within the app, as a user clicks): Share still copies the /r/ link.
        await page.GetByTestId("nav-network").ClickAsync();
        await page.Locator("[data-testid=network][data-ready=true]").WaitForAsync();
        await page.GetByTestId("nav-studio").ClickAsync();
        await page.Locator("[data-testid=studio][data-phase=completed]").WaitForAsync();
        Assert.Equal(shareLink, await Input(page, "share-link").InputValueAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        await WaitUntilAsync(async () => await page.EvaluateAsync<string>("() => navigator.clipboard.readText()") == shareLink, 10_000, "the link on the clipboard");

        // The run is in this browser's My results, and not in another browser's.
        var mine = await context.NewPageAsync();
        await mine.GotoAsync(app.BaseUrl + "/my-results");
        await mine.GetByTestId("my-result").First.WaitForAsync();
        Assert.Equal(1, await mine.GetByTestId("my-result").CountAsync());
        await using (var stranger = await browser.NewUserAsync())
        {
            var theirs = await stranger.NewPageAsync();
            await theirs.GotoAsync(app.BaseUrl + "/my-results");
            await theirs.GetByTestId("no-results").WaitForAsync();
            Assert.Equal(0, await theirs.GetByTestId("my-result").CountAsync());
        }

        // Revoked: the share link is gone (410), and so is the job's result URL (404).
        Assert.Equal(200, (await context.APIRequest.GetAsync($"{app.BaseUrl}/api/jobs/{jobId}/result.png")).Status);
        await mine.GetByTestId("revoke").ClickAsync();
        await mine.GetByTestId("state").Filter(new() { HasText = "revoked" }).WaitForAsync();
        Assert.Equal(410, (await context.APIRequest.GetAsync(shareLink)).Status);
        Assert.Equal(404, (await context.APIRequest.GetAsync($"{app.BaseUrl}/api/jobs/{jobId}/result.png")).Status);
        Assert.Equal(404, (await context.APIRequest.GetAsync($"{app.BaseUrl}/api/jobs/{jobId}")).Status);
    }
}
