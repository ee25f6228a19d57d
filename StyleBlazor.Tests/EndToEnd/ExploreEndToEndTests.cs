using System.Globalization;
using Microsoft.Playwright;
using static StyleBlazor.Tests.EndToEnd.StudioDriver;

namespace StyleBlazor.Tests.EndToEnd;

/// <summary>
/// A teacher's view of the maths in a real browser: the layers explorer for a finished run, and the live formulas on the
/// projector page while a run paints.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class ExploreEndToEndTests(AppServer app, Browser browser)
{
    /// <summary>Starts a run in the Studio and returns the page and the job's id.</summary>
    async Task<(IPage Studio, string JobId)> StartRunAsync(IBrowserContext context, int iterations, int size)
    {
        var page = await OpenStudioAsync(app, context);
        await UploadAsync(page, "photo-chelsea-cat.png", "art-van-gogh-starry-night.jpg");
        await SetParametersAsync(page, iterations, size);
        await page.GetByTestId("start").ClickAsync();
        var studio = page.Locator("[data-testid=studio][data-job]");
        await WaitUntilAsync(async () => !string.IsNullOrEmpty(await studio.GetAttributeAsync("data-job")), 30_000, "the job's id");
        return (page, (await studio.GetAttributeAsync("data-job"))!);
    }

    [Fact]
    public async Task TheExplorerShowsSixteenMapsAndAGramMatrixForEachChosenLayerOfAFinishedRun()
    {
        Directory.CreateDirectory(Screenshots);
        await using var context = await browser.NewUserAsync();
        var (studio, jobId) = await StartRunAsync(context, iterations: 30, size: 128);
        await WaitForPhaseAsync(studio, "completed");
        await studio.GetByTestId("explore-link").WaitForAsync();

        var page = await context.NewPageAsync();
        await page.GotoAsync($"{app.BaseUrl}/explore?job={Uri.EscapeDataString(jobId)}&picture=result&layers=stem,stage2");
        await page.Locator("[data-testid=explore][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
        var layers = page.GetByTestId("explore-layer");
        await WaitUntilAsync(async () => await page.Locator("[data-testid=explore-layer][data-state=done]").CountAsync() == 2, 120_000, "both layers");
        await WaitUntilAsync(async () => await page.GetByTestId("gram-difference").CountAsync() == 2, 120_000, "both comparisons with the style");

        Assert.Equal(["stem", "stage2"], await layers.EvaluateAllAsync<string[]>("panels => panels.map(p => p.dataset.layer)"));
        for (int i = 0; i < 2; i++)
        {
            var panel = layers.Nth(i);
            Assert.Equal(16, await panel.GetByTestId("map-tile").CountAsync());
            Assert.Equal(1, await panel.GetByTestId("gram-heatmap").CountAsync());
            // The tiles, the Gram matrix and the difference are decoded pictures, not broken images.
            Assert.True(await panel.Locator("img").EvaluateAllAsync<bool>("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"));
            var share = await panel.GetByTestId("style-share").GetAttributeAsync("data-share");
            Assert.InRange(double.Parse(share!, CultureInfo.InvariantCulture), 0, 1);
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "explore.png"), FullPage = true });

        // An unknown layer in the address is refused by name, with the layers there are.
        await page.GotoAsync($"{app.BaseUrl}/explore?job={Uri.EscapeDataString(jobId)}&layers=block9_conv9");
        var refused = page.GetByTestId("explore-layer-refused");
        await refused.WaitForAsync(new() { Timeout = 60_000 });
        Assert.Contains("block9_conv9", await refused.InnerTextAsync());
        Assert.Contains("stem, stage1, stage2, stage3, stage4", await refused.InnerTextAsync());
    }

    [Fact]
    public async Task TheProjectorsFormulasShowNumbersThatChangeWhileARunPaints()
    {
        Directory.CreateDirectory(Screenshots);
        await using var teacher = await browser.NewUserAsync();
        var (studio, jobId) = await StartRunAsync(teacher, iterations: 2000, size: 192);  // still running when the test is done with it
        try
        {
            await WaitForPhaseAsync(studio, "running");

            await using var projector = await browser.NewUserAsync();
            var watch = await projector.NewPageAsync();
            await watch.SetViewportSizeAsync(1280, 900);
            await watch.GotoAsync($"{app.BaseUrl}/watch/{jobId}");
            await watch.Locator("[data-testid=watch][data-ready=true]").WaitForAsync(new() { Timeout = 60_000 });
            var formulas = watch.GetByTestId("formulas");
            await WaitUntilAsync(async () => await AttributeAsync(formulas, "data-iteration") > 0, 60_000, "the first numbers");
            Assert.Equal(4, await formulas.Locator("math").CountAsync());
            // J and its iteration read together: the formulas redraw once a second, and two reads may straddle a redraw.
            async Task<(int Iteration, string J)> ShownAsync()
            {
                var shown = await formulas.EvaluateAsync<string[]>("f => [f.dataset.iteration, f.querySelector('[data-symbol=J]').textContent.trim()]");
                return (int.Parse(shown[0]), shown[1]);
            }
            var first = await ShownAsync();

            await WaitUntilAsync(async () => (await ShownAsync()).J != first.J, 60_000, "J to change");
            Assert.True((await ShownAsync()).Iteration > first.Iteration);
            // α and β are the run's (the ResNet18 recipe's 1 and 2); one bar per style layer.
            Assert.Equal("1", (await formulas.Locator("[data-symbol=alpha]").TextContentAsync())!.Trim());
            Assert.Equal("2", (await formulas.Locator("[data-symbol=beta]").TextContentAsync())!.Trim());
            Assert.Equal(4, await watch.GetByTestId("style-bar").CountAsync());
            await watch.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "watch-math.png") });

            // M shows the picture alone, and M again brings the formulas back.
            await watch.Locator("[data-testid=projector-mode][data-keys=on]").WaitForAsync();
            await watch.Keyboard.PressAsync("m");
            await watch.Locator("[data-testid=projector-mode][data-mode=picture]").WaitForAsync();
            Assert.False(await formulas.IsVisibleAsync());
            await watch.Keyboard.PressAsync("m");
            await watch.Locator("[data-testid=projector-mode][data-mode=math]").WaitForAsync();
            Assert.True(await formulas.IsVisibleAsync());
        }
        finally
        {
            // A long run left behind would hold the shared server's engine for the other browser tests.
            await studio.GetByTestId("cancel").ClickAsync();
            await WaitForPhaseAsync(studio, "cancelled", 30_000);
        }
    }
}
