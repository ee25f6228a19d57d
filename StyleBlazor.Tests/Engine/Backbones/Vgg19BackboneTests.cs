using StyleBlazor.Engine.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Backbones;

public sealed class Vgg19BackboneTests : IDisposable
{
    const int TinyWidth = 16; // channels 4, 8, 16, 32, 32
    readonly Vgg19Backbone backbone = Vgg19Backbone.CreateRandom(seed: 5, TinyWidth);

    public void Dispose() => backbone.Dispose();

    static Tensor Image(int height, int width, bool requiresGrad = false) =>
        randn(1, 3, height, width, generator: new Generator(42)).mul_(50).requires_grad_(requiresGrad);

    static bool Identical(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    [Fact]
    public void LayersAreTheSixteenKerasConvolutionsWithTheirChannelsAndStrides()
    {
        using var fullWidth = new Vgg19Backbone(ImagePreprocessing.KerasVgg19);

        Assert.Equal(
            [
                ("block1_conv1", 64, 1), ("block1_conv2", 64, 1),
                ("block2_conv1", 128, 2), ("block2_conv2", 128, 2),
                ("block3_conv1", 256, 4), ("block3_conv2", 256, 4), ("block3_conv3", 256, 4), ("block3_conv4", 256, 4),
                ("block4_conv1", 512, 8), ("block4_conv2", 512, 8), ("block4_conv3", 512, 8), ("block4_conv4", 512, 8),
                ("block5_conv1", 512, 16), ("block5_conv2", 512, 16), ("block5_conv3", 512, 16), ("block5_conv4", 512, 16),
            ],
            fullWidth.Layers.Select(l => (l.Name, l.Channels, l.Stride)));
        Assert.Equal("vgg19", fullWidth.Name);
        Assert.Equal(1, fullWidth.SizeMultiple);
        // 20,024,384 is the parameter count of Keras' VGG19(include_top=False).
        Assert.Equal(20_024_384, fullWidth.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void WidthDivisorDividesEveryLayersChannels()
    {
        Assert.Equal([4, 4, 8, 8, 16, 16, 16, 16, 32, 32, 32, 32, 32, 32, 32, 32], backbone.Layers.Select(l => l.Channels));
    }

    [Fact]
    public void WidthDivisorThatDoesNotDivide64IsRejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Vgg19Backbone(ImagePreprocessing.KerasVgg19, widthDivisor: 3));
        Assert.Equal("widthDivisor", error.ParamName);
    }

    [Fact]
    public void ForwardReturnsExactlyTheRequestedTapsWithTheirChannelsAndSizes()
    {
        using var input = Image(32, 48);

        var taps = backbone.Forward(input, ["block5_conv4", "block1_conv1", "block3_conv2"]);
        try
        {
            Assert.Equal(["block1_conv1", "block3_conv2", "block5_conv4"], taps.Keys.Order());
            Assert.Equal([1L, 4, 32, 48], taps["block1_conv1"].shape);
            Assert.Equal([1L, 16, 8, 12], taps["block3_conv2"].shape);
            Assert.Equal([1L, 32, 2, 3], taps["block5_conv4"].shape);
        }
        finally
        {
            foreach (var tap in taps.Values) tap.Dispose();
        }
    }

    [Fact]
    public void TapsArePostReluOutputs()
    {
        using var input = Image(16, 16);

        var taps = backbone.Forward(input, ["block1_conv1"]);
        using var tap = taps["block1_conv1"];

        // Post-ReLU: never negative, and with random weights about half the units are exactly zero.
        Assert.Equal(0f, tap.min().item<float>());
        using var conv = backbone.Convolution("block1_conv1").call(input);
        using var relu = conv.relu();
        Assert.True(Identical(tap, relu));
    }

    [Fact]
    public void ForwardStopsAfterTheDeepestRequestedTap()
    {
        var called = new List<string>();
        var hooks = backbone.Layers
            .Select(l => backbone.Convolution(l.Name).register_forward_hook(_ => called.Add(l.Name)))
            .ToList();
        using var input = Image(16, 16);

        foreach (var tap in backbone.Forward(input, ["block1_conv1"]).Values) tap.Dispose();
        var forBlock1 = called.ToList();
        called.Clear();
        foreach (var tap in backbone.Forward(input, ["block2_conv1", "block1_conv2"]).Values) tap.Dispose();

        Assert.Equal(["block1_conv1"], forBlock1);
        Assert.Equal(["block1_conv1", "block1_conv2", "block2_conv1"], called);
        foreach (var hook in hooks) hook.remove();
    }

    [Fact]
    public void NoTapsComputesNothing()
    {
        using var input = Image(8, 8);
        Assert.Empty(backbone.Forward(input, []));
    }

    [Fact]
    public void UnknownTapIsNamedAlongWithTheValidOnes()
    {
        using var input = Image(8, 8);

        var error = Assert.Throws<ArgumentException>(() => backbone.Forward(input, ["block1_conv1", "conv5_1"]));

        Assert.Contains("'conv5_1'", error.Message);
        Assert.Contains("block1_conv1, block1_conv2, block2_conv1", error.Message);
        Assert.Contains("block5_conv4", error.Message);
    }

    [Fact]
    public void GradientsFlowToTheInputButNotToTheFrozenWeights()
    {
        using var input = Image(16, 16, requiresGrad: true);

        var taps = backbone.Forward(input, ["block1_conv1", "block4_conv1"]);
        using (var loss = taps["block1_conv1"].square().mean().add(taps["block4_conv1"].square().mean()))
            loss.backward();
        foreach (var tap in taps.Values) tap.Dispose();

        using var grad = input.grad!;
        Assert.True(grad.abs().sum().item<float>() > 0);
        Assert.True(grad.isfinite().all().item<bool>());
        Assert.All(backbone.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(backbone.parameters(), p => Assert.Null(p.grad));
        Assert.False(backbone.training);
    }

    [Fact]
    public void OnlyTheReturnedTapsOutliveTheForwardPass()
    {
        using var input = Image(16, 16);
        // Warm-up with the same taps: a layer's first pass may make what the backbone keeps (block3_conv1's Winograd
        // transforms, where MKL takes its Intel kernels and the engine convolves blocks 3-5 by Winograd).
        foreach (var tap in backbone.Forward(input, ["block1_conv2", "block3_conv1"]).Values) tap.Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        var taps = backbone.Forward(input, ["block1_conv2", "block3_conv1"]);
        long during = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var tap in taps.Values) tap.Dispose();

        Assert.Equal(before + 2, during);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void RandomNetworkIsDeterminedBySeed()
    {
        using var same = Vgg19Backbone.CreateRandom(seed: 5, TinyWidth);
        using var other = Vgg19Backbone.CreateRandom(seed: 6, TinyWidth);

        var expected = backbone.state_dict();
        Assert.All(same.state_dict(), p => Assert.True(Identical(p.Value, expected[p.Key]), p.Key));
        Assert.False(Identical(other.state_dict()["block3_conv1.weight"], expected["block3_conv1.weight"]));
        // He initialisation: weight std ≈ √(2 / fan_in); biases non-zero so loaders are proven to read them.
        var weight = backbone.Convolution("block5_conv1").weight!;
        Assert.Equal(Math.Sqrt(2.0 / (32 * 9)), weight.std().item<float>(), 0.01);
        Assert.True(backbone.Convolution("block1_conv1").bias!.abs().sum().item<float>() > 0);
        Assert.Same(ImagePreprocessing.KerasVgg19, backbone.Preprocessing);
    }
}
