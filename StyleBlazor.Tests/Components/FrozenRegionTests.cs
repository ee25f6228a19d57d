using Bunit;
using StyleBlazor.Components.Progression;

namespace StyleBlazor.Tests.Components;

public class FrozenRegionTests : ComponentTestBase
{
    [Fact]
    public async Task WhileFrozenThePagesRendersPassItByAfterTheOneThatFroze()
    {
        await using var ctx = NewContext();
        var region = ctx.Render<FrozenRegion>(p => p.Add(r => r.Frozen, false).AddChildContent("<b>1</b>"));
        region.Render(p => p.Add(r => r.Frozen, false).AddChildContent("<b>2</b>"));
        Assert.Equal("2", region.Find("b").TextContent); // thawed: every render draws

        region.Render(p => p.Add(r => r.Frozen, true).AddChildContent("<b>3 disabled</b>"));
        Assert.Equal("3 disabled", region.Find("b").TextContent); // the render that freezes it draws
        int frozenAt = region.RenderCount;

        region.Render(p => p.Add(r => r.Frozen, true).AddChildContent("<b>4</b>"));
        region.Render(p => p.Add(r => r.Frozen, true).AddChildContent("<b>5</b>"));
        Assert.Equal("3 disabled", region.Find("b").TextContent);
        Assert.Equal(frozenAt, region.RenderCount);

        region.Render(p => p.Add(r => r.Frozen, false).AddChildContent("<b>6</b>"));
        Assert.Equal("6", region.Find("b").TextContent); // thawed again
    }

    [Fact]
    public async Task FrozenFromTheStartItDrawsItsFirstRenderAndThenHolds()
    {
        await using var ctx = NewContext();
        var region = ctx.Render<FrozenRegion>(p => p.Add(r => r.Frozen, true).AddChildContent("<b>1</b>"));
        region.Render(p => p.Add(r => r.Frozen, true).AddChildContent("<b>2</b>"));

        Assert.Equal("1", region.Find("b").TextContent);
    }
}
