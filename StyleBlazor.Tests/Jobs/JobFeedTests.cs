using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Identity;
using StyleBlazor.Jobs;
using StyleBlazor.Studio;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

/// <summary>The one feed of a job: a snapshot first, then every update once, each watcher at its own pace.</summary>
public class JobFeedTests
{
    static Image<Rgb24> Picture(int seed) => Image.Load<Rgb24>(Png(40, 30, seed));

    /// <summary>A feed over one queued job that nothing runs: the test records its updates by hand.</summary>
    static (JobFeed Feed, JobRegistry Jobs, StyleTransferJob Job, FrameStatistics Statistics) OneJob()
    {
        var events = new JobEvents(NullLogger<JobEvents>.Instance);
        var jobs = new JobRegistry(events, Options.Create(new EngineOptions()), TimeProvider.System);
        var job = TestJobs.Waiting();
        jobs.Add(job);
        var statistics = new FrameStatistics();
        return (new JobFeed(jobs, events, statistics, new NothingStored()), jobs, job, statistics);
    }

    static JobUpdate.Frame Frame(int iteration) => new(iteration, 1, 1, "image/jpeg", [0xFF, 0xD8]);

    static JobUpdate.Progress Progress(int iteration) =>
        new(new LossRecord(iteration, 1, 1, 1, 0, new Dictionary<string, double>(), iteration, 1, 0));

    [Fact]
    public async Task ASlowWatcherGetsEveryProgressButOnlyTheNewestOfTheFramesThatPiledUp()
    {
        var (feed, jobs, job, statistics) = OneJob();
        await using var watcher = feed.WatchAsync(job.Id).GetAsyncEnumerator();
        Assert.True(await watcher.MoveNextAsync());
        Assert.IsType<JobUpdate.Snapshot>(watcher.Current);

        // The watcher reads nothing while the job goes on.
        jobs.Record(job, new JobUpdate.Started(1));
        for (int i = 0; i < 5; i++)
        {
            jobs.Record(job, Progress(i));
            jobs.Record(job, Frame(i));
        }
        jobs.End(job, JobState.Completed, null, "/r/link");

        var seen = new List<string>();
        while (await watcher.MoveNextAsync())
            seen.Add(watcher.Current switch
            {
                JobUpdate.Progress p => $"Progress {p.Loss.Iteration}",
                JobUpdate.Frame f => $"Frame {f.Iteration}",
                var other => other.GetType().Name,
            });

        Assert.Equal(["Started", "Progress 0", "Progress 1", "Progress 2", "Progress 3", "Progress 4", "Frame 4", "Ended"], seen);
        Assert.Equal(4, statistics.Coalesced);
    }

    [Fact]
    public async Task AWatcherJoiningMidRunGetsWhatHappenedSoFarInTheSnapshotAndNothingTwice()
    {
        var (feed, jobs, job, _) = OneJob();
        jobs.Record(job, new JobUpdate.Started(1));
        for (int i = 0; i < 3; i++) jobs.Record(job, Progress(i));
        jobs.Record(job, Frame(2));

        await using var watcher = feed.WatchAsync(job.Id).GetAsyncEnumerator();
        Assert.True(await watcher.MoveNextAsync());
        jobs.Record(job, Progress(3));
        jobs.Record(job, Frame(1)); // older than the newest: not news
        jobs.End(job, JobState.Completed, null, "/r/link");

        var snapshot = Assert.IsType<JobUpdate.Snapshot>(watcher.Current);
        Assert.Equal((JobState.Running, 1, 2), (snapshot.State, snapshot.Attempt, snapshot.LatestFrame?.Iteration));
        Assert.Equal([0, 1, 2], snapshot.History.Select(h => h.Iteration));
        Assert.True(await watcher.MoveNextAsync());
        Assert.Equal(3, Assert.IsType<JobUpdate.Progress>(watcher.Current).Loss.Iteration);
        Assert.True(await watcher.MoveNextAsync());
        Assert.Equal("/r/link", Assert.IsType<JobUpdate.Ended>(watcher.Current).ShareLink);
        Assert.False(await watcher.MoveNextAsync());
    }

    [Fact]
    public async Task AnUpdateDeliveredAfterTheSnapshotThatHeldItIsNotPassedOnTwice()
    {
        // Across nodes the snapshot is read from Redis while the channel may still be carrying updates it holds.
        var buffer = new WatcherBuffer(new FrameStatistics());
        buffer.Add(1, Progress(0));
        buffer.DropUpTo(2);
        buffer.Add(2, Progress(1)); // late: the snapshot (up to 2) holds it
        buffer.Add(3, Progress(2));

        Assert.Equal(1, buffer.Count);
        Assert.Equal(2, Assert.IsType<JobUpdate.Progress>(await buffer.TakeAsync(CancellationToken.None)).Loss.Iteration);
    }

    [Fact]
    public async Task ARestartClearsWhatTheLastAttemptPaintedAndSaysWhichAttemptRuns()
    {
        var (feed, jobs, job, _) = OneJob();
        jobs.Record(job, new JobUpdate.Started(1));
        jobs.Record(job, Progress(0));
        jobs.Record(job, Frame(0));

        jobs.Record(job, new JobUpdate.Started(2));
        var snapshot = Assert.IsType<JobUpdate.Snapshot>(await feed.WatchAsync(job.Id).FirstAsync());

        Assert.Equal((2, 0, (int?)null), (snapshot.Attempt, snapshot.History.Count, snapshot.LatestFrame?.Iteration));
        Assert.False(jobs.Record(job, new JobUpdate.Started(2)), "the same attempt twice is not news");
    }

    [Fact]
    public async Task AnEndedJobsFeedIsItsSnapshotAloneAndAnUnknownJobsIsEmpty()
    {
        var (feed, jobs, job, _) = OneJob();
        jobs.End(job, JobState.Cancelled, "Cancelled by its owner.");

        var updates = await feed.WatchAsync(job.Id).ToListAsync();

        var snapshot = Assert.IsType<JobUpdate.Snapshot>(Assert.Single(updates));
        Assert.Equal((JobState.Cancelled, "Cancelled by its owner."), (snapshot.State, snapshot.Message));
        Assert.Empty(await feed.WatchAsync("no-such-job").ToListAsync());
        Assert.Null(await feed.SnapshotAsync("no-such-job"));
    }

    [Fact]
    public async Task TheStudioFeedOfARealRunCarriesEveryIterationOnceToTheEndAndItsShareLink()
    {
        await using var app = new StyleBlazorApplication();
        var studio = app.Services.GetRequiredService<IStudioJobs>();
        Assert.IsType<StudioJobs>(studio);
        Assert.Equal(TestBackboneCatalog.Fast, studio.Backbones!.Default!.Name);

        var submitted = await studio.SubmitAsync(new StudioSubmission(new Requester(BrowserSession.NewId(), null), Picture(1), [Picture(2)],
            TestBackboneCatalog.Defaults with { Iterations = 60 }, TestBackboneCatalog.Slow));
        Assert.NotNull(submitted.JobId);
        var job = app.Jobs.Find(submitted.JobId!)!;
        // Frames are encoded off the torch thread, so on a busy machine the first can come some iterations late.
        await Eventually(() => job.LossCount >= 4 && job.LatestFrame is not null, "a few iterations and a frame");

        var seen = await studio.WatchAsync(job.Id).ToListAsync();

        var snapshot = Assert.IsType<JobUpdate.Snapshot>(seen[0]);
        Assert.Equal(JobState.Running, snapshot.State);
        Assert.NotNull(snapshot.LatestFrame);
        var iterations = snapshot.History.Select(h => h.Iteration).Concat(seen.OfType<JobUpdate.Progress>().Select(p => p.Loss.Iteration));
        Assert.Equal(Enumerable.Range(0, 61), iterations);
        var end = Assert.IsType<JobUpdate.Ended>(seen[^1]);
        Assert.Equal(JobState.Completed, end.State);
        Assert.StartsWith("/r/", end.ShareLink);
        Assert.Equal(end.ShareLink, (await studio.WatchAsync(job.Id).FirstAsync() as JobUpdate.Snapshot)?.ShareLink);
        var png = await studio.ResultPngAsync(job.Id);
        Assert.Equal(0x89, png![0]);
    }

    [Fact]
    public async Task TheStudioGetsARefusalAsAMessage()
    {
        await using var app = new StyleBlazorApplication();
        var studio = app.Services.GetRequiredService<IStudioJobs>();

        var refused = await studio.SubmitAsync(new StudioSubmission(new Requester(BrowserSession.NewId(), null), Picture(1), [Picture(2)],
            TestBackboneCatalog.Defaults with { ContentLayer = "block5_conv2" }, TestBackboneCatalog.Fast));

        Assert.Null(refused.JobId);
        Assert.Contains("Unknown content layer 'block5_conv2'", refused.Refusal);
    }
}
