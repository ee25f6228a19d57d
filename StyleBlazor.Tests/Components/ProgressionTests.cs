using StyleBlazor.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Studio;

namespace StyleBlazor.Tests.Components;

public class ProgressionTests : ComponentTestBase
{
    [Fact]
    public void TheGifHasOneLoopingFramePerImprovedFrameAtTheResultsSize()
    {
        var frames = new[] { Frame(0, shade: 10), Frame(4, shade: 120), Frame(9, shade: 240) };

        using var gif = Image.Load<Rgba32>(ProgressionGif.Encode(frames));

        Assert.Equal((64, 48, 3), (gif.Width, gif.Height, gif.Frames.Count));
        Assert.Equal(0, gif.Metadata.GetGifMetadata().RepeatCount);
        Assert.Equal(ProgressionGif.FinalFrameDelay, gif.Frames[2].Metadata.GetGifMetadata().FrameDelay);
    }

    [Fact]
    public void ThePngIsTheFrameLosslesslyReencoded()
    {
        using var png = Image.Load<Rgb24>(ProgressionGif.ToPng(Frame(7, 30, 20)));

        Assert.Equal((30, 20), (png.Width, png.Height));
    }

    [Fact]
    public void TheTimelineKeepsLossesInOrderAndIgnoresStaleFrames()
    {
        var timeline = new JobTimeline("j");
        timeline.Apply(FakeStudioJobs.Snapshot("j", JobState.Running, new StyleTransferOptions { Iterations = 10 }, [Loss(0), Loss(1)], latest: Frame(1)));

        timeline.Apply(new JobUpdate.Progress(Loss(1)));
        timeline.Apply(new JobUpdate.Progress(Loss(2)));
        var stale = timeline.Apply(Frame(1));
        var fresh = timeline.Apply(Frame(2));

        Assert.Equal([0, 1, 2], timeline.Losses.Select(l => l.Iteration));
        Assert.Null(stale);
        Assert.Equal(2, fresh?.Iteration);
        Assert.Equal([1, 2], timeline.Frames.Select(f => f.Iteration));
    }

    [Fact]
    public void TheTimelineKeepsABoundedNumberOfFramesIncludingTheFirstAndLast()
    {
        var timeline = new JobTimeline("j");
        var bytes = new byte[] { 1 };
        for (int i = 0; i < JobTimeline.MaxFrames * 3; i++)
            timeline.Apply(new JobUpdate.Frame(i, 1, 1, "image/jpeg", bytes));

        Assert.Equal(JobTimeline.MaxFrames, timeline.Frames.Count);
        Assert.Equal(0, timeline.Frames[0].Iteration);
        Assert.Equal(JobTimeline.MaxFrames * 3 - 1, timeline.Frames[^1].Iteration);
        Assert.True(timeline.Frames.Zip(timeline.Frames.Skip(1)).All(p => p.First.Iteration < p.Second.Iteration));
    }

    [Fact]
    public void AnEndedJobIgnoresLateQueueNews()
    {
        var timeline = new JobTimeline("j");
        timeline.Apply(new JobUpdate.Ended(JobState.Cancelled, null, null));

        timeline.Apply(new JobUpdate.Queued(1));

        Assert.Equal(JobState.Cancelled, timeline.State);
    }
}
