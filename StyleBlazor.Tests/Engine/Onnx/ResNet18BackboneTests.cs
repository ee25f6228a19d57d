using System.Diagnostics;
using Onnx;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Onnx;

/// <summary>The packaged model, one seeded 224 px input, and ONNX Runtime's values at every stage tap, computed once.</summary>
public sealed class ResNet18Reference : IDisposable
{
    public static readonly (string Tap, string Value)[] StageTaps =
    [
        ("stem", "ReLU253_Output_0"), ("stage1", "ReLU283_Output_0"), ("stage2", "ReLU315_Output_0"),
        ("stage3", "ReLU347_Output_0"), ("stage4", "ReLU393_Output_0"),
    ];

    public ResNet18Reference()
    {
        ModelPath = ResNet18Backbone.FindModel() ?? throw new FileNotFoundException("models/ResNet18.onnx is not in the test output.");
        Model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(ModelPath));
        // Roughly the range of a preprocessed image (0–255 minus the means).
        Input = TestData.UniformTensor(7, 1, 3, 224, 224).mul_(120);
        Expected = OnnxRuntimeReference.Run(Model, new Dictionary<string, Tensor> { ["Input247"] = Input }, StageTaps.Select(t => t.Value).ToArray());
    }

    public string ModelPath { get; }
    public ModelProto Model { get; }
    public Tensor Input { get; }
    public Dictionary<string, Tensor> Expected { get; }

    public void Dispose()
    {
        Input.Dispose();
        foreach (var t in Expected.Values) t.Dispose();
    }
}

public class ResNet18BackboneTests(ResNet18Reference reference, ITestOutputHelper output) : IClassFixture<ResNet18Reference>
{
    [Fact]
    public void ThePackagedModelIsCopiedIntoTheBuildOutput()
    {
        var path = ResNet18Backbone.FindModel();

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "models", "ResNet18.onnx"), path);
        Assert.True(new FileInfo(path!).Length > 60_000_000);
    }

    [Fact]
    public void EveryStageTapOfTheUnfoldedGraphMatchesOnnxRuntime()
    {
        using var graph = OnnxGraph.Load(reference.Model);
        using var scope = NewDisposeScope();

        var actual = graph.Run(reference.Input, reference.Expected.Keys);

        foreach (var (tap, value) in ResNet18Reference.StageTaps)
        {
            var error = OnnxRuntimeReference.RelativeError(actual[value], reference.Expected[value]);
            output.WriteLine($"{tap} ({value}) {string.Join('×', actual[value].shape)}: max relative error {error:E2}");
            Assert.InRange(error, 0, 1e-4);
        }
    }

    [Fact]
    public void TheBackboneWithoutAntiAliasingMatchesOnnxRuntimeAtEveryStage()
    {
        using var backbone = new ResNet18Backbone(CPU, antiAlias: false);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var taps = backbone.Forward(reference.Input, backbone.Layers.Select(l => l.Name).ToArray());
        var watch = Stopwatch.StartNew();
        backbone.Forward(reference.Input, backbone.Layers.Select(l => l.Name).ToArray());
        output.WriteLine($"forward to stage4 at 224 px (Conv+BN folded, no grad): {watch.Elapsed.TotalSeconds:F3} s");

        foreach (var ((tap, value), layer) in ResNet18Reference.StageTaps.Zip(backbone.Layers))
        {
            Assert.Equal(tap, layer.Name);
            Assert.Equal([1, layer.Channels, 224 / layer.Stride, 224 / layer.Stride], taps[tap].shape);
            var error = OnnxRuntimeReference.RelativeError(taps[tap], reference.Expected[value]);
            output.WriteLine($"{tap} folded: max relative error {error:E2}");
            Assert.InRange(error, 0, 1e-4);
        }
    }

    [Fact]
    public void GradientsFlowFromTheDeepestTapToTheInput()
    {
        using var backbone = new ResNet18Backbone(CPU);
        using var scope = NewDisposeScope();
        var input = TestData.UniformTensor(3, 1, 3, 64, 64).mul(100).requires_grad_();

        var taps = backbone.Forward(input, ["stem", "stage4"]);
        taps["stage4"].pow(2).mean().backward();

        var grad = input.grad;
        Assert.NotNull(grad);
        Assert.True(grad.isfinite().all().ToBoolean());
        Assert.True(grad.abs().sum().ToDouble() > 0);
    }

    [Fact]
    public void PreprocessingSubtractsTheChannelMeansOfThePackagedMeanImage()
    {
        // ResNetPreprocess.onnx: split RGB, concat as BGR, subtract a per-pixel mean image. On a black image it yields −mean.
        using var preprocess = OnnxGraph.Load(Path.Combine(AppContext.BaseDirectory, "models", "ResNetPreprocess.onnx"));
        using var scope = NewDisposeScope();
        var black = zeros(1, 3, 224, 224);

        var packaged = preprocess.Run(black, ["PreprocessedInput"])["PreprocessedInput"].mean([0, 2, 3]);
        var ours = ResNet18Backbone.CaffeMeans.Preprocess(black).mean([0, 2, 3]);

        output.WriteLine($"packaged BGR channel means: {string.Join(", ", packaged.neg().data<float>().ToArray())}");
        Assert.InRange(packaged.sub(ours).abs().max().ToDouble(), 0, 1e-3);
    }
}
