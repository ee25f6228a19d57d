using Microsoft.Playwright;
using SixLabors.ImageSharp;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.EndToEnd.StudioDriver;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// What a user does in a real browser: upload two images, start, watch the picture being painted, download the PNG
/// and the GIF, share the link with someone else, cancel a second job; and a projector watching a run.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class StudioEndToEndTests(AppServer app, Browser browser)
{
    [Fact]
    public async Task AUserStylisesDownloadsSharesAndCancels()
    {
        Directory.CreateDirectory(Screenshots);
        await using var context = await browser.NewUserAsync();
        var page = await OpenStudioAsync(app, context);
        await UploadAsync(page, "photo-chelsea-cat.png", "art-van-gogh-starry-night.jpg");
        Assert.Equal("451 × 300 px", (await page.Locator("[data-testid=content-upload-size]").InnerTextAsync()).Trim());
        await SetParametersAsync(page, iterations: 80, size: 192);

        await page.GetByTestId("start").ClickAsync();
        await page.Locator("[data-testid=studio][data-phase=queued], [data-testid=studio][data-phase=running]").First.WaitForAsync();

        // At least three different frames drawn on the canvas, and loss points on the chart, while it runs.
        var canvas = page.GetByTestId("canvas");
        var seenImages = new HashSet<string>();
        await WaitUntilAsync(async () =>
        {
            if (await AttributeAsync(canvas, "data-frames-drawn") > 0)
                seenImages.Add(await canvas.EvaluateAsync<string>("c => (c.tagName === 'CANVAS' ? c : c.querySelector('canvas')).toDataURL('image/png')"));
            return seenImages.Count >= 3;
        }, 120_000, "three different frames on the canvas");
        // The chart redraws at most once a second (frames come as they are made), so its points may come a little later.
        await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("loss-chart"), "data-points") > 0, 30_000, "loss points on the chart");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "studio-running.png") });

        await WaitForPhaseAsync(page, "completed");
        Assert.True(await AttributeAsync(canvas, "data-frames-drawn") >= 3);
        await page.GetByTestId("replay").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "studio-finished.png") });

        // Downloads decode with the working size: longest side 192, ResNet18 sides multiples of 32.
        var png = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("download-png").ClickAsync());
        using (var image = Image.Load(await File.ReadAllBytesAsync((await png.PathAsync())!)))
            Assert.Equal((192, 128), (image.Width, image.Height));
        var gif = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("download-gif").ClickAsync());
        using (var animation = Image.Load(await File.ReadAllBytesAsync((await gif.PathAsync())!)))
        {
            Assert.True(animation.Frames.Count >= 3, $"GIF has {animation.Frames.Count} frames");
            Assert.True(animation.Width > 0 && animation.Height > 0);
            Assert.Equal(192 * animation.Height, 128 * animation.Width);
        }

        // Another user opens the share link in a fresh browser context and sees the result and its replay.
        var link = await Input(page, "share-link").InputValueAsync();
        Assert.Matches("/r/[A-Za-z0-9_-]{22,}$", link);
        await using (var stranger = await browser.NewUserAsync())
        {
            var shared = await stranger.NewPageAsync();
            var response = await shared.GotoAsync(link.StartsWith("http") ? link : app.BaseUrl + link);
            Assert.Equal(200, response!.Status);
            await shared.GetByTestId("result-image").WaitForAsync();
            Assert.True(await shared.GetByTestId("result-image").EvaluateAsync<bool>("img => img.complete && img.naturalWidth === 192"));
            await shared.GetByTestId("progression-frame").WaitForAsync();
            await shared.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "shared-result.png"), FullPage = true });
            // The replay GIF is made when first asked for: the stranger's click gets the whole of it.
            var replay = await shared.RunAndWaitForDownloadAsync(() => shared.GetByTestId("result-download-gif").ClickAsync());
            using var replayGif = Image.Load(await File.ReadAllBytesAsync((await replay.PathAsync())!));
            Assert.True(replayGif.Frames.Count >= 3, $"the replay GIF has {replayGif.Frames.Count} frames");
            Assert.Equal((192, 128), (replayGif.Width, replayGif.Height));
        }

        // A second, long job is cancelled midway.
        await SetParametersAsync(page, iterations: 2000, size: 256);
        await page.GetByTestId("start").ClickAsync();
        await WaitForPhaseAsync(page, "running");
        await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("loss-chart"), "data-points") >= 3, 60_000, "the second job to make progress");
        await page.GetByTestId("cancel").ClickAsync();
        await WaitForPhaseAsync(page, "cancelled", 30_000);
        await page.GetByTestId("job-cancelled").WaitForAsync();
    }

    [Fact]
    public async Task ARunWithTwoWeightedStylesReachesTheEndAndItsResultPageListsBothWithTheirWeights()
    {
        await using var context = await browser.NewUserAsync();
        var page = await OpenStudioAsync(app, context);
        await UploadAsync(page, "photo-chelsea-cat.png", "art-van-gogh-starry-night.jpg");
        await AddStyleAsync(page, 2, "art-hokusai-great-wave.png");

        // The second style at half the first's weight: a third of the mix.
        await page.Locator("[data-testid=style-weight][data-index='1'] input[type=range]").FillAsync("0.5");
        await page.Locator("[data-testid=style-share][data-index='1'][data-share='0.3333']").WaitForAsync();
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "studio-two-styles.png") });
        await SetParametersAsync(page, iterations: 12, size: 96);
        await page.GetByTestId("start").ClickAsync();
        await WaitForPhaseAsync(page, "completed", 180_000);

        var link = await Input(page, "share-link").InputValueAsync();
        await using var stranger = await browser.NewUserAsync();
        var shared = await stranger.NewPageAsync();
        await shared.GotoAsync(link.StartsWith("http") ? link : app.BaseUrl + link);
        await shared.GetByTestId("result-parameters").WaitForAsync();
        static string Plain(string text) => text.Replace('\u00A0', ' ').Trim();
        Assert.Equal("style 1: 67% (weight 1), style 2: 33% (weight 0.5)", Plain(await shared.GetByTestId("param-styles").InnerTextAsync()));
        Assert.Equal(["Style 1: 67% of the mix (weight 1)", "Style 2: 33% of the mix (weight 0.5)"],
            (await shared.GetByTestId("result-style-share").AllInnerTextsAsync()).Select(Plain));
        // Both style pictures are served and load: 752 × 600 and 665 × 450 before thumbnailing.
        var loaded = await shared.Locator("[data-testid=result-style] img").EvaluateAllAsync<int[][]>(
            "imgs => Promise.all(imgs.map(i => i.decode().then(() => [i.naturalWidth, i.naturalHeight])))");
        Assert.Equal(2, loaded.Length);
        Assert.All(loaded, size => Assert.True(size[0] > 0 && size[1] > 0));
        Assert.True(loaded[0][0] > loaded[0][1] && loaded[1][0] > loaded[1][1], "both thumbnails keep their landscape shape");
    }

    /// <summary>
    /// A page script that picks a 40 × 30 picture in input <paramref name="inputTestId"/> the moment
    /// <paramref name="ready"/> matches (a mutation observer), as a test driver or a quick user might; it sets
    /// <c>window.__pickedAtReady</c> then.
    /// </summary>
    static string PickAtReady(string ready, string inputTestId) => $$"""
        window.__pickedAtReady = false;
        new MutationObserver((_, observer) => {
            if (!document.querySelector('{{ready}}')) return;
            observer.disconnect();
            const input = [...document.querySelectorAll('input[type=file][data-testid={{inputTestId}}]')].pop();
            const bytes = Uint8Array.from(atob('{{Convert.ToBase64String(StyleBlazorApplication.Png(40, 30, seed: 1))}}'), c => c.charCodeAt(0));
            const chosen = new DataTransfer();
            chosen.items.add(new File([bytes], 'at-ready.png', { type: 'image/png' }));
            input.files = chosen.files;
            input.dispatchEvent(new Event('change', { bubbles: true }));
            window.__pickedAtReady = true;
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });
        """;

    [Fact]
    public async Task APictureChosenTheMomentTheStudioSaysReadyIsTaken()
    {
        // The file inputs start listening in their first after-render; a marker shown before that lost the pick (CI
        // waited 30 s for a picture's size that never came).
        await using var context = await browser.NewUserAsync();
        await context.AddInitScriptAsync(PickAtReady("[data-testid=studio][data-ready=true]", "content-upload"));
        var page = await OpenStudioAsync(app, context);

        Assert.True(await page.EvaluateAsync<bool>("() => window.__pickedAtReady"));
        await page.Locator("[data-testid=content-upload-size]").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("40 × 30 px", (await page.Locator("[data-testid=content-upload-size]").InnerTextAsync()).Trim());
    }

    [Fact]
    public async Task APictureChosenTheMomentAnAddedStylesPickerSaysReadyIsTaken()
    {
        // A style picker added to a Studio already ready has a marker of its own. Chosen the moment its input appeared,
        // a picture was lost (its listener comes a round trip later): CI once waited 30 s for a second style's size.
        await using var context = await browser.NewUserAsync();
        await context.AddInitScriptAsync(PickAtReady("[data-testid=style-upload-2-picker][data-ready=true]", "style-upload-2"));
        var page = await OpenStudioAsync(app, context);
        await page.GetByTestId("add-style").ClickAsync();

        await WaitUntilAsync(() => page.EvaluateAsync<bool>("() => window.__pickedAtReady"), 30_000, "the added picker's ready marker");
        await page.Locator("[data-testid=style-upload-2-size]").WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("40 × 30 px", (await page.Locator("[data-testid=style-upload-2-size]").InnerTextAsync()).Trim());
    }

    [Fact]
    public async Task AProjectorJoiningMidRunSeesFramesAndTheChart()
    {
        Directory.CreateDirectory(Screenshots);
        await using var teacher = await browser.NewUserAsync();
        await teacher.AddInitScriptAsync(CountCrossFades);
        var page = await OpenStudioAsync(app, teacher);
        await UploadAsync(page, "photo-colosseum.webp", "art-hokusai-great-wave.png");
        await SetParametersAsync(page, iterations: 2000, size: 192); // still running when the test is done with it
        await page.GetByTestId("start").ClickAsync();
        await WaitForPhaseAsync(page, "running");
        try
        {
            await WaitUntilAsync(async () => await AttributeAsync(page.GetByTestId("canvas"), "data-frames-drawn") >= 2, 60_000, "the run to draw frames");

            // The projector is another browser that only has the watch link.
            var watchPath = (await page.GetByTestId("watch-link").InnerTextAsync()).Trim();
            Assert.Matches("^/watch/[A-Za-z0-9_-]{22,}$", watchPath);
            await using var projector = await browser.NewUserAsync();
            var watch = await projector.NewPageAsync();
            await watch.GotoAsync(app.BaseUrl + watchPath);
            var canvas = watch.GetByTestId("canvas");
            await WaitUntilAsync(async () => await AttributeAsync(canvas, "data-frames-drawn") >= 2, 60_000, "frames on the watch page");
            await WaitUntilAsync(async () => await AttributeAsync(watch.GetByTestId("loss-chart"), "data-points") > 0, 30_000, "loss points on the watch page");
            await watch.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "watch.png") });
            // The progress bars step with the page's updates: a transition on them kept a GPU-less browser compositing all run.
            foreach (var bar in new[] { page.Locator("[data-testid=progress] .mud-progress-linear-bar"), watch.Locator(".watch__progress .mud-progress-linear-bar") })
            {
                var transitions = await bar.EvaluateAllAsync<string[]>("bars => bars.map(b => getComputedStyle(b).transitionDuration)");
                Assert.NotEmpty(transitions);
                Assert.All(transitions, d => Assert.Equal("0s", d));
                Assert.True((await bar.First.BoundingBoxAsync())?.Height >= 4, "the progress bar is drawn"); // the Watch page's once shrank to 0 px
            }

            // This Chromium composites without a GPU (its WebGL is SwiftShader), where each step of a fade is drawn in
            // software on the engine's cores: its frames replace each other...
            var (fades, drawn) = await CrossFadesAsync(page);
            Assert.True(drawn >= 2, $"{drawn} frames drawn");
            Assert.Equal(0, fades);
            // ...while a browser with a GPU cross-fades every frame after the first, as an animation of the overlay canvas
            // (the compositor runs it)...
            await using var gpu = await browser.NewUserAsync();
            var smooth = await WatchWithAGpuAsync(gpu, app.BaseUrl + watchPath);
            var (gpuFades, gpuDrawn) = await CrossFadesAsync(smooth);
            Assert.True(gpuDrawn >= 3, $"{gpuDrawn} frames drawn");
            Assert.Equal(gpuDrawn - 1, gpuFades);
            // The style bars glide there, and step without a GPU.
            foreach (var (viewer, glide) in new[] { (smooth, "0.35s"), (watch, "0s") })
            {
                var bars = viewer.Locator(".style-bars__bar");
                await bars.First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
                Assert.All(await bars.EvaluateAllAsync<string[]>("bars => bars.map(b => getComputedStyle(b).transitionDuration)"), d => Assert.Equal(glide, d));
            }
            // ...except for a viewer who asked for less motion: the frames simply replace each other there too.
            await using var still = await browser.NewUserAsync(ReducedMotion.Reduce);
            var calm = await WatchWithAGpuAsync(still, app.BaseUrl + watchPath);
            var (stillFades, stillDrawn) = await CrossFadesAsync(calm);
            Assert.True(stillDrawn >= 3, $"{stillDrawn} frames drawn");
            Assert.Equal(0, stillFades);
            Assert.Equal("0", await calm.Locator("canvas.progression-canvas__fade").EvaluateAsync<string>("c => getComputedStyle(c).opacity"));
        }
        finally
        {
            // A long run left behind would hold the shared server's engine for the other browser tests.
            await page.GetByTestId("cancel").ClickAsync();
            await WaitForPhaseAsync(page, "cancelled", 30_000);
        }
    }

    [Fact]
    public async Task TheNetworkPageListsTheEmbeddedBackbonesLayers()
    {
        Directory.CreateDirectory(Screenshots);
        await using var context = await browser.NewUserAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/network");
        await page.Locator("[data-testid=network][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        var layers = page.GetByTestId("layer");
        Assert.Equal(["stem", "stage1", "stage2", "stage3", "stage4"],
            await layers.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.layer)"));
        Assert.Equal("true", await page.Locator("[data-testid=layer][data-layer=stage3]").GetAttributeAsync("data-content"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "network.png"), FullPage = true });
    }
}

/// <summary>The browser tests run on their own, after the others: the app's torch threads and Chromium need the cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection : ICollectionFixture<AppServer>, ICollectionFixture<Browser>
{
    public const string Name = "End to end";
}
