using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Studio;
using StudioPage = StyleBlazor.Components.Pages.Studio.Studio;

namespace StyleBlazor.Tests.Components;

/// <summary>The Studio's style controls: several style pictures with their weights and mix, colours, stroke size, optimiser, pooling, style strength.</summary>
public class StudioStyleControlTests : ComponentTestBase
{
    static void SlideTo(IRenderedComponent<StudioPage> studio, string selector, double value)
    {
        var input = studio.Find($"{selector} input[type=range]");
        input.Input(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The Studio with a content picture, a first style (first.png, 20 × 20) and a second added (second.png, 24 × 16).</summary>
    static (IRenderedComponent<StudioPage> Studio, StudioState State) RenderWithTwoStyles(BunitContext ctx)
    {
        var state = ctx.Services.GetRequiredService<StudioState>();
        state.SetContent(Picture("content.png", 40, 30));
        state.SetStyle(Picture("first.png", 20, 20));
        var studio = RenderStudio(ctx);
        studio.Find("[data-testid=add-style]").Click();
        WaitUntilReady(studio, "style-upload-2-picker");
        state.SetStyle(Picture("second.png", 24, 16), index: 1);
        return (studio, state);
    }

    static double[] Shares(IRenderedComponent<StudioPage> studio) =>
        studio.FindAll("[data-testid=style-share]").Select(s => double.Parse(s.GetAttribute("data-share")!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public async Task AddingAStyleShowsASecondPickerEachWithAWeightAndAnEvenMix()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);
        Assert.Empty(studio.FindAll("[data-testid=style-weight]")); // one style needs no weight

        studio.Find("[data-testid=add-style]").Click();

        var state = ctx.Services.GetRequiredService<StudioState>();
        Assert.Equal(2, state.Styles.Count);
        Assert.Equal(2, studio.FindAll("[data-testid=style-weight]").Count);
        Assert.Single(studio.FindAll("input[type=file][data-testid=style-upload-2]"));
        Assert.Equal([0.5, 0.5], Shares(studio));
        // The percent sign is held to its number by a no-break space where the culture puts a space (the invariant one does).
        Assert.Equal(["1: 50%", "2: 50%"], studio.FindAll("[data-testid=style-share]").Select(s => s.TextContent.Replace("\u00A0", "").Trim()));
        Assert.Contains("Add a style picture (2 of 4)", studio.Find("[data-testid=add-style]").TextContent);
    }

    [Fact]
    public async Task AWeightSliderChangesTheMixAndTheStartedJobCarriesTheWeightsAndEveryStyle()
    {
        await using var ctx = NewContext();
        var (studio, state) = RenderWithTwoStyles(ctx);

        SlideTo(studio, "[data-testid=style-weight][data-index='1']", 0.25);

        Assert.Equal(0.25, state.Styles[1].Weight);
        Assert.Equal([0.8, 0.2], Shares(studio));
        studio.Find("[data-testid=start]").Click();
        var submitted = Assert.Single(Jobs.Submissions);
        Assert.Equal([1.0, 0.25], submitted.Options.StyleBlend);
        Assert.Equal([(20, 20), (24, 16)], submitted.Styles.Select(s => (s.Width, s.Height)));
    }

    [Fact]
    public async Task RemovingAStyleLeavesTheOtherAndNoMix()
    {
        await using var ctx = NewContext();
        var (studio, state) = RenderWithTwoStyles(ctx);
        studio.Render();

        studio.FindAll("[data-testid=remove-style]")[0].Click();

        var left = Assert.Single(state.Styles);
        Assert.Equal("second.png", left.Image?.Name);
        Assert.Empty(studio.FindAll("[data-testid=remove-style]"));
        Assert.Empty(studio.FindAll("[data-testid=style-share]"));
        Assert.Empty(studio.FindAll("input[type=file][data-testid=style-upload-2]"));
    }

    [Fact]
    public async Task NoMoreStylesThanTheServerBlendsCanBeAdded()
    {
        Jobs.MaxStyles = 2;
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=add-style]").Click();

        Assert.Equal(2, ctx.Services.GetRequiredService<StudioState>().Styles.Count);
        Assert.Empty(studio.FindAll("[data-testid=add-style]"));
    }

    [Fact]
    public async Task EveryWeightAtZeroIsRefusedBeforeStart()
    {
        await using var ctx = NewContext();
        var (studio, state) = RenderWithTwoStyles(ctx);

        SlideTo(studio, "[data-testid=style-weight][data-index='0']", 0);
        SlideTo(studio, "[data-testid=style-weight][data-index='1']", 0);

        Assert.Equal("Give at least one style picture a weight above 0.", studio.Find("[data-testid=style-mix-error]").TextContent.Trim());
        Assert.True(studio.Find("[data-testid=start]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task TheStyleStrengthSliderSetsBetaOnALogScaleAroundTheRecipeAndPresetsResetIt()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);
        var state = ctx.Services.GetRequiredService<StudioState>();

        SlideTo(studio, "[data-testid=style-strength]", 1);

        // MudSlider hands its value on through the renderer's dispatcher, which a loaded machine may run a little later.
        studio.WaitForAssertion(() => Assert.Equal(0.1, state.Parameters!.StyleWeight), Patience); // ten times the article's 1e-2
        Assert.Equal("0.1", studio.Find("[data-testid=param-beta] input, input[data-testid=param-beta]").GetAttribute("value"));
        Assert.Equal("β × 10", studio.Find("[data-testid=style-strength-value]").TextContent.Trim());
        SlideTo(studio, "[data-testid=style-strength]", -0.5);
        studio.WaitForAssertion(() => Assert.Equal(0.00316, state.Parameters!.StyleWeight), Patience);

        studio.Find("[data-testid=preset-quick]").Click();

        Assert.Equal((1e-2, 0.0), (state.Parameters!.StyleWeight, state.Parameters.StyleStrength));
    }

    [Fact]
    public async Task TheStartedJobCarriesColoursStrokeSizeOptimiserAndPooling()
    {
        await using var ctx = NewContext();
        var state = ctx.Services.GetRequiredService<StudioState>();
        state.SetContent(Picture("content.png", 40, 30));
        state.SetStyle(Picture("style.png", 20, 20));
        var studio = RenderStudio(ctx);
        var form = state.Parameters!;

        SlideTo(studio, "[data-testid=stroke-size]", 0.5);
        await studio.InvokeAsync(() =>
        {
            form.PreserveColors = ColorPreservation.Histogram;
            form.Optimizer = TransferOptimizer.Lbfgs;
            form.Pooling = PoolingMode.Average;
        });
        studio.Render();

        Assert.Equal("× 0.5", studio.Find("[data-testid=stroke-size-value]").TextContent.Trim());
        Assert.True(studio.Find("[data-testid=param-lr] input, input[data-testid=param-lr]").HasAttribute("disabled")); // L-BFGS takes its own step
        studio.Find("[data-testid=start]").Click();
        var options = Assert.Single(Jobs.Submissions).Options;
        Assert.Equal((ColorPreservation.Histogram, 0.5, TransferOptimizer.Lbfgs, PoolingMode.Average),
            (options.PreserveColors, options.StyleScale, options.Optimizer, options.Pooling));
        Assert.Empty(options.StyleBlend); // one style: no weights
    }

    [Fact]
    public async Task PoolingIsOfferedOnVgg19AndDisabledWithTheReasonOnResNet18()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);
        var pooling = () => studio.Find("[data-testid=param-pooling]").Closest(".mud-input-control")!;
        Assert.Null(pooling().QuerySelector("input[disabled]"));

        await studio.InvokeAsync(() => studio.FindComponent<StyleBlazor.Components.Pages.Studio.ParameterPanel>().Instance.OnBackbone.InvokeAsync("resnet18"));

        Assert.NotNull(pooling().QuerySelector("input[disabled]"));
        Assert.Contains("Only VGG19 can swap its pooling; resnet18 keeps the pooling it was trained with", pooling().TextContent);
        Assert.Equal(PoolingMode.Max, ctx.Services.GetRequiredService<StudioState>().Parameters!.Pooling);
    }
}
