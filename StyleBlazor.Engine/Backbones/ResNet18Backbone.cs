using StyleBlazor.Engine.Onnx;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StyleBlazor.Engine.Backbones;

/// <summary>
/// The ImageNet-trained ResNet18 shipped in the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (a CNTK 2.6
/// export, opset 8), run by <see cref="OnnxGraph"/>. The build copies it to <c>models/ResNet18.onnx</c> next to the
/// assemblies, so it works with nothing to download.
/// </summary>
public sealed class ResNet18Backbone : IBackbone
{
    /// <summary>Where the build puts the model, relative to the application's base directory.</summary>
    public const string ModelRelativePath = "models/ResNet18.onnx";

    /// <summary>Readable tap names and the ONNX values they read: the ReLU that ends the stem and each stage.</summary>
    static readonly (LayerInfo Layer, string Value)[] Taps =
    [
        (new LayerInfo("stem", 64, 2, "ReLU253 (7×7/2 conv, before the max pool)"), "ReLU253_Output_0"),
        (new LayerInfo("stage1", 64, 4, "ReLU283 (end of stage 1, 2 basic blocks)"), "ReLU283_Output_0"),
        (new LayerInfo("stage2", 128, 8, "ReLU315 (end of stage 2, 2 basic blocks)"), "ReLU315_Output_0"),
        (new LayerInfo("stage3", 256, 16, "ReLU347 (end of stage 3, 2 basic blocks)"), "ReLU347_Output_0"),
        (new LayerInfo("stage4", 512, 32, "ReLU393 (end of stage 4, 3 basic blocks)"), "ReLU393_Output_0"),
    ];

    readonly OnnxGraph _graph;
    readonly bool _antiAlias;
    bool _channelsLast;

    /// <param name="device">Where the weights live; the CPU when null.</param>
    /// <param name="modelPath">The ONNX file; <see cref="FindModel"/> when null.</param>
    /// <param name="antiAlias">
    /// Blur the network input with a fixed 3×3 [1,2,1]ᵀ[1,2,1]/16 kernel (replicate padding) before the first conv. Stride-2
    /// layers without anti-aliasing make Gram-based transfer grow a checkerboard; the prototype found this blur removes
    /// much of it (docs/RESNET18-PROTOTYPE.md). Measured here on three sample pairs at 256 px: the share of a Gram style
    /// loss's input gradient that a 3×3 box filter removes falls from 0.46–0.51 to 0.14–0.15, so far less speckle is
    /// injected per step (the stride-32-periodic share, which jitter addresses, stays at ~1.6%). Off, the backbone
    /// computes exactly the packaged graph.
    /// </param>
    public ResNet18Backbone(Device? device = null, string? modelPath = null, bool antiAlias = true)
    {
        Device = device ?? CPU;
        modelPath ??= FindModel() ?? throw new FileNotFoundException(
            $"ResNet18.onnx was not found at '{Path.Combine(AppContext.BaseDirectory, ModelRelativePath)}'. The build copies it " +
            "there from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18; restore and build the project again.");
        // Each Conv feeds exactly one BatchNormalization here; folding them is exact to float32 rounding (checked against ONNX Runtime).
        _graph = OnnxGraph.Load(modelPath, Device, new OnnxLoadOptions(FoldBatchNormIntoConv: true));
        var missing = Taps.Where(t => !_graph.Nodes.Any(n => n.Outputs.Contains(t.Value))).Select(t => t.Value).ToArray();
        if (missing.Length > 0)
        {
            _graph.Dispose();
            throw new InvalidDataException($"'{modelPath}' is not the packaged ResNet18: it has no {string.Join(", ", missing)}.");
        }
        _antiAlias = antiAlias;
        _channelsLast = TorchRuntime.ResNet18ChannelsLast ?? false;
    }

    /// <summary>The model copied into the build output, or null when it is not there.</summary>
    public static string? FindModel(string? baseDirectory = null)
    {
        var path = Path.Combine(baseDirectory ?? AppContext.BaseDirectory, ModelRelativePath);
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Channel means of the mean image in the package's ResNetPreprocess.onnx (RGB→BGR, minus the mean image, no scaling).
    /// The per-pixel image varies by a few levels around these; style transfer wants a shift-invariant input.
    /// </summary>
    public static ImagePreprocessing CaffeMeans { get; } = ImagePreprocessing.Caffe(103.0626, 115.9029, 123.1516);

    public string Name => "resnet18";

    /// <summary>The taps, without loading the model (for listings).</summary>
    public static IReadOnlyList<LayerInfo> LayerList { get; } = Taps.Select(t => t.Layer).ToArray();

    public IReadOnlyList<LayerInfo> Layers => LayerList;

    public ImagePreprocessing Preprocessing => CaffeMeans;

    /// <summary>
    /// Stride-2 layers pad top/left by 1 and bottom/right by 0, so an odd feature side loses its last row or column at the
    /// next stage; multiples of 32 keep every stage aligned (16 is enough when stage4 is not used).
    /// </summary>
    public int SizeMultiple => 32;

    public Device Device { get; }

    public bool AntiAlias => _antiAlias;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps) => Run(input, taps, onTap: null);

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap) =>
        Run(input, taps, onTap);

    IReadOnlyDictionary<string, Tensor> Run(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor>? onTap)
    {
        var wanted = taps.Distinct().ToArray();
        var values = wanted.Select(name => Array.FindIndex(Taps, t => t.Layer.Name == name) is var i and >= 0
            ? Taps[i].Value
            : throw new ArgumentException($"ResNet18 has no tap '{name}'; available: {string.Join(", ", Layers.Select(l => l.Name))}.", nameof(taps)))
            .ToArray();

        using var scope = NewDisposeScope();
        var x = _antiAlias ? Blur(input) : input;
        if (_channelsLast) x = ImageTensors.ToChannelsLast(x); // every layer after keeps the layout
        var outputs = _graph.Run(x, values, onTap is null ? null : (value, map) => onTap(wanted[Array.IndexOf(values, value)], map));
        return wanted.Zip(values).ToDictionary(p => p.First, p => outputs[p.Second].MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The [1,2,1]ᵀ[1,2,1]/16 blur with replicate padding, as two passes of shifted slices: the same sums as the grouped
    /// 3×3 convolution, which oneDNN runs slowly on 3 channels (its input gradient above all).
    /// </summary>
    internal static Tensor Blur(Tensor input)
    {
        using var scope = NewDisposeScope();
        var p = F.pad(input, [1, 1, 1, 1], PaddingModes.Replicate);
        long h = p.shape[2], w = p.shape[3];
        var rows = p[.., .., ..(int)(h - 2), ..] + p[.., .., 1..(int)(h - 1), ..].mul(2) + p[.., .., 2.., ..];
        var blurred = (rows[.., .., .., ..(int)(w - 2)] + rows[.., .., .., 1..(int)(w - 1)].mul(2) + rows[.., .., .., 2..]).div_(16);
        return blurred.MoveToOuterDisposeScope();
    }

    /// <summary>The anti-aliasing blur reads the image in float32; the stem and the rest compute in <paramref name="type"/>.</summary>
    public void ConvertWeights(ScalarType type)
    {
        // The stem too: by space-to-depth it convolves 12 channels, and its bfloat16 input gradient is as close to
        // float64's as the other layers' (2.9e-3, cosine 1.0000 at 512²; docs/performance.md), the image rounded to
        // bfloat16 on the way in. Only a direct convolution on the 3 channels themselves was 30 % off.
        // oneDNN's bfloat16 kernels run this network's convolutions and its max pool far faster NHWC (docs/performance.md).
        _channelsLast = TorchRuntime.ResNet18ChannelsLast ?? Device.type == DeviceType.CPU;
        _graph.ConvertWeights(type, includingEntry: true, channelsLast: _channelsLast);
    }

    public void Dispose()
    {
        _graph.Dispose();
    }
}
