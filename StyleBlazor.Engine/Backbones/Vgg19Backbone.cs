using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StyleBlazor.Engine.Backbones;

/// <summary>
/// The convolutional part of VGG19 (Simonyan &amp; Zisserman) under the layer names of Keras'
/// <c>VGG19(include_top=False)</c>, the network of the article. Frozen and in eval mode: only the input is optimised.
/// </summary>
/// <remarks>
/// A tap <c>blockN_convM</c> is the post-ReLU output, because a Keras conv layer includes its activation.
/// Parameters are named <c>blockN_convM.weight</c> / <c>.bias</c> in torch layout (out, in, 3, 3);
/// <see cref="Weights.WeightFileLoader"/> fills them from Keras or torchvision files.
/// </remarks>
public sealed class Vgg19Backbone : Module<Tensor, IReadOnlyCollection<string>, IReadOnlyDictionary<string, Tensor>>, IBackbone
{
    /// <summary>Output channels of blocks 1–5 at full width.</summary>
    static readonly int[] FullWidthBlockChannels = [64, 128, 256, 512, 512];

    /// <summary>Convolutions per block: 2, 2, 4, 4, 4 (VGG configuration "E").</summary>
    static readonly int[] ConvolutionsPerBlock = [2, 2, 4, 4, 4];

    // Sub-modules in call order; a 2x2 pool (max, or average when a pass asks) sits between blocks (see Run).
    readonly Conv2d block1_conv1, block1_conv2;
    readonly Conv2d block2_conv1, block2_conv2;
    readonly Conv2d block3_conv1, block3_conv2, block3_conv3, block3_conv4;
    readonly Conv2d block4_conv1, block4_conv2, block4_conv3, block4_conv4;
    readonly Conv2d block5_conv1, block5_conv2, block5_conv3, block5_conv4;

    readonly Conv2d[] convolutions;
    readonly int[] blockOfConvolution;
    readonly Dictionary<string, int> indexOfTap;
    ScalarType? _computeType; // set by ConvertWeights
    readonly WinogradConvolution?[] winograd = new WinogradConvolution?[16]; // made on first use, see WinogradConvolutions

    /// <summary>
    /// Builds the network with torch's default initialisation; a weights loader or <see cref="CreateRandom"/> then
    /// sets the weights.
    /// </summary>
    /// <param name="preprocessing">How images must be prepared for these weights (it comes with the weights' source).</param>
    /// <param name="widthDivisor">
    /// Divides every layer's channel count (1 = real VGG19; 16 gives 4, 8, 16, 32, 32), so tests can use a tiny network.
    /// Must divide 64.
    /// </param>
    /// <param name="device">Where the parameters live (CPU when null).</param>
    public Vgg19Backbone(ImagePreprocessing preprocessing, int widthDivisor = 1, Device? device = null) : base("vgg19")
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        if (widthDivisor < 1 || FullWidthBlockChannels[0] % widthDivisor != 0)
            throw new ArgumentOutOfRangeException(nameof(widthDivisor), widthDivisor,
                "The width divisor must be a positive divisor of 64 (1, 2, 4, 8, 16, 32 or 64).");

        Preprocessing = preprocessing;
        WidthDivisor = widthDivisor;
        Device = device ?? CPU;

        var shapes = ConvolutionShapes(widthDivisor);
        Conv2d Convolution(int index) => Conv2d(shapes[index].InChannels, shapes[index].OutChannels, kernel_size: 3, padding: 1);
        block1_conv1 = Convolution(0); block1_conv2 = Convolution(1);
        block2_conv1 = Convolution(2); block2_conv2 = Convolution(3);
        block3_conv1 = Convolution(4); block3_conv2 = Convolution(5); block3_conv3 = Convolution(6); block3_conv4 = Convolution(7);
        block4_conv1 = Convolution(8); block4_conv2 = Convolution(9); block4_conv3 = Convolution(10); block4_conv4 = Convolution(11);
        block5_conv1 = Convolution(12); block5_conv2 = Convolution(13); block5_conv3 = Convolution(14); block5_conv4 = Convolution(15);
        RegisterComponents();

        convolutions =
        [
            block1_conv1, block1_conv2, block2_conv1, block2_conv2,
            block3_conv1, block3_conv2, block3_conv3, block3_conv4,
            block4_conv1, block4_conv2, block4_conv3, block4_conv4,
            block5_conv1, block5_conv2, block5_conv3, block5_conv4,
        ];
        blockOfConvolution = shapes.Select(s => s.Block).ToArray();
        indexOfTap = shapes.Select((s, i) => (s.Name, i)).ToDictionary(p => p.Name, p => p.i);
        Layers = LayerList(widthDivisor);
        WinogradConvolutions = TorchRuntime.WinogradConvolutions;

        // Frozen feature extractor: style transfer optimises the image, never the network.
        foreach (var parameter in parameters()) parameter.requires_grad = false;
        eval();
        if (Device.type != DeviceType.CPU) this.to(Device);
    }

    /// <summary>
    /// A network with He-initialised random weights (normal, std √(2/fan_in)) and small random biases, identical for
    /// the same seed on any device. Uses the Keras "caffe" preprocessing. For <c>--random-weights</c> and tests.
    /// </summary>
    public static Vgg19Backbone CreateRandom(int seed, int widthDivisor = 1, Device? device = null)
    {
        var backbone = new Vgg19Backbone(ImagePreprocessing.KerasVgg19, widthDivisor, device);
        // Drawn on the CPU so a seed gives the same weights whatever the device.
        using var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var convolution in backbone.convolutions)
        {
            using var scope = NewDisposeScope();
            var weight = convolution.weight!;
            long fanIn = weight.shape[1] * weight.shape[2] * weight.shape[3];
            weight.copy_(randn(weight.shape, generator: generator).mul_(Math.Sqrt(2.0 / fanIn)));
            convolution.bias!.copy_(randn(convolution.bias!.shape, generator: generator).mul_(0.01));
        }
        return backbone;
    }

    /// <summary>Name, block, input and output channels of each of the 16 convolutions, in forward order.</summary>
    /// <summary>The taps of a VGG19 of this width, without building it (for listings).</summary>
    public static IReadOnlyList<LayerInfo> LayerList(int widthDivisor = 1) =>
        ConvolutionShapes(widthDivisor).Select(s => new LayerInfo(s.Name, s.OutChannels, 1 << (s.Block - 1), "3x3 conv + ReLU")).ToArray();

    public static IReadOnlyList<Vgg19Convolution> ConvolutionShapes(int widthDivisor = 1)
    {
        var shapes = new List<Vgg19Convolution>(16);
        int inChannels = 3;
        for (int block = 1; block <= FullWidthBlockChannels.Length; block++)
        {
            int outChannels = FullWidthBlockChannels[block - 1] / widthDivisor;
            for (int conv = 1; conv <= ConvolutionsPerBlock[block - 1]; conv++)
            {
                shapes.Add(new Vgg19Convolution($"block{block}_conv{conv}", block, inChannels, outChannels));
                inChannels = outChannels;
            }
        }
        return shapes;
    }

    public string Name => "vgg19";

    public IReadOnlyList<LayerInfo> Layers { get; }

    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Padding is symmetric and each pool floors, so any size works (small sides just lose deep detail).</summary>
    public int SizeMultiple => 1;

    public Device Device { get; }

    /// <summary>The divisor of every layer's channel count (1 = real VGG19).</summary>
    public int WidthDivisor { get; }

    /// <summary>
    /// Convolve blocks 3–5 (256 and 512 channels) by <see cref="WinogradConvolution"/> on the CPU in float32: the same
    /// values within rounding, ~300 ms less per iteration at 512² where MKL runs its AVX-512 kernels (docs/performance.md).
    /// Starts as <see cref="TorchRuntime.WinogradConvolutions"/>.
    /// </summary>
    public bool WinogradConvolutions { get; set; }

    /// <summary>Whether a pass now takes Winograd's algorithm: asked for, on the CPU, in float32.</summary>
    internal bool ConvolvesByWinograd => WinogradConvolutions && _computeType is null && Device.type == DeviceType.CPU;

    /// <summary>The convolution called <paramref name="name"/> (e.g. <c>block3_conv2</c>), for loaders and inspection.</summary>
    public Conv2d Convolution(string name) => convolutions[IndexOfTap(name)];

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps) => call(input, taps);

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap) =>
        Run(input, taps, onTap, PoolingMode.Max);

    /// <summary>Max pooling as trained, or average pooling (Gatys et al.), chosen per pass.</summary>
    public IReadOnlyList<PoolingMode> PoolingModes => [PoolingMode.Max, PoolingMode.Average];

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap, PoolingMode pooling) =>
        Run(input, taps, onTap, pooling);

    public override IReadOnlyDictionary<string, Tensor> forward(Tensor input, IReadOnlyCollection<string> taps) => Run(input, taps, onTap: null, PoolingMode.Max);

    IReadOnlyDictionary<string, Tensor> Run(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor>? onTap, PoolingMode pooling)
    {
        ArgumentNullException.ThrowIfNull(taps);
        var wanted = taps.Select(IndexOfTap).ToHashSet();
        var outputs = new Dictionary<string, Tensor>(wanted.Count);
        if (wanted.Count == 0) return outputs;
        int deepest = wanted.Max();

        using var scope = NewDisposeScope();
        bool useWinograd = ConvolvesByWinograd;
        var x = input;
        for (int i = 0; i <= deepest; i++)
        {
            if (i > 0 && blockOfConvolution[i] != blockOfConvolution[i - 1])
                x = pooling == PoolingMode.Average
                    ? functional.avg_pool2d(x, kernel_size: 2, stride: 2)
                    : functional.max_pool2d(x, kernel_size: 2, stride: 2);
            // In place: autograd keeps a conv's input and a ReLU's output, never the pre-ReLU map, so the ReLU may
            // overwrite it (no second map-sized tensor written and freed per layer: ~290 MiB at 512²).
            var convolved = useWinograd && IsWinogradLayer(i) ? Winograd(i).Forward(x) : convolutions[i].call(x);
            x = functional.relu(convolved, inplace: true);
            if (i == 0 && _computeType is { } type) x = x.to(type); // see ConvertWeights
            if (wanted.Contains(i))
            {
                outputs[Layers[i].Name] = x;
                onTap?.Invoke(Layers[i].Name, x);
            }
        }
        // Only the taps leave the scope; every other intermediate is freed here.
        foreach (var tap in outputs.Values) tap.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>
    /// Every convolution after the first computes in <paramref name="type"/>; the first, on the 3-channel image, stays
    /// float32: libtorch 2.10's bfloat16 backward through a 3-channel input is 30 % off (2e-3 for every other layer).
    /// </summary>
    public void ConvertWeights(ScalarType type)
    {
        foreach (var convolution in convolutions.Skip(1)) convolution.to(type);
        _computeType = type;
        DisposeWinograd(); // float32 only: its transforms would amplify bfloat16's rounding
    }

    // Where Winograd won with MKL's Intel kernels (docs/performance.md): 1.2× (block3_conv1) to 2× (512 channels) at
    // 512²; with 64 and 128 channels (blocks 1–2) its tile transforms cost more than the products they save.
    bool IsWinogradLayer(int index) => blockOfConvolution[index] >= 3;

    WinogradConvolution Winograd(int index)
    {
        lock (winograd)
            return winograd[index] ??= new WinogradConvolution(convolutions[index].weight!, convolutions[index].bias!);
    }

    void DisposeWinograd()
    {
        lock (winograd)
            for (int i = 0; i < winograd.Length; i++)
            {
                winograd[i]?.Dispose();
                winograd[i] = null;
            }
    }

    int IndexOfTap(string name) =>
        indexOfTap.TryGetValue(name, out int index)
            ? index
            : throw new ArgumentException(
                $"VGG19 has no layer '{name}'. Valid layers: {string.Join(", ", Layers.Select(l => l.Name))}.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var convolution in convolutions) convolution.Dispose();
            DisposeWinograd();
        }
        base.Dispose(disposing);
    }
}

/// <summary>One VGG19 convolution: its Keras name, block (1–5) and channel counts.</summary>
public sealed record Vgg19Convolution(string Name, int Block, int InChannels, int OutChannels);
