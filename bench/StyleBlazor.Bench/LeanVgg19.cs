using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Bench;

/// <summary>
/// Experiment (--backbone vgg19-lean): the engine's random VGG19 with a forward pass that applies each ReLU in place,
/// as torchvision's VGG does. Vgg19Backbone keeps every pre-ReLU conv output alive in its dispose scope until the
/// forward pass returns (autograd does not need them: a conv saves its input, a ReLU its output), which is ~290 MiB
/// at 512² on top of what backward needs. Same weights, same taps, same values; only memory and traffic differ.
/// </summary>
sealed class LeanVgg19(Vgg19Backbone inner) : IBackbone
{
    static readonly IReadOnlyList<Vgg19Convolution> Shapes = Vgg19Backbone.ConvolutionShapes();

    public string Name => inner.Name;
    public IReadOnlyList<LayerInfo> Layers => inner.Layers;
    public ImagePreprocessing Preprocessing => inner.Preprocessing;
    public int SizeMultiple => inner.SizeMultiple;
    public Device Device => inner.Device;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        var wanted = taps.ToHashSet();
        int deepest = Enumerable.Range(0, Shapes.Count).Where(i => wanted.Contains(Shapes[i].Name)).Max();
        var outputs = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        var x = input;
        for (int i = 0; i <= deepest; i++)
        {
            if (i > 0 && Shapes[i].Block != Shapes[i - 1].Block) x = nn.functional.max_pool2d(x, kernel_size: 2, stride: 2);
            x = inner.Convolution(Shapes[i].Name).call(x).relu_();
            if (wanted.Contains(Shapes[i].Name)) outputs[Shapes[i].Name] = x;
        }
        foreach (var tap in outputs.Values) tap.MoveToOuterDisposeScope();
        return outputs;
    }

    public void Dispose() => inner.Dispose();
}
