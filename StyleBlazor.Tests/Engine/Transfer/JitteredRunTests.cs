using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>What the ResNet18 recipe adds to a run: the last iterates (averaged) under jitter, and style images at their own aspect.</summary>
public class JitteredRunTests
{
    static readonly StyleTransferOptions TinyOptions = new()
    {
        Iterations = 12,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        LearningRate = 60, // large enough that J goes up as well as down
        JitterPixels = 3,
        Seed = 3,
    };

    [Fact]
    public void AJitteredRunReturnsItsLastIterateWithItsUnshiftedLoss()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var progress = new List<TransferProgress>();

        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions with { CoarseIterations = 4 }, progress.Add);

        var last = progress[^1];
        Assert.Equal(12, last.Iteration);
        Assert.True(last.Improved);
        Assert.Equal(12, result.BestIteration);
        Assert.Equal(last.Loss.Total, result.BestLoss.Total);
        Assert.Equal(last.Frame!.Pixels, result.BestImage.Pixels);
    }

    [Fact]
    public void AveragedIteratesChangeTheResultButNotThePathAndTheFinalReportMeasuresTheAverage()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var options = TinyOptions with { Iterations = 40, CoarseIterations = 10 }; // 30 full-size steps: 3 averaged
        List<TransferProgress> lastIterate = [], averaged = [];

        var last = StyleTransfer.Run(backbone, content, [style], options, lastIterate.Add);
        var mean = StyleTransfer.Run(backbone, content, [style], options with { AveragedIterates = 3 }, averaged.Add);

        // The same steps: every J up to the last iterate's is the same; only what the run returns differs.
        Assert.Equal(lastIterate.SkipLast(1).Select(p => p.Loss.Total), averaged.SkipLast(1).Select(p => p.Loss.Total));
        Assert.NotEqual(last.BestImage.Pixels, mean.BestImage.Pixels);
        Assert.Equal(averaged[^1].Frame!.Pixels, mean.BestImage.Pixels);
        Assert.Equal(averaged[^1].Loss.Total, mean.BestLoss.Total);
        Assert.Equal(40, mean.BestIteration);
        // At lr 60 the iterates jump about; their average sits lower in J (unshifted) than the last one alone.
        Assert.True(mean.BestLoss.Total < last.BestLoss.Total, $"averaged J {mean.BestLoss.Total} against the last iterate's {last.BestLoss.Total}");
    }

    [Fact]
    public void AShortFinalStageReturnsItsLastIterate()
    {
        // 8 full-size steps: a tenth of them is less than two, so nothing is averaged (a short run's iterates still move
        // too fast; an average would lag behind them).
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var options = TinyOptions with { CoarseIterations = 4 };

        var last = StyleTransfer.Run(backbone, content, [style], options);
        var withAverage = StyleTransfer.Run(backbone, content, [style], options with { AveragedIterates = 10 });

        Assert.Equal(last.BestLoss.Total, withAverage.BestLoss.Total);
        Assert.Equal(last.BestImage.Pixels, withAverage.BestImage.Pixels);
    }

    [Fact]
    public void WithoutJitterTheRunKeepsItsBestImageAndAveragesNothing()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var options = TinyOptions with { JitterPixels = 0, Iterations = 40 }; // long enough that a jittered run would average 3

        var best = StyleTransfer.Run(backbone, content, [style], options);
        var withAverage = StyleTransfer.Run(backbone, content, [style], options with { AveragedIterates = 3 });

        Assert.Equal(best.BestIteration, withAverage.BestIteration);
        Assert.Equal(best.BestLoss.Total, withAverage.BestLoss.Total);
        Assert.Equal(best.BestImage.Pixels, withAverage.BestImage.Pixels);
    }

    [Fact]
    public void StyleKeepsAspectFeedsTheStyleAtItsOwnAspectRatioAndTheArticleSquashesIt()
    {
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(20, 40, 2);

        IEnumerable<(long W, long H)> InputSizes(StyleTransferOptions o)
        {
            using var backbone = new RecordingBackbone(new TinyConvBackbone());
            StyleTransfer.Run(backbone, content, [style], o with { Iterations = 2, JitterPixels = 0 });
            return backbone.Inputs.Select(i => (i.Shape[3], i.Shape[2])).Distinct().ToList();
        }

        Assert.Equal([(32L, 24L)], InputSizes(TinyOptions));
        Assert.Equal([(32L, 24L), (16L, 32L)], InputSizes(TinyOptions with { StyleKeepsAspect = true }).OrderByDescending(s => s.W));
    }
}
