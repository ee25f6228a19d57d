using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>Stroke size: the style image is resized by StyleScale relative to the content's working size before its Grams.</summary>
public class StyleScaleTests
{
    static readonly StyleTransferOptions TinyOptions = new()
    {
        Iterations = 2,
        MaxSide = 32,
        ContentLayer = "conv3",
        StyleLayers = [new("conv1", 0.5), new("conv2", 0.5)],
    };

    /// <summary>Every input size the network saw, widest first: the content and image at 32×24, then the style's.</summary>
    static List<(long W, long H)> InputSizes(StyleTransferOptions options, int styleWidth, int styleHeight)
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(40, 30, 1);
        using var style = Gradient(styleWidth, styleHeight, 2);
        StyleTransfer.Run(backbone, content, [style], options);
        return backbone.Inputs.Select(i => (i.Shape[3], i.Shape[2])).Distinct().OrderByDescending(s => s.Item1 * s.Item2).ToList();
    }

    [Theory]
    [InlineData(1.0, 32, 24)]
    [InlineData(0.5, 16, 12)]
    [InlineData(2.0, 64, 48)]
    public void TheStyleTargetsComeFromTheStyleAtThatFractionOfTheContentsWorkingSize(double scale, long width, long height)
    {
        var sizes = InputSizes(TinyOptions with { StyleScale = scale }, 30, 30);

        Assert.Contains((32L, 24L), sizes);
        Assert.Contains((width, height), sizes);
        Assert.Equal(scale == 1 ? 1 : 2, sizes.Count);
    }

    [Fact]
    public void WithStyleKeepsAspectTheStylesOwnShapeIsScaled()
    {
        // A 20×40 portrait at the content's longest side (32) is 16×32; at half the stroke size 8×16.
        Assert.Equal([(32L, 24L), (16L, 32L)], InputSizes(TinyOptions with { StyleKeepsAspect = true }, 20, 40));
        Assert.Equal([(32L, 24L), (8L, 16L)], InputSizes(TinyOptions with { StyleKeepsAspect = true, StyleScale = 0.5 }, 20, 40));
    }

    [Fact]
    public void CoarseToFineScalesTheStyleOfEachStage()
    {
        // Coarse stage 16×12 with its style at 8×6; final stage 32×24 with its style at 16×12.
        var sizes = InputSizes(TinyOptions with { Iterations = 4, CoarseIterations = 2, StyleScale = 0.5 }, 30, 30);

        Assert.Equal([(32L, 24L), (16L, 12L), (8L, 6L)], sizes);
    }
}
