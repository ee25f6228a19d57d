using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using static StyleBlazor.Tests.Engine.Transfer.TestImages;

namespace StyleBlazor.Tests.Engine.Transfer;

public class StyleTransferOptionsTests
{
    static readonly StyleTransferOptions Valid = new();

    /// <summary>A bad value, and the words a message must contain to name its field.</summary>
    public static TheoryData<StyleTransferOptions, string> BadValues => new()
    {
        { Valid with { Iterations = 0 }, "Iterations" },
        { Valid with { Iterations = 100_001 }, "Iterations" },
        { Valid with { MaxSide = 8 }, "Image size" },
        { Valid with { MaxSide = 9000 }, "Image size" },
        { Valid with { ContentWeight = double.NaN }, "Content weight" },
        { Valid with { ContentWeight = -1 }, "Content weight" },
        { Valid with { ContentWeight = double.PositiveInfinity }, "Content weight" },
        { Valid with { StyleWeight = double.NaN }, "Style weight" },
        { Valid with { StyleWeight = -1e-2 }, "Style weight" },
        { Valid with { TotalVariationWeight = double.NaN }, "TV weight" },
        { Valid with { TotalVariationWeight = -1 }, "TV weight" },
        { Valid with { LearningRate = double.NaN }, "Learning rate" },
        { Valid with { LearningRate = 0 }, "Learning rate" },
        { Valid with { LearningRate = -2 }, "Learning rate" },
        { Valid with { LearningRate = 1001 }, "Learning rate" },
        { Valid with { Beta1 = double.NaN }, "β1" },
        { Valid with { Beta1 = 1 }, "β1" },
        { Valid with { Beta1 = -0.1 }, "β1" },
        { Valid with { Beta2 = double.NaN }, "β2" },
        { Valid with { Beta2 = 1.5 }, "β2" },
        { Valid with { Epsilon = double.NaN }, "ε" },
        { Valid with { Epsilon = 0 }, "ε" },
        { Valid with { Epsilon = -0.1 }, "ε" },
        { Valid with { JitterPixels = -1 }, "Jitter" },
        { Valid with { JitterPixels = 65 }, "Jitter" },
        { Valid with { AveragedIterates = -1 }, "Averaged iterates" },
        { Valid with { AveragedIterates = 1001 }, "Averaged iterates" },
        { Valid with { CoarseIterations = -1 }, "Coarse iterations" },
        { Valid with { CoarseIterations = 100 }, "Coarse iterations" },
        { Valid with { StyleLayers = [] }, "style layer" },
        { Valid with { StyleLayers = [new("block1_conv1", double.NaN)] }, "λ for block1_conv1" },
        { Valid with { StyleLayers = [new("block1_conv1", 0.5), new("block2_conv1", -0.5)] }, "λ for block2_conv1" },
        { Valid with { StyleBlend = [1, double.NaN] }, "blend weights" },
        { Valid with { StyleBlend = [1, -1] }, "blend weights" },
        { Valid with { StyleBlend = [0, 0] }, "blend weights" },
        { Valid with { StyleScale = 0.2 }, "Style scale must be between 0.25 and 2" },
        { Valid with { StyleScale = 2.5 }, "Style scale must be between 0.25 and 2" },
        { Valid with { StyleScale = double.NaN }, "Style scale" },
        { Valid with { Optimizer = (TransferOptimizer)7 }, "Optimizer must be adam or lbfgs" },
        { Valid with { PreserveColors = (ColorPreservation)7 }, "Colour preservation must be none, luminance or histogram" },
        { Valid with { Pooling = (PoolingMode)7 }, "Pooling must be max or average" },
    };

    [Fact]
    public void TheArticlesDefaultsAreValid()
    {
        Assert.Null(Valid.Validate());
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(2.0)]
    public void TheStyleScalesRangeIncludesItsEnds(double scale)
    {
        Assert.Null((Valid with { StyleScale = scale }).Validate());
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ABadValueIsRefusedWithAMessageNamingItsField(StyleTransferOptions options, string field)
    {
        var problem = options.Validate();

        Assert.NotNull(problem);
        Assert.Contains(field, problem);
    }

    [Fact]
    public void AnUnknownContentLayerIsRefusedListingTheKnownOnes()
    {
        var problem = (Valid with { ContentLayer = "conv9" }).Validate(["conv1", "conv2", "conv3"]);

        Assert.Equal("Unknown content layer 'conv9'; this backbone has conv1, conv2, conv3.", problem);
    }

    [Fact]
    public void AnUnknownStyleLayerIsRefusedListingTheKnownOnes()
    {
        var options = Valid with { ContentLayer = "conv3", StyleLayers = [new("conv1", 0.5), new("block1_conv1", 0.5)] };

        Assert.Equal("Unknown style layer 'block1_conv1'; this backbone has conv1, conv2, conv3.", options.Validate(["conv1", "conv2", "conv3"]));
    }

    [Fact]
    public void RunRefusesInvalidOptionsBeforeDoingAnyWork()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = Gradient(20, 16, 1);
        using var style = Gradient(16, 16, 2);

        // The defaults name VGG19's layers, which the tiny network does not have.
        var error = Assert.Throws<ArgumentException>(() => StyleTransfer.Run(backbone, content, [style], Valid with { MaxSide = 16 }));

        Assert.StartsWith("Unknown content layer 'block5_conv2'; this backbone has conv1, conv2, conv3.", error.Message);
        Assert.Equal("options", error.ParamName);
        Assert.Empty(backbone.Inputs);
    }
}
