using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Tests.Engine.Transfer;

public class TransferScheduleTests
{
    [Fact]
    public void OneCoarseStageAtHalfSizeIsTheOldCoarseToFine()
    {
        var options = new StyleTransferOptions { Iterations = 400, CoarseIterations = 200 };

        var stages = TransferSchedule.For(new Size(512, 384), 32, options);

        Assert.Equal([(256, 192, 200, 0), (512, 384, 200, 200)], stages.Select(s => (s.Width, s.Height, s.Steps, s.FirstIteration)));
        Assert.All(stages, s => Assert.Equal(2, s.Count));
    }

    [Fact]
    public void CoarseIterationsAreSharedInProportionSmallestSizeFirstAndSumExactly()
    {
        var options = new StyleTransferOptions
        {
            Iterations = 100, CoarseIterations = 71, CoarseStages = [new(0.25, 2), new(0.5, 1)],
        };

        var stages = TransferSchedule.For(new Size(512, 384), 32, options);

        Assert.Equal([(128, 96, 47), (256, 192, 24), (512, 384, 29)], stages.Select(s => (s.Width, s.Height, s.Steps)));
        Assert.Equal([0, 47, 71], stages.Select(s => s.FirstIteration));
    }

    [Fact]
    public void AStageLeftWithoutStepsIsDropped()
    {
        var options = new StyleTransferOptions { Iterations = 3, CoarseIterations = 1, CoarseStages = [new(0.25, 1), new(0.5, 1)] };

        var stages = TransferSchedule.For(new Size(512, 384), 32, options);

        Assert.Equal([(128, 96, 1), (512, 384, 2)], stages.Select(s => (s.Width, s.Height, s.Steps)));
    }

    [Theory]
    [InlineData(0.5, 0.25, "grow")]
    [InlineData(0.5, 1.0, "grow")]
    [InlineData(0.0, 0.5, "grow")]
    public void CoarseStagesMustGrowAndStayBelowTheFinalSize(double first, double second, string expected)
    {
        var options = new StyleTransferOptions { Iterations = 10, CoarseIterations = 5, CoarseStages = [new(first, 1), new(second, 1)] };
        Assert.Contains(expected, options.Validate());
    }

    [Fact]
    public void ACoarseStageNeedsAShareAboveZero()
    {
        var options = new StyleTransferOptions { Iterations = 10, CoarseIterations = 5, CoarseStages = [new(0.5, 0)] };
        Assert.Contains("share", options.Validate());
    }

    [Fact]
    public void EveryReportNamesItsStageAndTheTimeLeftEndsAtZero()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(64, 48, 1);
        using var style = Gradient(30, 30, 2);
        var options = new StyleTransferOptions
        {
            Iterations = 9, MaxSide = 64, CoarseIterations = 6, CoarseStages = [new(0.25, 1), new(0.5, 1)],
            ContentLayer = "conv3", StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)], LearningRate = 10,
        };
        var progress = new List<TransferProgress>();

        StyleTransfer.Run(backbone, content, [style], options, progress.Add);

        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2, 2], progress.Select(p => p.Stage!.Index));
        Assert.Equal([(16, 12), (32, 24), (64, 48)], progress.Select(p => (p.Stage!.Width, p.Stage.Height)).Distinct());
        Assert.Null(progress[0].Remaining); // nothing timed yet
        Assert.Null(progress[1].Remaining); // only the first step, which also made the kernels
        Assert.All(progress.Skip(2), p => Assert.NotNull(p.Remaining));
        Assert.Equal(TimeSpan.Zero, progress[^1].Remaining);
    }
}
