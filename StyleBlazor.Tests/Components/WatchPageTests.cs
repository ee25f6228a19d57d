using Bunit;
using StyleBlazor.Components.Pages.Watch;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Studio;

namespace StyleBlazor.Tests.Components;

public class WatchPageTests : ComponentTestBase
{
    static Dictionary<string, object?> Job(string id) => new() { [nameof(Watch.JobId)] = id };

    [Fact]
    public async Task AViewerJoiningMidRunSeesTheHistorySoFar()
    {
        Jobs.Snapshots["live"] = new JobSnapshotEvent("live", JobPhase.Running, 0, new StyleTransferOptions { Iterations = 50 }, "vgg19",
            [.. Enumerable.Range(0, 21).Select(i => Loss(i))], Frame(20), null, null);
        await using var ctx = NewContext();

        var page = RenderWithProviders<Watch>(ctx, Job("live"));

        Assert.Contains("20", page.Find("[data-testid=watch-iteration]").TextContent);
        Assert.Contains("/ 50", page.Find("[data-testid=watch-iteration]").TextContent);
        Assert.Equal("21", page.Find("[data-testid=loss-chart]").GetAttribute("data-points"));
        Assert.Equal("running", page.Find("[data-testid=watch]").GetAttribute("data-phase"));
    }

    [Fact]
    public async Task NewIterationsArriveLive()
    {
        Jobs.Snapshots["live"] = new JobSnapshotEvent("live", JobPhase.Running, 0, new StyleTransferOptions { Iterations = 50 }, "vgg19", [Loss(0)], null, null, null);
        await using var ctx = NewContext();
        var page = RenderWithProviders<Watch>(ctx, Job("live"));

        await page.InvokeAsync(() => Jobs.Push("live", new JobLossEvent(Loss(1))));
        await page.InvokeAsync(() => Jobs.Push("live", new JobEndedEvent(JobPhase.Completed, null, null)));

        page.WaitForAssertion(() => Assert.Equal("completed", page.Find("[data-testid=watch]").GetAttribute("data-phase")), Patience);
        Assert.Contains("1", page.Find("[data-testid=watch-iteration]").TextContent);
    }

    [Fact]
    public async Task AnUnknownJobSaysSoInsteadOfFailing()
    {
        await using var ctx = NewContext();

        var page = RenderWithProviders<Watch>(ctx, Job("nope"));

        Assert.NotNull(page.Find("[data-testid=watch-missing]"));
    }

    [Fact]
    public async Task LeavingThePageStopsWatching()
    {
        Jobs.Snapshots["live"] = new JobSnapshotEvent("live", JobPhase.Queued, 3, new StyleTransferOptions(), "vgg19", [], null, null, null);
        await using var ctx = NewContext();
        var page = RenderWithProviders<Watch>(ctx, Job("live"));

        page.Instance.Dispose();

        Assert.Equal(0, Jobs.WatcherCount("live"));
    }
}
