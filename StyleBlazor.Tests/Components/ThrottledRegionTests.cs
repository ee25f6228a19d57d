using System.Diagnostics;
using Bunit;
using StyleBlazor.Components.Progression;

namespace StyleBlazor.Tests.Components;

public class ThrottledRegionTests : ComponentTestBase
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task AnUpdateInsideTheIntervalIsDrawnAfterItEvenIfThePageRendersNoMoreAndOnlyTheNewestOne()
    {
        await using var ctx = NewContext();
        var region = ctx.Render<ThrottledRegion>(p => p.Add(r => r.Interval, Interval).AddChildContent("<b>1</b>"));
        Assert.Equal("1", region.Find("b").TextContent);

        // Nothing was drawn by an update yet, so the first update is drawn at once and starts the interval.
        region.Render(p => p.AddChildContent("<b>2</b>"));
        var sinceDrawn = Stopwatch.StartNew();
        Assert.Equal("2", region.Find("b").TextContent);

        region.Render(p => p.AddChildContent("<b>3</b>"));
        region.Render(p => p.AddChildContent("<b>4</b>"));
        Assert.Equal("2", region.Find("b").TextContent); // held back: 2 was drawn less than the interval ago

        region.WaitForAssertion(() => Assert.Equal("4", region.Find("b").TextContent), Patience); // the newest, not 3
        Assert.InRange(sinceDrawn.Elapsed, Interval * 0.8, Patience);
    }

    [Fact]
    public async Task WhileThePageRendersHeldBackUpdatesAreDrawnWithItsRendersNeverBetweenThem()
    {
        await using var ctx = NewContext();
        var region = ctx.Render<ThrottledRegion>(p => p.Add(r => r.Interval, Interval).AddChildContent("<b>0</b>"));
        region.Render(p => p.AddChildContent("<b>1</b>")); // drawn, starts the interval
        var clock = Stopwatch.StartNew();
        var drawnAt = new List<TimeSpan>();
        int drawsBetween = 0;

        // A page re-rendering faster than the catch-up's grace (JobViewBase: every 300 ms), for three intervals.
        for (int i = 2; clock.Elapsed < Interval * 3; i++)
        {
            int before = region.RenderCount;
            var gap = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromMilliseconds(100));
            // A gap as long as the grace (a stalled test machine) is a page gone quiet, where a catch-up is right.
            if (gap.Elapsed < TimeSpan.FromMilliseconds(400)) drawsBetween += region.RenderCount - before;
            int count = region.RenderCount;
            region.Render(p => p.AddChildContent($"<b>{i}</b>"));
            if (region.RenderCount > count) drawnAt.Add(clock.Elapsed);
        }

        Assert.Equal(0, drawsBetween);
        Assert.InRange(drawnAt.Count, 2, 3); // about once an interval
        Assert.All(drawnAt.Zip(drawnAt.Skip(1)), d => Assert.True(d.Second - d.First >= Interval * 0.95, $"drawn at {d.First} and {d.Second}"));
    }

    [Fact]
    public async Task AfterAQuietIntervalAnUpdateIsDrawnAtOnce()
    {
        await using var ctx = NewContext();
        var region = ctx.Render<ThrottledRegion>(p => p.Add(r => r.Interval, Interval).AddChildContent("<b>1</b>"));

        await Task.Delay(Interval * 1.5);
        region.Render(p => p.AddChildContent("<b>2</b>"));

        Assert.Equal("2", region.Find("b").TextContent);
    }

    [Fact]
    public async Task AChangeOfPhaseIsDrawnAtOnceInsideTheInterval()
    {
        await using var ctx = NewContext();
        var region = ctx.Render<ThrottledRegion>(p => p.Add(r => r.Interval, Interval).Add(r => r.Phase, "running").AddChildContent("<b>1</b>"));
        region.Render(p => p.Add(r => r.Phase, "running").AddChildContent("<b>2</b>")); // starts the interval
        region.Render(p => p.Add(r => r.Phase, "running").AddChildContent("<b>3</b>"));
        Assert.Equal("2", region.Find("b").TextContent);

        region.Render(p => p.Add(r => r.Phase, "completed").AddChildContent("<b>4</b>"));

        Assert.Equal("4", region.Find("b").TextContent); // the run's end, not a second later
    }
}
