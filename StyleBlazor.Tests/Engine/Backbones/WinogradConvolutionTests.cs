using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Backbones;

public class WinogradConvolutionTests
{
    [Theory]
    [InlineData(1, 3, 5, 8, 8)]   // whole tiles
    [InlineData(2, 4, 6, 7, 5)]   // a batch, and sides that crop the last tile
    [InlineData(1, 2, 3, 1, 1)]   // one pixel: one tile, nearly all padding
    [InlineData(1, 3, 2, 2, 3)]
    [InlineData(1, 5, 4, 13, 9)]
    public void GivesConv2dsValuesAndInputGradientInFloat64(int n, int inChannels, int outChannels, int h, int w)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var x = randn([n, inChannels, h, w], dtype: ScalarType.Float64, generator: generator).requires_grad_(true);
        var weight = randn([outChannels, inChannels, 3, 3], dtype: ScalarType.Float64, generator: generator);
        var bias = randn([outChannels], dtype: ScalarType.Float64, generator: generator);
        var upstream = randn([n, outChannels, h, w], dtype: ScalarType.Float64, generator: generator);
        using var winograd = new WinogradConvolution(weight, bias);

        var expected = nn.functional.conv2d(x, weight, bias, padding: [1, 1]);
        var actual = winograd.Forward(x);
        var expectedGradient = autograd.grad([expected], [x], [upstream])[0];
        var actualGradient = autograd.grad([actual], [x], [upstream])[0];

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-10, atol: 1e-10), $"values differ by up to {(actual - expected).abs().max().item<double>():E2}");
        Assert.True(actualGradient.allclose(expectedGradient, rtol: 1e-10, atol: 1e-10),
            $"input gradients differ by up to {(actualGradient - expectedGradient).abs().max().item<double>():E2}");
    }

    [Fact]
    public void Float32RoundingStaysNearDirectConvolutionAtVggWidth()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(8);
        var x = randn([1, 64, 16, 16], generator: generator).relu();
        var weight = randn([64, 64, 3, 3], generator: generator).mul_(Math.Sqrt(2.0 / (9 * 64)));
        var bias = randn([64], generator: generator).mul_(0.01);
        using var winograd = new WinogradConvolution(weight, bias);

        var expected = nn.functional.conv2d(x, weight, bias, padding: [1, 1]);
        double relative = (winograd.Forward(x) - expected).norm().item<float>() / expected.norm().item<float>();

        Assert.InRange(relative, 0, 1e-5);
    }

    [Fact]
    public void RefusesKernelsOtherThan3x3()
    {
        using var weight = zeros(4, 2, 5, 5);
        using var bias = zeros(4);
        var refusal = Assert.Throws<ArgumentException>(() => new WinogradConvolution(weight, bias));
        Assert.Contains("[4, 2, 5, 5]", refusal.Message);
    }

    [Fact]
    public void Vgg19WithWinogradGivesTheSameTapsAndImageGradient()
    {
        using var scope = NewDisposeScope();
        using var direct = Vgg19Backbone.CreateRandom(seed: 3, widthDivisor: 16);
        using var fast = Vgg19Backbone.CreateRandom(seed: 3, widthDivisor: 16);
        direct.WinogradConvolutions = false;
        fast.WinogradConvolutions = true;
        var image = rand([1, 3, 44, 36], generator: new Generator(4)).mul_(255).sub_(120);
        string[] taps = ["block2_conv2", "block3_conv1", "block5_conv2"];

        (Dictionary<string, Tensor> Maps, Tensor Gradient) Run(Vgg19Backbone net)
        {
            var x = image.detach().clone().requires_grad_(true);
            var maps = net.Forward(x, taps).ToDictionary();
            var j = stack(maps.Values.Select(m => m.square().sum()).ToArray()).sum();
            return (maps, autograd.grad([j], [x])[0]);
        }
        var (expected, expectedGradient) = Run(direct);
        Run(fast); // the second pass reuses the transformed weights the first made
        var (actual, actualGradient) = Run(fast);

        // Blocks 1–2 are convolved directly either way: identical. Blocks 3–5 by Winograd: equal within float32
        // rounding, and not bit for bit, which shows the other algorithm ran.
        Assert.True(actual["block2_conv2"].eq(expected["block2_conv2"]).all().item<bool>());
        foreach (var layer in new[] { "block3_conv1", "block5_conv2" })
        {
            Assert.True(actual[layer].allclose(expected[layer], rtol: 1e-4, atol: 1e-3), $"{layer} differs");
            Assert.False(actual[layer].eq(expected[layer]).all().item<bool>(), $"{layer} is bit for bit the direct convolution's");
        }
        double cosine = nn.functional.cosine_similarity(actualGradient.flatten(), expectedGradient.flatten(), dim: 0).item<float>();
        Assert.InRange(cosine, 0.99999, 1.00001);
    }

    [Fact]
    public void OnlyFloat32NetworksOnTheCpuConvolveByWinograd()
    {
        using var net = Vgg19Backbone.CreateRandom(seed: 3, widthDivisor: 16);
        net.WinogradConvolutions = true;
        Assert.True(net.ConvolvesByWinograd);

        // Its transforms would amplify bfloat16's rounding.
        using var reduced = new ReducedPrecisionBackbone(net, ScalarType.BFloat16);
        Assert.True(net.WinogradConvolutions);
        Assert.False(net.ConvolvesByWinograd);
    }
}
