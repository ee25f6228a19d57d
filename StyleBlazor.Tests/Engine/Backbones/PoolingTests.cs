using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Tests.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Backbones;

/// <summary>Average pooling (Gatys et al.) for VGG19, chosen per pass because one loaded backbone serves concurrent jobs.</summary>
public sealed class PoolingTests : IDisposable
{
    static readonly string[] Taps = ["block1_conv2", "block2_conv1", "block3_conv1"];
    readonly Vgg19Backbone _backbone = Vgg19Backbone.CreateRandom(seed: 5, widthDivisor: 16);
    readonly Tensor _input = randn(1, 3, 32, 48, generator: new Generator(42)).mul_(50);

    public void Dispose()
    {
        _backbone.Dispose();
        _input.Dispose();
    }

    float[] Tap(string layer, PoolingMode pooling)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _backbone.Forward(_input, Taps, (_, _) => { }, pooling)[layer].contiguous().data<float>().ToArray();
    }

    [Fact]
    public void AveragePoolingFeedsTheNextBlockTheMeanOfEachTwoByTwoWindow()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // block1_conv2 comes before the first pool, so it is the same either way; block2_conv1 by hand from it.
        var beforePool = _backbone.Forward(_input, ["block1_conv2"])["block1_conv2"];
        var byHand = nn.functional.relu(_backbone.Convolution("block2_conv1").call(nn.functional.avg_pool2d(beforePool, 2, 2)));

        Assert.Equal(Tap("block1_conv2", PoolingMode.Max), Tap("block1_conv2", PoolingMode.Average));
        Assert.Equal(byHand.contiguous().data<float>().ToArray(), Tap("block2_conv1", PoolingMode.Average), (a, b) => Math.Abs(a - b) <= 1e-4 * (1 + Math.Abs(a)));
        Assert.NotEqual(Tap("block2_conv1", PoolingMode.Max), Tap("block2_conv1", PoolingMode.Average));
    }

    [Fact]
    public void PassesWithEitherPoolingAtTheSameTimeOnOneBackboneEachGetTheirOwn()
    {
        var max = Tap("block3_conv1", PoolingMode.Max);
        var average = Tap("block3_conv1", PoolingMode.Average);

        // Two threads, each alternating nothing but its own mode, many times: a mode kept on the backbone would leak across.
        var results = new[] { PoolingMode.Max, PoolingMode.Average }.AsParallel().WithDegreeOfParallelism(2)
            .Select(mode => (Mode: mode, Outputs: Enumerable.Range(0, 40).Select(_ => Tap("block3_conv1", mode)).ToList()))
            .ToList();

        foreach (var (mode, outputs) in results)
            Assert.All(outputs, o => Assert.Equal(mode == PoolingMode.Max ? max : average, o));
    }

    [Fact]
    public void ReducedPrecisionPassesThePoolingOn()
    {
        using var reduced = new ReducedPrecisionBackbone(Vgg19Backbone.CreateRandom(seed: 5, widthDivisor: 16), ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var viaWrapper = reduced.Forward(_input, ["block2_conv1"], (_, _) => { }, PoolingMode.Average)["block2_conv1"];

        Assert.Equal([PoolingMode.Max, PoolingMode.Average], reduced.PoolingModes);
        // bfloat16's rounding aside, the average-pooled map, not the max-pooled one.
        double ToAverage = viaWrapper.sub(tensor(Tap("block2_conv1", PoolingMode.Average)).view(viaWrapper.shape)).abs().mean().ToDouble();
        double ToMax = viaWrapper.sub(tensor(Tap("block2_conv1", PoolingMode.Max)).view(viaWrapper.shape)).abs().mean().ToDouble();
        Assert.True(ToAverage < ToMax / 2, $"mean distance to the average-pooled map {ToAverage}, to the max-pooled {ToMax}");
    }

    [Fact]
    public void ARunWithAveragePoolingOnABackboneThatPoolsByMaxOnlyIsRefusedBeforeAnyWork()
    {
        using var backbone = new RecordingBackbone(new TinyConvBackbone());
        using var content = TestImages.Gradient(20, 16, 1);
        using var style = TestImages.Gradient(16, 16, 2);
        var options = new StyleTransferOptions
        {
            Iterations = 2, MaxSide = 16, ContentLayer = "conv3", StyleLayers = [new("conv1", 1)], Pooling = PoolingMode.Average,
        };

        var error = Assert.Throws<ArgumentException>(() => StyleTransfer.Run(backbone, content, [style], options));

        Assert.StartsWith("Pooling Average is not available on the tiny backbone, which pools by Max only", error.Message);
        Assert.Empty(backbone.Inputs);
    }

    [Fact]
    public void AnAverageRunOnVgg19DiffersFromAMaxRunFromTheFirstLoss()
    {
        using var content = TestImages.Gradient(40, 30, 1);
        using var style = TestImages.Gradient(30, 30, 2);
        var options = new StyleTransferOptions { Iterations = 3, MaxSide = 32 };

        double FirstStyleLoss(PoolingMode pooling)
        {
            var losses = new List<double>();
            StyleTransfer.Run(_backbone, content, [style], options with { Pooling = pooling }, p => losses.Add(p.Loss.Style));
            return losses[0];
        }

        // Same image, same network: only the pools differ, and J_S at iteration 0 already shows it.
        Assert.NotEqual(FirstStyleLoss(PoolingMode.Max), FirstStyleLoss(PoolingMode.Average));
    }

    [Fact]
    public void TheCatalogSaysBeforeLoadingWhichBackbonesCanAverage()
    {
        var catalog = new BackboneCatalog(new BackboneCatalogOptions { AllowRandomVgg19 = true });

        // What the Studio greys out and the submission refuses, each backbone answering as its loaded network does.
        Assert.Equal([PoolingMode.Max], catalog.Available.Single(b => b.Name == "resnet18").PoolingModes);
        Assert.Equal([PoolingMode.Max, PoolingMode.Average], catalog.Available.Single(b => b.Name == "vgg19").PoolingModes);
        Assert.Equal(_backbone.PoolingModes, catalog.Available.Single(b => b.Name == "vgg19").PoolingModes);
    }
}
