using StyleBlazor.Engine.Onnx;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static StyleBlazor.Tests.Engine.Backbones.ReducedPrecisionBackboneTests;
using static StyleBlazor.Tests.Engine.Onnx.OnnxModelBuilder;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Onnx;

/// <summary>OnnxGraph.ConvertWeights: the ONNX backbones' part of Backbones:Precision=bfloat16.</summary>
public sealed class OnnxGraphPrecisionTests
{
    // Conv 3→64, Relu, Conv 64→64, Relu: the layer reading the image, and one after it (full width: libtorch's
    // bfloat16 convolutions are off with a handful of channels).
    static global::Onnx.ModelProto TwoConvolutions()
    {
        var builder = new OnnxModelBuilder(8).Input("image", 1, 3, 32, 32);
        var (x, channels) = ("image", 3L);
        for (int k = 1; k <= 2; k++)
        {
            builder.Initializer($"w{k}", TestData.Uniform(k, 64 * channels * 9, 1 / Math.Sqrt(channels * 9)), 64, channels, 3, 3)
                .Initializer($"b{k}", TestData.Uniform(10 + k, 64, 0.1), 64)
                .Node("Conv", [x, $"w{k}", $"b{k}"], [$"conv{k}"], "", Attr("kernel_shape", 3, 3), Attr("pads", 1, 1, 1, 1))
                .Node("Relu", [$"conv{k}"], [$"relu{k}"]);
            (x, channels) = ($"relu{k}", 64);
        }
        return builder.Output(x).Build();
    }

    [Fact]
    public void TheLayerReadingTheInputKeepsFloat32WeightsAndCastsItsOutputTheRestComputesInBFloat16()
    {
        var model = TwoConvolutions();
        using var full = OnnxGraph.Load(model, CPU);
        using var reduced = OnnxGraph.Load(model, CPU);
        reduced.ConvertWeights(ScalarType.BFloat16);

        Assert.Equal(ScalarType.Float32, reduced.Initializer("w1")!.dtype);
        Assert.Equal(ScalarType.Float32, reduced.Initializer("b1")!.dtype);
        Assert.Equal(ScalarType.BFloat16, reduced.Initializer("w2")!.dtype);
        Assert.Equal(ScalarType.BFloat16, reduced.Initializer("b2")!.dtype);

        using var scope = NewDisposeScope();
        var image = TestData.UniformTensor(3, 1, 3, 32, 32).mul(2).requires_grad_(true);
        var expected = full.Run(image, ["relu1", "relu2"]);
        var actual = reduced.Run(image, ["relu1", "relu2"]);
        Assert.Equal(ScalarType.BFloat16, actual["relu1"].dtype);
        foreach (var name in new[] { "relu1", "relu2" })
        {
            double cosine = Cosine(expected[name], actual[name].to(ScalarType.Float32));
            Assert.True(cosine > 0.9999, $"{name}: cosine {cosine:F6}");
        }
        var gradFull = autograd.grad([expected["relu2"].square().sum()], [image])[0];
        var gradReduced = autograd.grad([actual["relu2"].to(ScalarType.Float32).square().sum()], [image])[0];
        double gradientCosine = Cosine(gradFull, gradReduced);
        Assert.True(gradientCosine > 0.999, $"gradient cosine {gradientCosine:F6}");
    }

    [Fact]
    public void ForAChannelsLastNetworkTheWeightsAreStoredChannelsLastAndGiveTheSameValuesAndInputGradient()
    {
        var model = TwoConvolutions();
        using var plain = OnnxGraph.Load(model, CPU);
        using var laidOut = OnnxGraph.Load(model, CPU);
        plain.ConvertWeights(ScalarType.BFloat16, includingEntry: true);
        laidOut.ConvertWeights(ScalarType.BFloat16, includingEntry: true, channelsLast: true);

        foreach (var name in new[] { "w1", "w2" })
        {
            Assert.False(ImageTensors.IsChannelsLast(plain.Initializer(name)!), name);
            Assert.True(ImageTensors.IsChannelsLast(laidOut.Initializer(name)!), name);
            Assert.Equal(ScalarType.BFloat16, laidOut.Initializer(name)!.dtype);
            Assert.True(plain.Initializer(name)!.eq(laidOut.Initializer(name)!).all().item<bool>(), $"{name}: the values moved");
        }
        Assert.Equal(ScalarType.BFloat16, laidOut.Initializer("b1")!.dtype);

        using var scope = NewDisposeScope();
        var image = ImageTensors.ToChannelsLast(TestData.UniformTensor(3, 1, 3, 32, 32).mul(2)).requires_grad_(true);
        var expected = plain.Run(image, ["relu2"])["relu2"];
        var actual = laidOut.Run(image, ["relu2"])["relu2"];
        Assert.True(ImageTensors.IsChannelsLast(actual));
        double difference = (expected.to(ScalarType.Float32) - actual.to(ScalarType.Float32)).abs().max().item<float>();
        Assert.True(difference <= 1e-6, $"outputs differ by {difference}");
        var gradPlain = autograd.grad([expected.to(ScalarType.Float32).square().sum()], [image])[0];
        var gradLaidOut = autograd.grad([actual.to(ScalarType.Float32).square().sum()], [image])[0];
        double gradientDifference = (gradPlain - gradLaidOut).abs().max().item<float>() / gradPlain.abs().max().item<float>();
        Assert.True(gradientDifference <= 1e-6, $"input gradients differ by {gradientDifference:E2} of their largest");
    }
}
