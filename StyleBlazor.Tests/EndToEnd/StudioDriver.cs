using Microsoft.Playwright;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>What a user does in the Studio, step by step, for the browser tests.</summary>
public static class StudioDriver
{
    public static readonly string Samples = Path.Combine(AppServer.RepositoryRoot, "wwwroot-assets", "samples");
    public static readonly string Screenshots = Path.Combine(AppServer.RepositoryRoot, "docs", "screenshots");

    public static ILocator Input(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    public static async Task<IPage> OpenStudioAsync(AppServer app, IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/");
        // Clicks before the circuit is live are lost: wait for the ready marker set after the first interactive render.
        await page.Locator("[data-testid=studio][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        return page;
    }

    public static async Task UploadAsync(IPage page, string content, string style)
    {
        await page.Locator("input[type=file][data-testid=content-upload]").Last.SetInputFilesAsync(Path.Combine(Samples, content));
        await page.Locator("[data-testid=content-upload-size]").WaitForAsync();
        await page.Locator("input[type=file][data-testid=style-upload]").Last.SetInputFilesAsync(Path.Combine(Samples, style));
        await page.Locator("[data-testid=style-upload-size]").WaitForAsync();
    }

    /// <summary>Adds style picture <paramref name="number"/> (2 for the second) and picks <paramref name="style"/> in it.</summary>
    public static async Task AddStyleAsync(IPage page, int number, string style)
    {
        await page.GetByTestId("add-style").ClickAsync();
        // The new input listens only from its first after-render: a pick before its picker's ready marker is lost.
        await page.Locator($"[data-testid=style-upload-{number}-picker][data-ready=true]").WaitForAsync();
        await page.Locator($"input[type=file][data-testid=style-upload-{number}]").Last.SetInputFilesAsync(Path.Combine(Samples, style));
        await page.Locator($"[data-testid=style-upload-{number}-size]").WaitForAsync();
    }

    public static async Task SetParametersAsync(IPage page, int iterations, int size)
    {
        await Input(page, "param-iterations").FillAsync(iterations.ToString());
        await Input(page, "param-iterations").PressAsync("Tab");
        await Input(page, "param-maxside").FillAsync(size.ToString());
        await Input(page, "param-maxside").PressAsync("Tab");
    }

    public static Task WaitForPhaseAsync(IPage page, string phase, int timeoutMs = 120_000) =>
        page.Locator($"[data-testid=studio][data-phase={phase}]").WaitForAsync(new() { Timeout = timeoutMs });

    public static async Task<int> AttributeAsync(ILocator locator, string name) =>
        int.TryParse(await locator.GetAttributeAsync(name), out var n) ? n : 0;

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, int timeoutMs, string what)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    /// <summary>An init script that counts the animations started on a progression canvas's cross-fade overlay.</summary>
    public const string CountCrossFades = """
        window.__crossFades = 0;
        const animate = Element.prototype.animate;
        Element.prototype.animate = function (...args) {
            if (this.classList?.contains('progression-canvas__fade')) window.__crossFades++;
            return animate.apply(this, args);
        };
        """;

    /// <summary>
    /// An init script under which WebGL names a GPU as its renderer: the tests' Chromium (<c>--disable-gpu</c>) renders
    /// WebGL with SwiftShader, which the page takes for a browser that composites in software.
    /// </summary>
    public const string PresentAGpu = """
        const getContext = HTMLCanvasElement.prototype.getContext;
        HTMLCanvasElement.prototype.getContext = function (type, ...rest) {
            const context = getContext.call(this, type, ...rest);
            if (context && type === 'webgl') {
                const getParameter = context.getParameter.bind(context);
                const renderers = [context.RENDERER, 0x9246]; // UNMASKED_RENDERER_WEBGL
                context.getParameter = p => renderers.includes(p) ? 'ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)' : getParameter(p);
            }
            return context;
        };
        """;

    /// <summary>
    /// Opens <paramref name="url"/> in <paramref name="viewer"/> as a browser whose WebGL names a GPU
    /// (<see cref="PresentAGpu"/>), counting its cross-fades (<see cref="CountCrossFades"/>), and waits for three frames.
    /// </summary>
    public static async Task<IPage> WatchWithAGpuAsync(IBrowserContext viewer, string url)
    {
        await viewer.AddInitScriptAsync(PresentAGpu);
        await viewer.AddInitScriptAsync(CountCrossFades);
        var page = await viewer.NewPageAsync();
        await page.GotoAsync(url);
        await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("canvas"), "data-frames-drawn") >= 3, 60_000, $"three frames on {url}");
        return page;
    }

    /// <summary>The cross-fades started and the frames drawn on the page's canvas, read together.</summary>
    public static async Task<(int Fades, int Drawn)> CrossFadesAsync(IPage page)
    {
        var both = await page.EvaluateAsync<int[]>(
            "() => [window.__crossFades, Number(document.querySelector('canvas[data-testid=canvas]').dataset.framesDrawn ?? 0)]");
        return (both[0], both[1]);
    }
}
