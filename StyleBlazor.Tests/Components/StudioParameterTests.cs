using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StudioPage = StyleBlazor.Components.Pages.Studio.Studio;
using StyleBlazor.Studio;

namespace StyleBlazor.Tests.Components;

public class StudioParameterTests : ComponentTestBase
{
    [Fact]
    public async Task IterationsOfZeroAreRefusedWithTheEnginesMessageAtTheField()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=param-iterations] input, input[data-testid=param-iterations]").Change("0");

        var field = studio.Find("[data-testid=param-iterations]").Closest(".mud-input-control")!;
        Assert.Contains("Iterations must be between 1 and 100000 (got 0).", field.TextContent);
        Assert.True(studio.Find("[data-testid=start]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task InTheRussianUiTheFieldMessageIsRussian()
    {
        var previous = (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.CurrentUICulture);
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("ru");
        try
        {
            await using var ctx = NewContext();
            var studio = RenderStudio(ctx);

            studio.Find("[data-testid=param-iterations] input, input[data-testid=param-iterations]").Change("0");

            var field = studio.Find("[data-testid=param-iterations]").Closest(".mud-input-control")!;
            Assert.Contains("Число итераций должно быть от 1 до 100000 (указано 0).", field.TextContent);
            Assert.DoesNotContain("must be", field.TextContent);
        }
        finally
        {
            (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.CurrentUICulture) = previous;
        }
    }

    [Fact]
    public async Task ANegativeStyleWeightIsRefusedAtTheStyleWeightField()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=param-beta] input, input[data-testid=param-beta]").Change("-1");

        var field = studio.Find("[data-testid=param-beta]").Closest(".mud-input-control")!;
        Assert.Contains("Style weight β must be a finite number ≥ 0 (got -1).", field.TextContent);
    }

    [Fact]
    public async Task ANegativeLayerWeightIsRefusedAtThatLayerOnly()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        var row = studio.Find("[data-testid=style-layer][data-layer=block3_conv1]");
        row.QuerySelector("input[inputmode], input[type=text], input:not([type=checkbox])")!.Change("-0.5");

        studio.WaitForAssertion(() =>
        {
            Assert.Contains("Style layer weight λ for block3_conv1 must be a finite number ≥ 0 (got -0.5).",
                studio.Find("[data-testid=style-layer][data-layer=block3_conv1]").TextContent);
            Assert.DoesNotContain("must be", studio.Find("[data-testid=style-layer][data-layer=block1_conv1]").TextContent);
        }, Patience);
    }

    [Fact]
    public async Task UntickingEveryStyleLayerAsksForOne()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        foreach (var layer in new[] { "block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1" })
            studio.Find($"[data-testid=style-layer][data-layer={layer}] input[type=checkbox]").Change(false);

        // The last change re-renders asynchronously; under a loaded test run the error is not there at once.
        studio.WaitForAssertion(() =>
            Assert.Equal("At least one style layer is needed.", studio.Find("[data-testid=style-layers-error]").TextContent.Trim()), Patience);
    }

    [Fact]
    public async Task ArticleDefaultsShowTheArticlesValues()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);
        var state = ctx.Services.GetRequiredService<StudioState>();
        studio.Find("[data-testid=preset-quick]").Click();

        studio.Find("[data-testid=preset-article]").Click();

        var form = state.Parameters!;
        Assert.Equal((100, 512, 1e3, 1e-2, 2.0, "block5_conv2"), (form.Iterations, form.MaxSide, form.ContentWeight, form.StyleWeight, form.LearningRate, form.ContentLayer));
        Assert.Equal(["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"],
            form.StyleLayers.Where(l => l.Selected).Select(l => l.Layer));
        Assert.All(form.StyleLayers.Where(l => l.Selected), l => Assert.Equal(0.2, l.Weight));
        Assert.Equal("100", InputValue(studio, "param-iterations"));
    }

    [Fact]
    public async Task TheRecipeNoteSaysWhetherThePictureIsTheAverageOfTheLastStepsForTheIterationsChosen()
    {
        Jobs.Available = [FakeStudioJobs.Resnet18 with { Defaults = StyleBlazor.Engine.Backbones.BackboneRecipes.ResNet18 }];
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);
        string Note() => studio.Find("[data-testid=recipe-picture]").TextContent.Trim();

        Assert.Equal("Jitter 7 px: each step sees the picture shifted, and the picture you get is the average of the last 10 steps.", Note());
        Assert.Contains("(PyTorch ε, Nesterov momentum). Jitter 7 px", studio.Find("[data-testid=recipe]").TextContent); // two sentences, not one run-on
        studio.Find("[data-testid=preset-quick]").Click(); // 40 steps, 18 at full size: too few to average
        Assert.Equal("Jitter 7 px: each step sees the picture shifted; with this few steps the picture you get is the last one.", Note());
        studio.Find("[data-testid=param-iterations] input, input[data-testid=param-iterations]").Change("100"); // 44 at full size
        Assert.EndsWith("the average of the last 4 steps.", Note());
    }

    [Fact]
    public async Task ARecipeWithoutJitterSaysNothingAboutAveraging()
    {
        await using var ctx = NewContext(); // VGG19, the article's recipe: the best iterate, no jitter
        var studio = RenderStudio(ctx);

        Assert.Contains("Also from the network's recipe", studio.Find("[data-testid=recipe]").TextContent);
        Assert.Empty(studio.FindAll("[data-testid=recipe-picture]"));
    }

    [Fact]
    public async Task QuickPreviewTakesFewStepsAtASmallSize()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=preset-quick]").Click();

        Assert.Equal(ParameterPresets.QuickPreviewIterations.ToString(), InputValue(studio, "param-iterations"));
        Assert.Equal(ParameterPresets.QuickPreviewMaxSide.ToString(), InputValue(studio, "param-maxside"));
        var options = ctx.Services.GetRequiredService<StudioState>().Parameters!.ToOptions();
        Assert.Equal((1e3, 1e-2), (options.ContentWeight, options.StyleWeight)); // the loss balance is the recipe's
    }

    [Fact]
    public async Task HighQualityTakesManyStepsAtALargeSize()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=preset-high]").Click();

        Assert.Equal(ParameterPresets.HighQualityIterations.ToString(), InputValue(studio, "param-iterations"));
        Assert.Equal(ParameterPresets.HighQualityMaxSide.ToString(), InputValue(studio, "param-maxside"));
    }

    [Fact]
    public void PresetsKeepTheRecipesCoarseToFineShareValid()
    {
        var quick = ParameterPresets.Create(ParameterPreset.QuickPreview, FakeStudioJobs.Resnet18).ToOptions();

        Assert.Null(quick.Validate(FakeStudioJobs.Resnet18.Layers.Select(l => l.Name).ToArray()));
        Assert.Equal(100 * ParameterPresets.QuickPreviewIterations / 300, quick.CoarseIterations);
        Assert.True(quick.RelativeLosses);
    }

    [Fact]
    public async Task TheStartedJobCarriesTheFormsParameters()
    {
        await using var ctx = NewContext();
        var state = ctx.Services.GetRequiredService<StudioState>();
        state.SetContent(Picture("content.png", 40, 30));
        state.SetStyle(Picture("style.png", 20, 20));
        var studio = RenderStudio(ctx);
        studio.Find("[data-testid=preset-quick]").Click();

        studio.Find("[data-testid=start]").Click();

        var submitted = Assert.Single(Jobs.Submissions);
        Assert.Equal((ParameterPresets.QuickPreviewIterations, ParameterPresets.QuickPreviewMaxSide, "vgg19", OwnerId),
            (submitted.Options.Iterations, submitted.Options.MaxSide, submitted.Backbone, submitted.Requester.OwnerId));
        Assert.Equal((40, 30, 20, 20), (submitted.Content.Width, submitted.Content.Height, submitted.Styles[0].Width, submitted.Styles[0].Height));
    }

    static string? InputValue(IRenderedComponent<StudioPage> studio, string testId) =>
        studio.Find($"[data-testid={testId}] input, input[data-testid={testId}]").GetAttribute("value");
}
