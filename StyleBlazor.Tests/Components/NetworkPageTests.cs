using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Components.Pages.Network;
using StyleBlazor.Studio;

namespace StyleBlazor.Tests.Components;

public class NetworkPageTests : ComponentTestBase
{
    [Fact]
    public async Task ListsEveryLayerWithChannelsAndScale()
    {
        await using var ctx = NewContext();
        var page = RenderWithProviders<Network>(ctx);

        var rows = page.FindAll("[data-testid=layer]");
        Assert.Equal(FakeStudioJobs.Vgg19.Layers.Select(l => l.Name), rows.Select(r => r.GetAttribute("data-layer")));
        var block3 = page.Find("[data-testid=layer][data-layer=block3_conv1]");
        Assert.Contains("256", block3.TextContent);
        Assert.Contains("1/4", block3.TextContent);
    }

    [Fact]
    public async Task MarksTheRecipesContentAndStyleTaps()
    {
        await using var ctx = NewContext();
        var page = RenderWithProviders<Network>(ctx);

        Assert.Equal(["block5_conv2"], page.FindAll("[data-testid=layer][data-content=true]").Select(r => r.GetAttribute("data-layer")));
        Assert.Equal(["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"],
            page.FindAll("[data-testid=layer][data-style=true]").Select(r => r.GetAttribute("data-layer")));
        Assert.Contains("λ=0.2", page.Find("[data-testid=layer][data-layer=block2_conv1]").TextContent);
    }

    [Fact]
    public async Task FollowsTheBackboneAndTapsChosenInTheStudio()
    {
        await using var ctx = NewContext();
        var form = ParameterPresets.Create(ParameterPreset.ArticleDefaults, FakeStudioJobs.Resnet18);
        form.ContentLayer = "stage2";
        ctx.Services.GetRequiredService<StudioState>().Parameters = form;

        var page = RenderWithProviders<Network>(ctx);

        Assert.Equal(FakeStudioJobs.Resnet18.Layers.Select(l => l.Name), page.FindAll("[data-testid=layer]").Select(r => r.GetAttribute("data-layer")));
        Assert.Equal("true", page.Find("[data-testid=layer][data-layer=stage2]").GetAttribute("data-content"));
    }

    [Fact]
    public async Task SaysSoWhenNoEngineIsAvailable()
    {
        Jobs.Available = null;
        await using var ctx = NewContext();

        var page = RenderWithProviders<Network>(ctx);

        Assert.Contains("not running", page.Find("[data-testid=no-backbone]").TextContent);
    }
}
