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
    /// <returns>From the click on Start: the finished phase (after the result is stored), the first frame drawn, the last
    /// frame drawn (the final picture, by the page's own clock), and how many were drawn.</returns>
    public static async Task<(double Wall, double FirstFrame, double FinalFrame, int Frames)> RunAsync(string url, string content, string style,
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
        await using var context = await browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1440, Height = 960 }, Locale = "en-US",
            // STYLEBLAZOR_BENCH_REDUCED_MOTION=1: a user who asked for less motion (no cross-fade, no animated bars).
            ReducedMotion = Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_REDUCED_MOTION") == "1" ? ReducedMotion.Reduce : ReducedMotion.NoPreference,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(url + "/");
        // Clicks before the circuit is live are lost: the Studio marks itself ready after its first interactive render.
        await page.Locator("[data-testid=studio][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("input[type=file][data-testid=content-upload]").Last.SetInputFilesAsync(content);
        await page.Locator("[data-testid=content-upload-size]").WaitForAsync();
        await page.Locator("input[type=file][data-testid=style-upload]").Last.SetInputFilesAsync(style);
        await page.Locator("[data-testid=style-upload-size]").WaitForAsync();

        // The renderer's main thread by kind of work (script, style, layout, paint), from Chromium's own counters.
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Performance.enable");
        var before = await Metrics(cdp);
        // The page notes the click and every frame drawn (not the canvas's reset to 0) on its own clock, so the final frame needs
        // no polling.
        await page.EvaluateAsync("""
            () => {
                window.__benchDraws = [];
                new MutationObserver(records => records.some(r => r.target.dataset.framesDrawn !== '0') && window.__benchDraws.push(performance.now()))
                    .observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-frames-drawn'] });
                document.querySelector('[data-testid=start]').addEventListener('click', () => window.__benchClick = performance.now(), { capture: true, once: true });
            }
            """);
        started?.Invoke();
        var clock = Stopwatch.StartNew();
        await page.GetByTestId("start").ClickAsync();
        // Both waits poll inside the page, so the bench itself adds little load while the run goes on.
        await page.WaitForFunctionAsync("() => Number(document.querySelector('canvas[data-testid=canvas]')?.dataset.framesDrawn ?? 0) >= 1",
            null, new() { PollingInterval = 20, Timeout = 600_000 });
        // STYLEBLAZOR_BENCH_TRACE=FILE: Chromium's timeline for 10 s from the first frame (chrome://tracing, Perfetto).
        if (Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_TRACE") is { Length: > 0 } trace)
        {
            var complete = new TaskCompletionSource<string>();
            cdp.Event("Tracing.tracingComplete").OnEvent += (_, e) => complete.TrySetResult(e!.Value.GetProperty("stream").GetString()!);
            await cdp.SendAsync("Tracing.start", new Dictionary<string, object>
            {
                ["transferMode"] = "ReturnAsStream",
                ["traceConfig"] = new Dictionary<string, object> { ["includedCategories"] = new[] { "devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink", "cc", "gpu", "v8", "viz" } },
            });
            await Task.Delay(10_000);
            await cdp.SendAsync("Tracing.end");
            string stream = await complete.Task;
            await using var file = File.Create(trace);
            while (true)
            {
                var chunk = (await cdp.SendAsync("IO.read", new Dictionary<string, object> { ["handle"] = stream, ["size"] = 1 << 20 }))!.Value;
                var data = chunk.GetProperty("data").GetString()!;
                await file.WriteAsync(chunk.TryGetProperty("base64Encoded", out var b64) && b64.GetBoolean() ? Convert.FromBase64String(data) : System.Text.Encoding.UTF8.GetBytes(data));
                if (chunk.GetProperty("eof").GetBoolean()) break;
            }
        }
        await page.Locator("[data-testid=studio][data-phase=completed]").WaitForAsync(new() { Timeout = 900_000 });
        double wall = clock.Elapsed.TotalSeconds;
        finished?.Invoke();
        var after = await Metrics(cdp);
        Console.WriteLine("  renderer main thread: " + string.Join(", ", after.Where(m => m.Key.EndsWith("Duration") || m.Key is "LayoutCount" or "RecalcStyleCount")
            .Select(m => $"{m.Key} {m.Value - before.GetValueOrDefault(m.Key):F2}")));
        int frames = int.TryParse(await page.Locator("canvas[data-testid=canvas]").GetAttributeAsync("data-frames-drawn"), out var n) ? n : 0;
        // The first and the final frame on the page's clock from the click itself, so neither carries Playwright's checks
        // before the click or the wait's polling interval.
        var draws = await page.EvaluateAsync<double[]>("() => [window.__benchDraws[0], window.__benchDraws.at(-1)].map(t => (t - window.__benchClick) / 1000)");
        return (wall, draws[0], draws[1], frames);
    }

    static async Task<Dictionary<string, double>> Metrics(ICDPSession cdp)
    {
        var result = await cdp.SendAsync("Performance.getMetrics");
        return result!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }
}
