using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;

namespace StyleBlazor.Bench;

/// <summary>
/// A user in the Studio with Debian's headless Chromium: opens the page, uploads the two pictures, presses Start with the
/// default parameters, and times the first frame drawn on the canvas and the finished run, as the browser sees them. The
/// browser runs on the same cores as the app, as in issue 19's 145 s. The bench starts Chromium itself and drives it
/// with Playwright over CDP up to the click, then lets go until the app's log says the job has ended, so that the run is
/// watched by a browser alone, as a user's is.
/// </summary>
static class StudioWatcher
{
    /// <param name="runEnded">Whether the app has ended the job (polled while the bench has let go of the browser).</param>
    /// <param name="started">Called just before the click on Start.</param>
    /// <param name="finished">Called as soon as the run has ended: when <paramref name="runEnded"/> says so, or, with
    /// Playwright attached throughout, when the Studio shows the run finished.</param>
    /// <returns>From the click on Start: the finished phase (after the result is stored), the first frame drawn, the last
    /// frame drawn (the final picture, by the page's own clock), and how many were drawn.</returns>
    public static async Task<(double Wall, double FirstFrame, double FinalFrame, int Frames)> RunAsync(string url, string content, string style,
        Func<bool> runEnded, Action? started = null, Action? finished = null)
    {
        // STYLEBLAZOR_BENCH_TRACE=FILE: Chromium's timeline for 10 s from the first frame (chrome://tracing, Perfetto).
        string? trace = Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_TRACE") is { Length: > 0 } t ? t : null;
        // STYLEBLAZOR_BENCH_ATTACHED=1: Playwright stays attached through the run, as it did until 2026-12-06, with the
        // renderer's main-thread counters. Attached, Chromium reports every WebSocket message of the circuit (the frames
        // too) to the driver, work a user's browser does not do.
        bool attached = trace is not null || Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_ATTACHED") == "1";
        using var chromium = Chromium.Start();
        using var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.ConnectOverCDPAsync(chromium.Endpoint);
        var page = browser.Contexts[0].Pages.FirstOrDefault() ?? await browser.Contexts[0].NewPageAsync();
        await SizeViewportAsync(browser.Contexts[0], page);
        await page.GotoAsync(url + "/");
        // Clicks before the circuit is live are lost: the Studio marks itself ready after its first interactive render.
        await page.Locator("[data-testid=studio][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("input[type=file][data-testid=content-upload]").Last.SetInputFilesAsync(content);
        await page.Locator("[data-testid=content-upload-size]").WaitForAsync();
        await page.Locator("input[type=file][data-testid=style-upload]").Last.SetInputFilesAsync(style);
        await page.Locator("[data-testid=style-upload-size]").WaitForAsync();
        // STYLEBLAZOR_BENCH_THINK_MS=N: a user's pause between the pictures appearing and the click on Start (none by default).
        if (int.TryParse(Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_THINK_MS"), out int think) && think > 0)
            await Task.Delay(think);

        // The renderer's main thread by kind of work (script, style, layout, paint), from Chromium's own counters.
        ICDPSession? cdp = null;
        Dictionary<string, double> before = [];
        if (attached)
        {
            cdp = await browser.Contexts[0].NewCDPSessionAsync(page);
            await cdp.SendAsync("Performance.enable");
            before = await Metrics(cdp);
        }
        // The page notes the click, every frame drawn (not the canvas's reset to 0) and the finished phase on its own
        // clock, for the bench to read when the run has ended: no polling in the page.
        await page.EvaluateAsync("""
            () => {
                const bench = window.__bench = { draws: [] };
                new MutationObserver(records => records.some(r => r.target.dataset.framesDrawn !== '0') && bench.draws.push(performance.now()))
                    .observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-frames-drawn'] });
                new MutationObserver(() => bench.click !== undefined && bench.finished === undefined
                        && document.querySelector('[data-testid=studio][data-phase=completed]') && (bench.finished = performance.now()))
                    .observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-phase'] });
                document.querySelector('[data-testid=start]').addEventListener('click', () => bench.click = performance.now(), { capture: true, once: true });
            }
            """);
        started?.Invoke();
        await page.GetByTestId("start").ClickAsync();
        if (!attached)
        {
            // Connected over CDP, this disconnects and leaves the page running; the bench reads the app's log meanwhile.
            await browser.CloseAsync();
            var limit = Stopwatch.StartNew();
            while (!runEnded())
            {
                if (limit.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException("The Studio's run did not end within 15 minutes.");
                await Task.Delay(100);
            }
            finished?.Invoke();
            browser = await playwright.Chromium.ConnectOverCDPAsync(chromium.Endpoint);
            page = browser.Contexts[0].Pages[0];
        }
        else if (trace is not null)
        {
            await page.WaitForFunctionAsync("() => Number(document.querySelector('canvas[data-testid=canvas]')?.dataset.framesDrawn ?? 0) >= 1",
                null, new() { PollingInterval = 20, Timeout = 600_000 });
            await TraceAsync(cdp!, trace);
        }
        // Let go, the job has ended by now: its page shows it finished within moments, or the job failed.
        await page.Locator("[data-testid=studio][data-phase=completed]").WaitForAsync(new() { Timeout = attached ? 900_000 : 60_000 });
        if (cdp is not null)
        {
            finished?.Invoke();
            var after = await Metrics(cdp);
            Console.WriteLine("  renderer main thread: " + string.Join(", ", after.Where(m => m.Key.EndsWith("Duration") || m.Key is "LayoutCount" or "RecalcStyleCount")
                .Select(m => $"{m.Key} {m.Value - before.GetValueOrDefault(m.Key):F2}")));
        }
        // All on the page's clock from the click itself, so none carries Playwright's checks before the click, a wait's
        // polling interval or the reconnection.
        var run = await page.EvaluateAsync<JsonElement>("""
            () => {
                const b = window.__bench, canvas = document.querySelector('canvas[data-testid=canvas]');
                return { wall: b.finished - b.click, first: b.draws[0] - b.click, final: b.draws.at(-1) - b.click, frames: Number(canvas?.dataset.framesDrawn ?? 0) };
            }
            """);
        double Seconds(string name) => run.GetProperty(name).GetDouble() / 1000;
        return (Seconds("wall"), Seconds("first"), Seconds("final"), run.GetProperty("frames").GetInt32());
    }

    /// <summary>
    /// The page gets 1440×960 CSS pixels, as the bench's Playwright viewport gave it until 2026-12-06. A window of that size
    /// would leave the page 87 px less height (the headless browser's own chrome), with part of the Studio below the fold
    /// and never painted. The window is sized in the browser itself, so it outlasts the bench's CDP session; an emulated
    /// viewport would not.
    /// </summary>
    static async Task SizeViewportAsync(IBrowserContext context, IPage page)
    {
        const int width = 1440, height = 960;
        var cdp = await context.NewCDPSessionAsync(page);
        var chrome = await page.EvaluateAsync<int[]>("() => [outerWidth - innerWidth, outerHeight - innerHeight]");
        var window = (await cdp.SendAsync("Browser.getWindowForTarget"))!.Value.GetProperty("windowId").GetInt32();
        await cdp.SendAsync("Browser.setWindowBounds", new Dictionary<string, object>
        {
            ["windowId"] = window,
            ["bounds"] = new Dictionary<string, object> { ["width"] = width + chrome[0], ["height"] = height + chrome[1] },
        });
        await cdp.DetachAsync();
        var viewport = await page.EvaluateAsync<int[]>("() => [innerWidth, innerHeight]");
        if (viewport[0] != width || viewport[1] != height)
            throw new InvalidOperationException($"Chromium gave the page {viewport[0]}×{viewport[1]} px, not {width}×{height}.");
    }

    static async Task TraceAsync(ICDPSession cdp, string path)
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
        await using var file = File.Create(path);
        while (true)
        {
            var chunk = (await cdp.SendAsync("IO.read", new Dictionary<string, object> { ["handle"] = stream, ["size"] = 1 << 20 }))!.Value;
            var data = chunk.GetProperty("data").GetString()!;
            await file.WriteAsync(chunk.TryGetProperty("base64Encoded", out var b64) && b64.GetBoolean() ? Convert.FromBase64String(data) : System.Text.Encoding.UTF8.GetBytes(data));
            if (chunk.GetProperty("eof").GetBoolean()) break;
        }
    }

    /// <summary>Debian's Chromium started by the bench, as a user starts a browser, with DevTools on a loopback port the
    /// bench can attach to and detach from (a browser Playwright launches ends when its driver lets go).</summary>
    sealed class Chromium : IDisposable
    {
        readonly Process _process;
        readonly string _profile;

        Chromium(Process process, string profile, string endpoint) => (_process, _profile, Endpoint) = (process, profile, endpoint);

        public string Endpoint { get; }

        public static Chromium Start()
        {
            string profile = Directory.CreateTempSubdirectory("styleblazor-bench-chromium-").FullName;
            var info = new ProcessStartInfo("/usr/bin/chromium")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                ArgumentList =
                {
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--lang=en-US",
                    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}",
                },
            };
            // STYLEBLAZOR_BENCH_REDUCED_MOTION=1: a user who asked for less motion (no cross-fade, no animated bars).
            if (Environment.GetEnvironmentVariable("STYLEBLAZOR_BENCH_REDUCED_MOTION") == "1") info.ArgumentList.Add("--force-prefers-reduced-motion");
            info.ArgumentList.Add("about:blank");
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.ErrorDataReceived += (_, e) =>
            {
                const string prefix = "DevTools listening on ";
                if (e.Data is null) endpoint.TrySetException(new InvalidOperationException("Chromium exited before it listened for DevTools."));
                else if (e.Data.StartsWith(prefix)) endpoint.TrySetResult(e.Data[prefix.Length..].Trim());
            };
            process.BeginErrorReadLine();
            if (!endpoint.Task.Wait(TimeSpan.FromSeconds(30)))
                throw new TimeoutException("Chromium did not listen for DevTools within 30 s.");
            return new Chromium(process, profile, endpoint.Task.Result);
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
            try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
        }
    }

    static async Task<Dictionary<string, double>> Metrics(ICDPSession cdp)
    {
        var result = await cdp.SendAsync("Performance.getMetrics");
        return result!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }
}
