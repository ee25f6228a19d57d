using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>Passes every pass through to another backbone, after showing it to <see cref="Observe"/>.</summary>
abstract class ObservingBackbone(IBackbone inner) : IBackbone
{
    public string Name => inner.Name;
    public IReadOnlyList<LayerInfo> Layers => inner.Layers;
    public ImagePreprocessing Preprocessing => inner.Preprocessing;
    public int SizeMultiple => inner.SizeMultiple;
    public Device Device => inner.Device;

    protected abstract void Observe(Tensor input, IReadOnlyCollection<string> taps);

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        Observe(input, taps);
        return inner.Forward(input, taps);
    }

    public void Dispose() => inner.Dispose();
}

/// <summary>Keeps a host copy of every input the backbone is given.</summary>
sealed class RecordingBackbone(IBackbone inner) : ObservingBackbone(inner)
{
    public List<(long[] Shape, float[] Values)> Inputs { get; } = [];

    protected override void Observe(Tensor input, IReadOnlyCollection<string> taps)
    {
        using var scope = NewDisposeScope();
        Inputs.Add((input.shape, input.detach().to(ScalarType.Float32).cpu().data<float>().ToArray()));
    }
}
