using System.Diagnostics;
using Microsoft.Playwright;

namespace StyleBlazor.Bench;

/// <summary>
/// A user in the Studio with Debian's headless Chromium (Playwright; its own browser download cannot work here): opens
/// the page, uploads the two pictures, presses Start with the default parameters, and times the first frame drawn on
/// the canvas and the finished run, as the browser sees them. The browser runs on the same cores as the app, as in
/// issue 19's 145 s.
/// </summary>
static class StudioWatcher
{
    /// <param name="started">Called just before the click on Start.</param>
    /// <param name="finished">Called as soon as the Studio shows the run finished.</param>
    public static async Task<(double Wall, double FirstFrame, int Frames)> RunAsync(string url, string content, string style,
        Action? started = null, Action? finished = null)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
            ],
        });
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 960 }, Locale = "en-US" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(url + "/");
        // Clicks before the circuit is live are lost: the Studio marks itself ready after its first interactive render.
        await page.Locator("[data-testid=studio][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("input[type=file][data-testid=content-upload]").Last.SetInputFilesAsync(content);
        await page.Locator("[data-testid=content-upload-size]").WaitForAsync();
        await page.Locator("input[type=file][data-testid=style-upload]").Last.SetInputFilesAsync(style);
        await page.Locator("[data-testid=style-upload-size]").WaitForAsync();

        started?.Invoke();
        var clock = Stopwatch.StartNew();
        await page.GetByTestId("start").ClickAsync();
        // Both waits poll inside the page, so the bench itself adds little load while the run goes on.
        await page.WaitForFunctionAsync("() => Number(document.querySelector('canvas[data-testid=canvas]')?.dataset.framesDrawn ?? 0) >= 1",
            null, new() { PollingInterval = 20, Timeout = 600_000 });
        double firstFrame = clock.Elapsed.TotalSeconds;
        await page.Locator("[data-testid=studio][data-phase=completed]").WaitForAsync(new() { Timeout = 900_000 });
        double wall = clock.Elapsed.TotalSeconds;
        finished?.Invoke();
        int frames = int.TryParse(await page.Locator("canvas[data-testid=canvas]").GetAttributeAsync("data-frames-drawn"), out var n) ? n : 0;
        return (wall, firstFrame, frames);
    }
}
