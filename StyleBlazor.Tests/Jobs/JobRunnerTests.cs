using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

public class JobRunnerTests
{
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

