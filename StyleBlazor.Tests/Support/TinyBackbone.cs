using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Support;

/// <summary>
/// Three small random convolutions (taps conv1; conv2 after a 2×2 max pool; conv3), Keras VGG19 preprocessing.
/// Weights come from a private generator, never torch's global one, so building it on an engine thread cannot
/// disturb a test elsewhere in the run that seeded the global generator.
/// </summary>
public sealed class TinyBackbone : IBackbone
{
    readonly (Tensor Weight, Tensor Bias)[] _convs;

    public TinyBackbone(ulong seed = 1)
    {
        using var generator = new Generator(seed);
        _convs = [Conv(3, 4), Conv(4, 6), Conv(6, 8)];

        (Tensor, Tensor) Conv(int inChannels, int outChannels)
        {
            double bound = 1 / Math.Sqrt(inChannels * 9); // PyTorch's default fan-in scale
            var weight = rand([outChannels, inChannels, 3, 3], generator: generator).mul_(2 * bound).sub_(bound);
            var bias = rand([outChannels], generator: generator).mul_(2 * bound).sub_(bound);
            return (weight, bias);
        }
    }

    public string Name => "tiny";
    public IReadOnlyList<LayerInfo> Layers => TestBackboneCatalog.Layers;
    public ImagePreprocessing Preprocessing => ImagePreprocessing.KerasVgg19;
    public int SizeMultiple => 2;
    public Device Device => CPU;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        var result = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        var x = Apply(0, input);
        if (taps.Contains("conv1")) result["conv1"] = x.alias().MoveToOuterDisposeScope();
        if (!taps.Contains("conv2") && !taps.Contains("conv3")) return result;
        x = Apply(1, nn.functional.max_pool2d(x, 2));
        if (taps.Contains("conv2")) result["conv2"] = x.alias().MoveToOuterDisposeScope();
        if (taps.Contains("conv3")) result["conv3"] = Apply(2, x).MoveToOuterDisposeScope();
        return result;
    }

    Tensor Apply(int i, Tensor x) => nn.functional.relu(nn.functional.conv2d(x, _convs[i].Weight, _convs[i].Bias, padding: [1, 1]));

    public void Dispose()
    {
        foreach (var (w, b) in _convs) { w.Dispose(); b.Dispose(); }
    }
}
