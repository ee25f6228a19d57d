using StyleBlazor.Results;

namespace StyleBlazor.Tests.Results;

public sealed class ProgressionRecorderTests
{
    [Fact]
    public void ALongRunKeepsAtMostTwiceTheFrameLimitSpreadOverTheWholeRun()
    {
        var recorder = new ProgressionRecorder(new ResultsOptions { MaxProgressionFrames = 10, ProgressionMaxSide = 16 });

        for (var i = 0; i < 1000; i++) recorder.Add(i, SampleResults.Frame(24, 16, seed: i % 7));

        var frames = recorder.Frames;
        Assert.InRange(frames.Count, 10, 19);
        Assert.Equal(0, frames[0].Iteration);
        Assert.True(frames[^1].Iteration > 900, $"last kept frame is from iteration {frames[^1].Iteration}");
        Assert.Equal(frames.Select(f => f.Iteration).Order(), frames.Select(f => f.Iteration));
    }

    [Fact]
    public void FramesAreShrunkToTheProgressionSize()
    {
        var recorder = new ProgressionRecorder(new ResultsOptions { ProgressionMaxSide = 32 });

        recorder.Add(0, SampleResults.Frame(128, 64, seed: 1));

        using var image = SixLabors.ImageSharp.Image.Load(recorder.Frames[0].Encoded);
        Assert.Equal((32, 16), (image.Width, image.Height));
    }
}
