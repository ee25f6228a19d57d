using StyleBlazor.Jobs;
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
        Jobs.Snapshots["live"] = FakeStudioJobs.Snapshot("live", JobState.Running, new StyleTransferOptions { Iterations = 50 },
            [.. Enumerable.Range(0, 21).Select(i => Loss(i))], latest: Frame(20));
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
        Jobs.Snapshots["live"] = FakeStudioJobs.Snapshot("live", JobState.Running, new StyleTransferOptions { Iterations = 50 }, [Loss(0)]);
        await using var ctx = NewContext();
        var page = RenderWithProviders<Watch>(ctx, Job("live"));

        await page.InvokeAsync(() => Jobs.Push("live", new JobUpdate.Progress(Loss(1))));
        await page.InvokeAsync(() => Jobs.Push("live", new JobUpdate.Ended(JobState.Completed, null, null)));

        page.WaitForAssertion(() => Assert.Equal("completed", page.Find("[data-testid=watch]").GetAttribute("data-phase")), Patience);
        Assert.Contains("1", page.Find("[data-testid=watch-iteration]").TextContent);
    }

    [Fact]
    public async Task ARunningJobShowsTheEnginesEstimateOfTheTimeLeft()
    {
        Jobs.Snapshots["live"] = FakeStudioJobs.Snapshot("live", JobState.Running, new StyleTransferOptions { Iterations = 50 }, [Loss(0, eta: null)]);
        await using var ctx = NewContext();
        var page = RenderWithProviders<Watch>(ctx, Job("live"));
        Assert.Equal("estimating the time left…", page.Find("[data-testid=watch-eta]").TextContent.Trim());

        await page.InvokeAsync(() => Jobs.Push("live", new JobUpdate.Progress(Loss(1, eta: 65))));

        page.WaitForAssertion(() => Assert.Equal("1:05 left", page.Find("[data-testid=watch-eta]").TextContent.Trim()), Patience);
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
        Jobs.Snapshots["live"] = FakeStudioJobs.Snapshot("live", JobState.Queued, new StyleTransferOptions(), position: 3);
        await using var ctx = NewContext();
        var page = RenderWithProviders<Watch>(ctx, Job("live"));
        Assert.Equal(1, Jobs.WatcherCount("live"));

        page.Instance.Dispose();

        await StyleBlazor.Tests.Support.StyleBlazorApplication.Eventually(() => Jobs.WatcherCount("live") == 0, "the feed to end with the page", Patience.TotalSeconds);
    }
}
