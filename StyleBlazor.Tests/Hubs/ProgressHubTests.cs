using StyleBlazor.Extensions;
using StyleBlazor.Jobs;
using StyleBlazor.Tests.Support;
using static StyleBlazor.Tests.Support.StyleBlazorApplication;

namespace StyleBlazor.Tests.Hubs;

public class ProgressHubTests
{
    [Fact]
    public async Task AWatcherReceivesQueuedStartedProgressFramesAndCompletionInOrder()
    {
        await using var app = new StyleBlazorApplication(("Frames:MaxFramesPerSecond", "60"));
        var other = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));
        var owner = new ProgressRecorder(await app.ConnectAsync(BrowserSession.NewId()));

        // A slow job by someone else holds the worker, so ours is seen waiting first.
        var blocker = await other.SubmitAsync(TinyJob(TestBackboneCatalog.Slow, iterations: 8));
        await Eventually(() => app.Jobs.Find(blocker.JobId!)!.State == JobState.Running, "the blocker to start");
        var reply = await owner.SubmitAsync(TinyJob(iterations: 12));
        Assert.True(reply.Accepted, reply.Message);
        Assert.True(await owner.WatchAsync(reply.JobId!));

        var end = await owner.WaitForEndAsync();

        Assert.Equal("Completed", end.Kind);
        Assert.Equal($"/api/jobs/{reply.JobId}/result", end.Text);
        var kinds = owner.Messages.Select(m => m.Kind).ToList();
        Assert.Equal(["History", "Queued", "Started"], kinds.Take(3));
        Assert.Equal(1, owner.Messages[1].Count); // position 1
        var progress = owner.OfKind("Progress");
        Assert.Equal(Enumerable.Range(0, 13), progress.Select(p => p.Iteration)); // 0 = initial image … 12
        Assert.All(progress, p => Assert.Equal(2, p.Count)); // J_S per style layer
        var frames = owner.OfKind("Frame");
        Assert.NotEmpty(frames);
        Assert.True(frames.Select(f => f.Iteration).SequenceEqual(frames.Select(f => f.Iteration).Order().Distinct()), "frame iterations increase");
        Assert.All(frames, f => Assert.Equal([0xFF, 0xD8], f.Bytes![..2])); // JPEG
        Assert.Equal(32, frames[^1].Width);
        // Each frame comes after the progress of its own iteration.
        foreach (var f in frames)
            Assert.True(kinds.IndexOf("Frame") > 0 && owner.Messages.ToList().FindIndex(m => m.Kind == "Progress" && m.Iteration == f.Iteration) < owner.Messages.ToList().IndexOf(f));
        Assert.Equal("Completed", kinds[^1]);

        using var http = app.CreateClient();
        var png = await http.GetByteArrayAsync(end.Text);
        Assert.Equal(0x89, png[0]);
    }
}
