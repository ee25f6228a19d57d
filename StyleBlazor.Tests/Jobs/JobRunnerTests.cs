using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Hubs;
using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

public class JobRunnerTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(0)] // kept for none
    public async Task ASecondJobOnTheSamePhotoTakesTheContentTargetsTheFirstMade(int cacheMiB)
    {
        // The fast recipe jittered, at two sizes, so that each job makes content targets in each.
        await using var app = new StyleBlazorApplication(("Engine:ContentTargetCacheMiB", $"{cacheMiB}"), ("Diagnostics:KeySha256", ApiKeys.Sha256Hex("key")))
        {
            Catalog = new TestBackboneCatalog { FastRecipe = TestBackboneCatalog.Defaults with { JitterPixels = 3, CoarseIterations = 6, Seed = 1 } },
        };
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        async Task RunAsync(SubmitRequest request)
        {
            var job = app.Jobs.Find((await owner.SubmitAsync(request)).JobId!)!;
            await Eventually(() => job.IsFinished, "the job to end");
            Assert.Equal(JobState.Completed, job.State);
        }
        var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", "key");

        await RunAsync(TinyJob());
        var afterFirst = await http.GetFromJsonAsync<DiagnosticsReport>("/api/diagnostics");
        var anotherStyle = TinyJob();
        anotherStyle.Styles = [Png(30, 30, seed: 3)];
        await RunAsync(anotherStyle);
        var afterSecond = await http.GetFromJsonAsync<DiagnosticsReport>("/api/diagnostics");

        Assert.InRange(afterFirst!.ContentTargetsMade, 8, 26); // 16 shifts a stage, met in 6 steps, and the unshifted two
        Assert.Equal(0, afterFirst.ContentTargetsReused);
        if (cacheMiB > 0)
        {
            Assert.InRange(afterFirst.ContentTargetBytes, 1, 100_000);
            Assert.Equal(afterFirst.ContentTargetsMade - 2, afterSecond!.ContentTargetsReused); // the same seed meets the same shifts
            Assert.Equal(afterFirst.ContentTargetsMade, afterSecond.ContentTargetsMade);
        }
        else
        {
            Assert.Equal(0, afterFirst.ContentTargetBytes);
            Assert.Equal(0, afterSecond!.ContentTargetsReused);
            Assert.Equal(2 * afterFirst.ContentTargetsMade, afterSecond.ContentTargetsMade);
        }
    }

    [Fact]
    public async Task AJobOnAPhotoPreparedWhileTheEngineWasIdleMakesNoContentTargetOfItsOwn()
    {
        var recipe = TestBackboneCatalog.Defaults with { JitterPixels = 3, CoarseIterations = 6, Seed = 1 };
        await using var app = new StyleBlazorApplication { Catalog = new TestBackboneCatalog { FastRecipe = recipe } };
        var host = app.Services.GetRequiredService<BackboneHost>();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));

        // The photo TinyJob sends, as the Studio would hand it over when it is picked.
        int prepared = await host.PrepareContentTargetsAsync(TestBackboneCatalog.Fast, Engine.Transfer.TestImages.Gradient(40, 30, 1), recipe);
        var job = app.Jobs.Find((await owner.SubmitAsync(TinyJob())).JobId!)!;
        await Eventually(() => job.IsFinished, "the job to end");

        Assert.Equal(JobState.Completed, job.State);
        Assert.InRange(prepared, 6, 24);
        Assert.Equal((prepared, prepared + 2), host.ContentTargets.Counts); // all reused; the job made only the unshifted two
    }

    [Fact]
    public async Task NothingIsPreparedWhileAJobRuns()
    {
        await using var app = new StyleBlazorApplication();
        var host = app.Services.GetRequiredService<BackboneHost>();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var job = app.Jobs.Find((await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500))).JobId!)!;
        await Eventually(() => job.LossCount >= 2, "the job to run");

        int prepared = await host.PrepareContentTargetsAsync(TestBackboneCatalog.Fast, Engine.Transfer.TestImages.Gradient(40, 30, 1),
            TestBackboneCatalog.Defaults with { JitterPixels = 3 });

        Assert.Equal(0, prepared);
        Assert.Equal((0, 1), host.ContentTargets.Counts); // nothing reused; the running job made its unshifted target
    }

    [Fact]
    public async Task ShuttingDownMidRunMarksTheRunningJobAndTheWaitingOnesInterrupted()
    {
        var app = new StyleBlazorApplication();
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var running = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        var waiting = await owner.SubmitAsync(TinyJob());
        var jobs = app.Jobs;
        var job = jobs.Find(running.JobId!)!;
        await Eventually(() => job.LossCount >= 2, "the job to run");

        await app.DisposeAsync();

        Assert.Equal(JobState.Interrupted, job.State);
        Assert.Contains("shut down", job.Message);
        Assert.NotNull(job.EndedAt);
        Assert.InRange(job.LossCount, 2, 499);
        Assert.Equal(JobState.Interrupted, jobs.Find(waiting.JobId!)!.State);
    }

    [Fact]
    public async Task AJobThatRunsPastTheTimeLimitFailsWithTheReason()
    {
        await using var app = new StyleBlazorApplication(("Engine:JobTimeout", "00:00:01"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        Assert.True(await owner.WatchAsync(reply.JobId!));

        var end = await owner.WaitForEndAsync();

        Assert.Equal("Failed", end.Kind);
        Assert.Contains("limit of 00:00:01", end.Text);
        Assert.Equal(JobState.Failed, app.Jobs.Find(reply.JobId!)!.State);
    }

    [Fact]
    public async Task ByDefaultAJobFinishesWhenItsOwnerGoesAway()
    {
        await using var app = new StyleBlazorApplication(("Engine:OwnerGracePeriod", "00:00:00"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 15));
        var job = app.Jobs.Find(reply.JobId!)!;

        await owner.Connection.DisposeAsync();

        await Eventually(() => job.IsFinished, "the job to end");
        Assert.Equal(JobState.Completed, job.State);
    }

    [Fact]
    public async Task WithTheCancelPolicyAJobStopsWhenItsOwnerGoesAway()
    {
        await using var app = new StyleBlazorApplication(("Engine:OnOwnerDisconnect", "Cancel"), ("Engine:OwnerGracePeriod", "00:00:00"));
        var session = BrowserSession.NewId();
        var owner = new ProgressRecorder(await app.ConnectAsync(session));
        var secondTab = await app.ConnectAsync(session);
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
        var job = app.Jobs.Find(reply.JobId!)!;
        await Eventually(() => job.LossCount >= 2, "the job to run");

        await owner.Connection.DisposeAsync();
        int atFirstClose = job.LossCount;
        await Eventually(() => job.LossCount >= atFirstClose + 3, "the job to go on while a second tab is open");
        await secondTab.DisposeAsync();

        await Eventually(() => job.IsFinished, "the job to stop");
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Contains("went away", job.Message);
    }
}

