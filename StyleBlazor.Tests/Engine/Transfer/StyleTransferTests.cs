using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

public class StyleTransferTests
{
    static readonly StyleTransferOptions TinyOptions = new()
    {
        Iterations = 30,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
        LearningRate = 10,
    };

    [Fact]
    public void ThirtyIterationsLowerTheBestLoss()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var progress = new List<TransferProgress>();
        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions, progress.Add);

        Assert.Equal(31, progress.Count);
        Assert.Equal(Enumerable.Range(0, 31), progress.Select(p => p.Iteration));
        Assert.True(result.BestLoss.Total < progress[0].Loss.Total * 0.9, $"best {result.BestLoss.Total} vs initial {progress[0].Loss.Total}");
        Assert.Equal(32, result.BestImage.Width);
        Assert.Equal(24, result.BestImage.Height);
    }

    [Fact]
    public void TwoRunsWithTheSameSeedAreIdenticalAndADifferentSeedDiffers()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var options = TinyOptions with { Iterations = 8, InitialImage = InitialImage.Noise, JitterPixels = 3, Seed = 7 };

        (double[] Losses, byte[] Pixels) Run(StyleTransferOptions o)
        {
            var losses = new List<double>();
            var result = StyleTransfer.Run(backbone, content, [style], o, p =>
                losses.AddRange([p.Loss.Total, p.Loss.Content, p.Loss.Style, .. p.Loss.StyleLayers.Values]));
            return (losses.ToArray(), result.BestImage.Pixels);
        }

        var first = Run(options);
        var second = Run(options);
        var otherSeed = Run(options with { Seed = 8 });

        Assert.Equal(first.Losses, second.Losses);
        Assert.Equal(first.Pixels, second.Pixels);
        Assert.NotEqual(first.Losses[0], otherSeed.Losses[0]); // another noise image from the start
        Assert.NotEqual(first.Pixels, otherSeed.Pixels);
    }

    [Fact]
    public void CancellingFromTheThirdIterationsProgressStopsBeforeTheNextIteration()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        using var cancellation = new CancellationTokenSource();
        var seen = new List<int>();

        Assert.ThrowsAny<OperationCanceledException>(() => StyleTransfer.Run(backbone, content, [style], TinyOptions with { Iterations = 20 },
            p =>
            {
                seen.Add(p.Iteration);
                if (p.Iteration == 3) cancellation.Cancel();
            },
            cancellationToken: cancellation.Token));

        Assert.Equal([0, 1, 2, 3], seen);
    }

    [Fact]
    public void CoarseToFineReportsEveryFrameAtTheFinalSizeAndNumbersIterationsOnwardsFromZero()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(30, 30, 2);
        var progress = new List<TransferProgress>();

        var result = StyleTransfer.Run(backbone, content, [style], TinyOptions with { Iterations = 6, CoarseIterations = 3 }, progress.Add);

        Assert.Equal(Enumerable.Range(0, 7), progress.Select(p => p.Iteration));
        var frames = progress.Where(p => p.Frame is not null).Select(p => p.Frame!).ToList();
        Assert.NotEmpty(frames);
        Assert.All(frames, f => Assert.Equal((32, 24), (f.Width, f.Height)));
        Assert.Equal((32, 24), (result.BestImage.Width, result.BestImage.Height));
        Assert.Equal(6, result.IterationsRun);
        // The coarse stage really ran at half size: the network saw 16×12 inputs, then 32×24 ones.
        var sizes = backbone.Inputs.Select(i => (i.Shape[3], i.Shape[2])).Distinct().ToList();
        Assert.Equal([(16L, 12L), (32L, 24L)], sizes);
    }

    [Fact]
    public void BlendingTwoStylesWithWeightsOneAndZeroGivesTheLossesOfTheFirstStyleAlone()
    {
        using var backbone = new TinyConvBackbone();
        using var content = Gradient(40, 30, 1);
        using var styleA = Gradient(30, 30, 2);
        using var styleB = Gradient(20, 36, 3);
        var options = TinyOptions with { Iterations = 4 };

        double[] Losses(StyleTransferOptions o, params SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>[] styles)
        {
            var losses = new List<double>();
            StyleTransfer.Run(backbone, content, styles, o, p => losses.AddRange([p.Loss.Total, .. p.Loss.StyleLayers.Values]));
            return losses.ToArray();
        }

        var alone = Losses(options, styleA);
        var blendedOneZero = Losses(options with { StyleBlend = [1, 0] }, styleA, styleB);
        var blendedEven = Losses(options with { StyleBlend = [1, 1] }, styleA, styleB);

        Assert.Equal(alone, blendedOneZero);
        Assert.NotEqual(alone[0], blendedEven[0]); // B's weight does reach the target
    }
}
