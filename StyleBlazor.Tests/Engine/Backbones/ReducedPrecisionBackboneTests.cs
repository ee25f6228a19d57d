using StyleBlazor.Engine;
using StyleBlazor.Engine.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Backbones;

/// <summary>
/// A backbone computing in bfloat16 (Backbones:Precision): float32 taps near the float32 network's, and a float32
/// image gradient that points the same way.
/// </summary>
public sealed class ReducedPrecisionBackboneTests
{
    static Tensor Image(int side) => randn(1, 3, side, side, generator: new Generator(11)).mul_(50);

    internal static double Cosine(Tensor a, Tensor b) => nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim: 0).ToDouble();

    static void AssertCloseToFloat32(IBackbone full, IBackbone reduced, string[] taps, int side, double minTapCosine, double minGradientCosine)
    {
        using var scope = NewDisposeScope();
        var image = Image(side).requires_grad_(true);
        var expected = full.Forward(image, taps);
        var seen = new List<string>();
        var actual = reduced.Forward(image, taps, (name, map) => seen.Add($"{name}:{map.dtype}"));

        Assert.Equal(taps.Select(t => $"{t}:{ScalarType.Float32}"), seen);
        foreach (var tap in taps)
        {
            Assert.Equal(ScalarType.Float32, actual[tap].dtype);
            Assert.Equal(expected[tap].shape, actual[tap].shape);
            double cosine = Cosine(expected[tap], actual[tap]);
            Assert.True(cosine > minTapCosine, $"{tap}: cosine {cosine:F6} with float32");
        }
        // J-like: every tap's sum of squares; its image gradient comes back in float32 and points the same way.
        var gradFull = autograd.grad([stack(taps.Select(t => expected[t].square().mean()).ToArray()).sum()], [image])[0];
        var gradReduced = autograd.grad([stack(taps.Select(t => actual[t].square().mean()).ToArray()).sum()], [image])[0];
        Assert.Equal(ScalarType.Float32, gradReduced.dtype);
        double gradientCosine = Cosine(gradFull, gradReduced);
        Assert.True(gradientCosine > minGradientCosine, $"gradient cosine {gradientCosine:F6} with float32");
    }

    [Fact]
    public void Vgg19InBFloat16GivesFloat32TapsCloseToTheFloat32Network()
    {
        // Full width: libtorch's bfloat16 convolutions are also off with a handful of channels (a narrowed test VGG19).
        using var full = Vgg19Backbone.CreateRandom(seed: 5);
        using var reduced = new ReducedPrecisionBackbone(Vgg19Backbone.CreateRandom(seed: 5), ScalarType.BFloat16);
        AssertCloseToFloat32(full, reduced, ["block1_conv1", "block3_conv1", "block5_conv2"], side: 32, minTapCosine: 0.999, minGradientCosine: 0.99);
    }

    [Fact]
    public void ResNet18InBFloat16GivesFloat32TapsCloseToTheFloat32Network()
    {
        using var full = new ResNet18Backbone(CPU);
        using var reduced = new ReducedPrecisionBackbone(new ResNet18Backbone(CPU), ScalarType.BFloat16);
        AssertCloseToFloat32(full, reduced, ["stem", "stage2", "stage4"], side: 64, minTapCosine: 0.999, minGradientCosine: 0.98);
    }

    [Fact]
    public void OnlyNarrowerFloatingTypesAreReducedPrecisions()
    {
        using var backbone = Vgg19Backbone.CreateRandom(seed: 5, widthDivisor: 16);
        var refusal = Assert.Throws<ArgumentException>(() => new ReducedPrecisionBackbone(backbone, ScalarType.Float64));
        Assert.Contains("bfloat16 or float16", refusal.Message);
        Assert.Contains("must be float32 or bfloat16 (got 'half')",
            Assert.Throws<ArgumentException>(() => BackboneCatalogOptions.ParsePrecision("half", "Backbones:Precision")).Message);
        Assert.Equal(ScalarType.BFloat16, BackboneCatalogOptions.ParsePrecision(" BFloat16 ", "x"));
        Assert.Null(BackboneCatalogOptions.ParsePrecision("float32", "x"));
    }

    [Fact]
    public void TheCatalogLoadsBackbonesInTheConfiguredPrecision()
    {
        var catalog = new BackboneCatalog(new BackboneCatalogOptions { AllowRandomVgg19 = true, ReducedPrecision = ScalarType.BFloat16 });
        using var vgg19 = catalog.Load("vgg19", CPU);
        Assert.Equal(ScalarType.BFloat16, Assert.IsType<ReducedPrecisionBackbone>(vgg19).Type);
        Assert.Equal("vgg19", vgg19.Name);
        using var plain = new BackboneCatalog(new BackboneCatalogOptions()).Load("resnet18", CPU);
        Assert.IsType<ResNet18Backbone>(plain);
    }

    [Fact]
    public void AutomaticPrecisionNarrowsOnlyResNet18AndOnlyOnACpuThatComputesBFloat16Natively()
    {
        var automatic = new BackboneCatalogOptions { AllowRandomVgg19 = true }.WithPrecision("auto", "Backbones:Precision");
        var catalog = new BackboneCatalog(automatic);

        Assert.Equal(TorchRuntime.NativeBFloat16 ? ScalarType.BFloat16 : (ScalarType?)null, catalog.PrecisionFor("resnet18", CPU));
        Assert.Null(catalog.PrecisionFor("vgg19", CPU));
        Assert.Equal(automatic, new BackboneCatalogOptions { AllowRandomVgg19 = true }.WithPrecision(null, "x")); // the default
        Assert.Null(new BackboneCatalog(automatic.WithPrecision("float32", "x")).PrecisionFor("resnet18", CPU));
        Assert.Equal(ScalarType.BFloat16, new BackboneCatalog(automatic.WithPrecision("bfloat16", "x")).PrecisionFor("vgg19", CPU));
        Assert.Contains("must be auto, float32 or bfloat16 (got 'half')",
            Assert.Throws<ArgumentException>(() => automatic.WithPrecision("half", "Backbones:Precision")).Message);
    }
}
