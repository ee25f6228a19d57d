using Bunit;
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

    [Fact]
    public void TheLogAxisStartsAtTheSmallestValueAboveZeroNotAtAFixedFloor()
    {
        // J_C is 0 at iteration 0; the other values span 1e-2 … 1e4.
        double[] values = [0, 1e4, 5e3, 0.02, 0.01, 120];

        Assert.Equal(0.01, StyleBlazor.Components.Progression.LossChart.LogFloor(values));
    }

    [Fact]
    public void TheLogAxisSpansAtMostSixDecadesUnderTheLargestValue()
    {
        Assert.Equal(1e-2, StyleBlazor.Components.Progression.LossChart.LogFloor([1e4, 1e-9, 3]), 12);
        Assert.Equal(1, StyleBlazor.Components.Progression.LossChart.LogFloor([0, 0])); // nothing above zero yet
    }

    [Fact]
    public async Task TheLogChartOfARunStartingAtTheContentHasNoTickFarBelowItsValues()
    {
        await using var ctx = NewContext();
        LossRecord Point(int i, double content) => new(i, 1000.0 / (i + 1), content, 500.0 / (i + 1), 0, new Dictionary<string, double>(), i, 1, 0);
        var chart = ctx.Render<StyleBlazor.Components.Progression.LossChart>(p => p
            .Add(c => c.Losses, [Point(0, 0), Point(1, 5), Point(2, 8), Point(3, 9)]));

        // The y-axis labels are the decades of the plotted values: nothing near 1e-12.
        var labels = chart.FindAll("svg text").Select(t => t.TextContent.Trim())
            .Where(t => t.Contains('E')).Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(labels);
        Assert.True(labels.Min() >= 1, $"lowest tick {labels.Min()}");
    }
}
