using StyleBlazor.Engine.Backbones;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Engine.Transfer;

/// <summary>Passes through to another backbone and keeps a host copy of every input it is given.</summary>
sealed class RecordingBackbone(IBackbone inner) : IBackbone
{
    public List<(long[] Shape, float[] Values)> Inputs { get; } = [];

    public string Name => inner.Name;
    public IReadOnlyList<LayerInfo> Layers => inner.Layers;
    public ImagePreprocessing Preprocessing => inner.Preprocessing;
    public int SizeMultiple => inner.SizeMultiple;
    public Device Device => inner.Device;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps)
    {
        using (var scope = NewDisposeScope())
            Inputs.Add((input.shape, input.detach().to(ScalarType.Float32).cpu().data<float>().ToArray()));
        return inner.Forward(input, taps);
    }

    public void Dispose() => inner.Dispose();
}
