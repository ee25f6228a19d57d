using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Studio;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Jobs;

public class StudioJobsTests
{
    static Image<Rgb24> Picture(int seed) => Image.Load<Rgb24>(Png(40, 30, seed));

    [Fact]
    public async Task TheStudioFeedStartsWithASnapshotThenCarriesEveryIterationOnceToTheEnd()
    {
        await using var app = new StyleBlazorApplication();
        var studio = app.Services.GetRequiredService<IStudioJobs>();
        Assert.IsType<StudioJobs>(studio);
        Assert.Equal(TestBackboneCatalog.Fast, studio.Backbones[0].Name);

        var submitted = studio.Submit(new StudioSubmission(BrowserSession.NewId(), Picture(1), Picture(2),
            TestBackboneCatalog.Defaults with { Iterations = 60 }, TestBackboneCatalog.Slow));
        Assert.NotNull(submitted.JobId);
        var job = app.Jobs.Find(submitted.JobId!)!;
        // Frames are encoded off the torch thread, so on a busy machine the first can come some iterations late.
        await Eventually(() => job.LossCount >= 4 && job.LatestFrame is not null, "a few iterations and a frame");

        var seen = new ConcurrentQueue<StudioJobEvent>();
        using var feed = studio.Watch(job.Id, seen.Enqueue);
        await Eventually(() => seen.LastOrDefault() is Studio.JobEndedEvent, "the end");

        var snapshot = Assert.IsType<JobSnapshotEvent>(seen.First());
        Assert.Equal(JobPhase.Running, snapshot.Phase);
        Assert.NotNull(snapshot.LatestFrame);
        var iterations = snapshot.History.Select(h => h.Iteration).Concat(seen.OfType<JobLossEvent>().Select(l => l.Loss.Iteration));
        Assert.Equal(Enumerable.Range(0, 61), iterations);
        var end = Assert.IsType<Studio.JobEndedEvent>(seen.Last());
        Assert.Equal(JobPhase.Completed, end.Phase);
        var png = await studio.ResultPngAsync(job.Id);
        Assert.Equal(0x89, png![0]);
        Assert.Null(studio.Watch("no-such-job", _ => { }));
    }

    [Fact]
    public async Task TheStudioGetsARefusalAsAMessage()
    {
        await using var app = new StyleBlazorApplication();
        var studio = app.Services.GetRequiredService<IStudioJobs>();

        var refused = studio.Submit(new StudioSubmission(BrowserSession.NewId(), Picture(1), Picture(2),
            TestBackboneCatalog.Defaults with { ContentLayer = "block5_conv2" }, TestBackboneCatalog.Fast));

        Assert.Null(refused.JobId);
        Assert.Contains("Unknown content layer 'block5_conv2'", refused.Refusal);
    }
}
