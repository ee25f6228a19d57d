using StyleBlazor.Jobs;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Studio;
using StyleBlazor.Components.Pages.Studio;
using StyleBlazor.Components.Progression;
using StudioPage = StyleBlazor.Components.Pages.Studio.Studio;

namespace StyleBlazor.Tests.Components;

/// <summary>Which controls the studio offers in each phase of a job.</summary>
public class StudioPhaseTests : ComponentTestBase
{
    const string JobId = "job-1";

    async Task<(BunitContext Ctx, IRenderedComponent<StudioPage> Studio)> StartedStudio(Action<BunitContext>? before = null)
    {
        var ctx = NewContext();
        before?.Invoke(ctx);
        var state = ctx.Services.GetRequiredService<StudioState>();
        state.SetContent(Picture("content.png", 64, 48));
        state.SetStyle(Picture("style.png", 32, 32));
        var studio = RenderStudio(ctx);
        studio.Find("[data-testid=start]").Click();
        await Task.CompletedTask;
        return (ctx, studio);
    }

    static bool Has(IRenderedComponent<StudioPage> studio, string testId) => studio.FindAll($"[data-testid={testId}]").Count > 0;

    [Fact]
    public async Task IdleWithoutPicturesOffersADisabledStartAndNothingElse()
    {
        await using var ctx = NewContext();
        var studio = RenderStudio(ctx);

        Assert.Equal("idle", studio.Find("[data-testid=studio]").GetAttribute("data-phase"));
        Assert.True(studio.Find("[data-testid=start]").HasAttribute("disabled"));
        Assert.False(Has(studio, "cancel"));
        Assert.False(Has(studio, "download-png"));
        Assert.False(Has(studio, "progress"));
    }

    [Fact]
    public async Task IdleWithBothPicturesEnablesStart()
    {
        await using var ctx = NewContext();
        var state = ctx.Services.GetRequiredService<StudioState>();
        state.SetContent(Picture("content.png", 64, 48));
        state.SetStyle(Picture("style.png", 32, 32));

        var studio = RenderStudio(ctx);

        Assert.False(studio.Find("[data-testid=start]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task TheStudioMarksItselfReadyAfterTheFirstRender()
    {
        await using var ctx = NewContext();
        var studio = RenderWithProviders<StudioPage>(ctx);

        // One turn of the dispatcher after the first render (the browser test checks the order against the file inputs).
        studio.WaitForAssertion(() => Assert.Equal("true", studio.Find("[data-testid=studio]").GetAttribute("data-ready")), Patience);
    }

    [Fact]
    public async Task QueuedShowsThePositionAndCancelInsteadOfStart()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Queued(2)));

        studio.WaitForAssertion(() => Assert.Equal("2", studio.Find("[data-testid=queue-position]").GetAttribute("data-position")), Patience);
        Assert.Contains("position 2", studio.Find("[data-testid=queue-position]").TextContent);
        Assert.Equal("queued", studio.Find("[data-testid=studio]").GetAttribute("data-phase"));
        Assert.True(Has(studio, "cancel"));
        Assert.False(Has(studio, "start"));
    }

    [Fact]
    public async Task RunningShowsIterationPaceAndTimeLeft()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() =>
        {
            Jobs.Push(JobId, new JobUpdate.Started(1));
            for (int i = 0; i <= 5; i++) Jobs.Push(JobId, new JobUpdate.Progress(Loss(i, total: 100 - i, itPerSec: 2.5, eta: 38)));
            Jobs.Push(JobId, Frame(5));
        });

        studio.WaitForAssertion(() => Assert.Equal("5", studio.Find("[data-testid=progress]").GetAttribute("data-iteration")), Patience);
        Assert.Contains("Iteration 5 / 100", studio.Find("[data-testid=progress-iteration]").TextContent);
        Assert.Contains("2.5 it/s", studio.Find("[data-testid=progress-rate]").TextContent);
        Assert.Contains("0:38 left", studio.Find("[data-testid=progress-eta]").TextContent);
        // The chart redraws at most once a second (ThrottledRegion); all six points arrive.
        studio.WaitForAssertion(() => Assert.Equal("6", studio.Find("[data-testid=loss-chart]").GetAttribute("data-points")), Patience);
        Assert.True(Has(studio, "cancel"));
        Assert.False(Has(studio, "download-png"));
    }

    [Fact]
    public async Task WhileTheJobRunsItsUpdatesRenderTheProgressNotTheDisabledInputs()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;
        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Started(1)));
        studio.WaitForAssertion(() => Assert.Equal("running", studio.Find("[data-testid=studio]").GetAttribute("data-phase")), Patience);
        var panel = studio.FindComponent<ParameterPanel>();
        var progress = studio.FindComponent<JobProgress>();
        var inputs = studio.FindAll("[data-testid=parameters] input:not([type=hidden])");
        Assert.True(inputs.Count >= 6, $"{inputs.Count} inputs");
        Assert.All(inputs, input => Assert.True(input.HasAttribute("disabled"), input.OuterHtml));
        int panelRenders = panel.RenderCount, progressRenders = progress.RenderCount;

        for (int i = 1; i <= 4; i++)
        {
            await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Progress(Loss(i))));
            studio.WaitForAssertion(() => Assert.Equal($"{i}", studio.Find("[data-testid=progress]").GetAttribute("data-iteration")), Patience);
        }

        Assert.True(progress.RenderCount >= progressRenders + 3, $"the progress rendered {progress.RenderCount - progressRenders} times");
        Assert.Equal(panelRenders, panel.RenderCount);

        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Ended(JobState.Completed, null, null)));
        // Thawed with the run's end: the inputs are enabled again.
        studio.WaitForAssertion(() => Assert.False(studio.Find("input[data-testid=param-iterations]").HasAttribute("disabled")), Patience);
    }

    [Fact]
    public async Task BeforeTheEngineHasTimedAStepTheTimeLeftIsBeingEstimatedNotZero()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() =>
        {
            Jobs.Push(JobId, new JobUpdate.Started(1));
            Jobs.Push(JobId, new JobUpdate.Progress(Loss(0, eta: null)));
        });

        studio.WaitForAssertion(() => Assert.Equal("estimating the time left…", studio.Find("[data-testid=progress-eta]").TextContent.Trim()), Patience);

        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Progress(Loss(1, eta: 7.4))));

        studio.WaitForAssertion(() => Assert.Equal("0:07 left", studio.Find("[data-testid=progress-eta]").TextContent.Trim()), Patience);
    }

    [Fact]
    public async Task AfterTheLastIterationItSaysSavingWithNothingToCancelUntilTheJobEnds()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() =>
        {
            Jobs.Push(JobId, new JobUpdate.Started(1));
            Jobs.Push(JobId, new JobUpdate.Progress(Loss(99)));
        });
        studio.WaitForAssertion(() => Assert.Equal("99", studio.Find("[data-testid=progress]").GetAttribute("data-iteration")), Patience);
        Assert.Equal("Running", studio.Find("[data-testid=phase]").TextContent.Trim());
        Assert.True(Has(studio, "cancel"));

        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Progress(Loss(100)))); // the last of 100

        studio.WaitForAssertion(() => Assert.Equal("Saving…", studio.Find("[data-testid=phase]").TextContent.Trim()), Patience);
        Assert.Equal("true", studio.Find("[data-testid=studio]").GetAttribute("data-saving"));
        Assert.Equal("Saving…", studio.Find("[data-testid=progress-saving]").TextContent.Trim());
        Assert.False(Has(studio, "cancel"));
        Assert.False(Has(studio, "progress-eta"));

        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Ended(JobState.Completed, null, "/r/token")));

        studio.WaitForAssertion(() => Assert.Equal("Completed", studio.Find("[data-testid=phase]").TextContent.Trim()), Patience);
        Assert.Equal("false", studio.Find("[data-testid=studio]").GetAttribute("data-saving"));
    }

    [Fact]
    public async Task CancelAsksTheServiceAsThisSessionsOwner()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        studio.Find("[data-testid=cancel]").Click();

        Assert.Equal((JobId, OwnerId), Assert.Single(Jobs.Cancellations));
    }

    [Fact]
    public async Task CompletedOffersReplayDownloadsAndAShareLink()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() =>
        {
            Jobs.Push(JobId, new JobUpdate.Started(1));
            foreach (var i in new[] { 0, 3, 7 }) Jobs.Push(JobId, Frame(i));
            Jobs.Push(JobId, new JobUpdate.Progress(Loss(100)));
            Jobs.Push(JobId, new JobUpdate.Ended(JobState.Completed, null, null));
        });

        studio.WaitForAssertion(() => Assert.Equal("completed", studio.Find("[data-testid=studio]").GetAttribute("data-phase")), Patience);
        Assert.True(Has(studio, "download-png"));
        Assert.True(Has(studio, "download-gif"));
        Assert.True(Has(studio, "replay-play"));
        Assert.True(Has(studio, "replay-scrubber"));
        Assert.Contains("Iteration 7 / 100", studio.Find("[data-testid=replay-iteration]").TextContent);
        Assert.EndsWith($"/watch/{JobId}", studio.Find("[data-testid=share-link] input, input[data-testid=share-link]").GetAttribute("value"));
        Assert.False(Has(studio, "cancel"));
        Assert.True(Has(studio, "start"));
    }

    [Fact]
    public async Task TheFirstFrameIsDrawnAtOnceAndLaterOnesWithThePagesNextRender()
    {
        BunitJSModuleInterop canvas = null!;
        var (ctx, studio) = await StartedStudio(c =>
        {
            canvas = c.JSInterop.SetupModule("./Components/Progression/ProgressionCanvas.razor.js");
            canvas.SetupVoid("draw", _ => true).SetVoidResult();
        });
        await using var _ = ctx;
        int[] Drawn() => [.. canvas.Invocations["draw"].Select(i => (int)i.Arguments[3]!)];

        await studio.InvokeAsync(() =>
        {
            Jobs.Push(JobId, new JobUpdate.Started(1));
            Jobs.Push(JobId, Frame(0));
        });
        studio.WaitForAssertion(() => Assert.Equal([0], Drawn()), Patience);

        // Three frames and their progress within the page's 300 ms: the newest is drawn with the next render, once.
        await studio.InvokeAsync(() =>
        {
            foreach (var i in new[] { 3, 6, 9 })
            {
                Jobs.Push(JobId, new JobUpdate.Progress(Loss(i)));
                Jobs.Push(JobId, Frame(i));
            }
        });
        studio.WaitForAssertion(() => Assert.Equal("9", studio.Find("[data-testid=progress]").GetAttribute("data-iteration")), Patience);
        Assert.Equal([0, 9], Drawn());
    }

    [Fact]
    public async Task FailedShowsTheReasonAndAllowsANewStart()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() => Jobs.Push(JobId, new JobUpdate.Ended(JobState.Failed, "CUDA out of memory", null)));

        studio.WaitForAssertion(() => Assert.Contains("CUDA out of memory", studio.Find("[data-testid=job-failed]").TextContent), Patience);
        Assert.False(studio.Find("[data-testid=start]").HasAttribute("disabled"));
        Assert.False(Has(studio, "cancel"));
        Assert.False(Has(studio, "download-png"));
    }

    [Fact]
    public async Task CancelledSaysSoAndKeepsTheFramesSoFarDownloadable()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;

        await studio.InvokeAsync(() =>
        {
            Jobs.Push(JobId, Frame(4));
            Jobs.Push(JobId, new JobUpdate.Ended(JobState.Cancelled, null, null));
        });

        studio.WaitForAssertion(() => Assert.True(Has(studio, "job-cancelled")), Patience);
        Assert.True(Has(studio, "download-gif"));
        Assert.False(Has(studio, "cancel"));
    }

    [Fact]
    public async Task ARefusedSubmissionLeavesTheStudioIdle()
    {
        await using var ctx = NewContext();
        var state = ctx.Services.GetRequiredService<StudioState>();
        state.SetContent(Picture("content.png", 64, 48));
        state.SetStyle(Picture("style.png", 32, 32));
        Jobs.NextResult = SubmitResult.Refused("The queue is full.");
        var studio = RenderStudio(ctx);

        studio.Find("[data-testid=start]").Click();

        Assert.Equal("idle", studio.Find("[data-testid=studio]").GetAttribute("data-phase"));
        Assert.Null(state.CurrentJob);
    }

    [Fact]
    public async Task ComingBackToTheStudioFollowsTheSessionsJobAgain()
    {
        var (ctx, studio) = await StartedStudio();
        await using var _ = ctx;
        Jobs.Snapshots[JobId] = Jobs.Snapshots[JobId] with { State = JobState.Running, Attempt = 1, History = [Loss(0), Loss(1), Loss(2)] };
        await ctx.DisposeComponentsAsync();
        await StyleBlazor.Tests.Support.StyleBlazorApplication.Eventually(() => Jobs.WatcherCount(JobId) == 0, "the feed to end with the page", Patience.TotalSeconds);

        var again = RenderStudio(ctx);

        again.WaitForAssertion(() => Assert.Equal("2", again.Find("[data-testid=progress]").GetAttribute("data-iteration")), Patience);
        Assert.Equal(1, Jobs.WatcherCount(JobId));
    }
}
