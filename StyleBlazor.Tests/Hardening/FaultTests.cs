using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using StyleBlazor.Identity;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Results;
using StyleBlazor.Tests.Results;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Hardening;

/// <summary>Each fault leaves the service running, the other jobs unaffected and the stored results intact.</summary>
public sealed class FaultTests : IDisposable
{
    private readonly TempDataDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task AJobThatThrowsMidRunFailsAloneAndTheWaitingJobAndAStoredResultAreUnaffected()
    {
        await using var app = new StyleBlazorApplication();
        var (storedLink, storedPng) = await CompleteAJobAsync(app);
        var failing = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var other = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));

        var failingReply = await failing.SubmitAsync(TinyJob(TestBackboneCatalog.Failing, iterations: 12));
        Assert.True(await failing.WatchAsync(failingReply.JobId!));
        var waitingReply = await other.SubmitAsync(TinyJob(iterations: 12));
        Assert.True(await other.WatchAsync(waitingReply.JobId!));

        var failed = await failing.WaitForEndAsync();
        var completed = await other.WaitForEndAsync();

        Assert.Equal("Failed", failed.Kind);
        // The watcher reads a plain message with an error id; the exception's own words stay in the log under that id.
        var errorId = Assert.Single(System.Text.RegularExpressions.Regex.Matches(failed.Text!, "error ([0-9a-f]{8})")).Groups[1].Value;
        Assert.Equal(JobRunner.FailedMessage(errorId), failed.Text);
        Assert.DoesNotContain("Injected", failed.Text);
        var logged = Assert.Single(app.Logs.Entries, e => e.Message.Contains(errorId));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, logged.Level);
        Assert.Contains($"Job {failingReply.JobId} failed (error {errorId})", logged.Message);
        Assert.Equal("Injected failure in the test backbone.", logged.Exception?.Message);
        var failedJob = app.Jobs.Find(failingReply.JobId!)!;
        Assert.Equal(JobState.Failed, failedJob.State);
        Assert.Equal(failed.Text, failedJob.Message);
        Assert.Equal("Completed", completed.Kind);
        var waitingJob = app.Jobs.Find(waitingReply.JobId!)!;
        Assert.Equal(JobState.Completed, waitingJob.State);
        Assert.True(waitingJob.StartedAt >= failedJob.EndedAt, "the second job waited for the failing one");
        Assert.Equal(storedPng, await app.CreateClient().GetByteArrayAsync($"{storedLink}/result.png"));
    }

    [Fact]
    public async Task AJobWhoseOwnerDropsTheConnectionMidRunCompletesAndItsLinkOpensForAnotherSession()
    {
        await using var app = new StyleBlazorApplication(("Engine:OwnerGracePeriod", "00:00:00"));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 15));
        var job = app.Jobs.Find(reply.JobId!)!;
        var ended = new TaskCompletionSource<JobUpdate.Ended>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = app.Services.GetRequiredService<JobEvents>().Subscribe(job.Id, (_, u) => { if (u is JobUpdate.Ended end) ended.TrySetResult(end); });
        await Eventually(() => job.LossCount >= 2, "the job to run");

        await owner.Connection.DisposeAsync();

        var end = await ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Completed, end.State);
        Assert.Equal(JobState.Completed, job.State);
        Assert.StartsWith("/r/", end.ShareLink);
        var stranger = app.CreateClient(); // no cookie: a new browser session
        var page = await stranger.GetAsync(end.ShareLink);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var png = await stranger.GetAsync($"{end.ShareLink}/result.png");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        // A later job on the same server still runs.
        var next = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        Assert.True(await next.WatchAsync((await next.SubmitAsync(TinyJob())).JobId!));
        Assert.Equal("Completed", (await next.WaitForEndAsync()).Kind);
    }

    [Fact]
    public async Task AShutdownMidRunInterruptsTheRunningJobAndARestartServesStoredResultsAndRunsNewJobs()
    {
        string session = BrowserSession.NewId();
        string storedLink;
        byte[] storedPng;
        StyleTransferJob running;
        await using (var app = new StyleBlazorApplication(_temp.DataDirectory))
        {
            (storedLink, storedPng) = await CompleteAJobAsync(app);
            var owner = new ProgressRecorder(await app.ConnectAsync(session));
            var reply = await owner.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 500));
            running = app.Jobs.Find(reply.JobId!)!;
            await Eventually(() => running.LossCount >= 3 && running.LatestFrame is not null, "the slow job to paint a frame");
        } // the app shuts down mid-run

        Assert.Equal(JobState.Interrupted, running.State);
        Assert.Contains("shut down", running.Message);
        Assert.InRange(running.LossCount, 3, 499);

        await using var restarted = new StyleBlazorApplication(_temp.DataDirectory, ("Diagnostics:KeySha256", ApiKeys.Sha256Hex("operator's key")));
        var browser = restarted.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(storedLink)).StatusCode);
        Assert.Equal(storedPng, await browser.GetByteArrayAsync($"{storedLink}/result.png"));
        // The interrupted run kept its best frame so far, stored for its owner as Interrupted.
        var owned = await restarted.Services.GetRequiredService<ResultStore>().ListForOwnerAsync(session);
        var interrupted = Assert.Single(owned);
        Assert.Equal(ResultOutcome.Interrupted, interrupted.Outcome);
        Assert.InRange(interrupted.IterationsRun, 3, 499);

        browser.DefaultRequestHeaders.Authorization = new("Bearer", "operator's key"); // the test server's caller is not local
        var diagnostics = await browser.GetFromJsonAsync<DiagnosticsReport>("/api/diagnostics");
        Assert.Equal("cpu", diagnostics!.Device);
        Assert.Equal(0, diagnostics.Jobs);
        var next = new ProgressRecorder(await restarted.ConnectAsync(BrowserSession.NewId()));
        Assert.True(await next.WatchAsync((await next.SubmitAsync(TinyJob())).JobId!));
        var end = await next.WaitForEndAsync();
        Assert.Equal("Completed", end.Kind);
        Assert.StartsWith("/r/", end.Text);
    }

    /// <summary>Runs a quick job to completion and returns its share link and the PNG bytes that link serves.</summary>
    private static async Task<(string Link, byte[] Png)> CompleteAJobAsync(StyleBlazorApplication app)
    {
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        Assert.True(await owner.WatchAsync((await owner.SubmitAsync(TinyJob())).JobId!));
        var end = await owner.WaitForEndAsync();
        Assert.Equal("Completed", end.Kind);
        Assert.StartsWith("/r/", end.Text);
        var png = await app.CreateClient().GetByteArrayAsync($"{end.Text}/result.png");
        Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        await owner.Connection.DisposeAsync();
        return (end.Text!, png);
    }
}
