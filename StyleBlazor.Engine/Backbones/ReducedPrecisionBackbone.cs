using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>
/// Runs a backbone's arithmetic in a narrower type (bfloat16) after its first layer (which reads the float32 image:
/// see <see cref="IBackbone.ConvertWeights"/>); every tap is cast back to float32 on the way out, so the Gram
/// matrices, the losses (2)–(5), Adam and the image itself stay float32. On CPUs with AVX512_BF16 (and on GPUs) the
/// convolutions run about 1.6× faster, at bfloat16's rounding (docs/performance.md). Owns the backbone it wraps.
/// </summary>
public sealed class ReducedPrecisionBackbone : IBackbone
{
    readonly IBackbone _inner;

    public ReducedPrecisionBackbone(IBackbone inner, ScalarType type)
    {
        if (type is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"A reduced precision is bfloat16 or float16 (got {type}).", nameof(type));
        inner.ConvertWeights(type);
        _inner = inner;
        Type = type;
    }

    /// <summary>The type the network computes in.</summary>
    public ScalarType Type { get; }

    public string Name => _inner.Name;
    public IReadOnlyList<LayerInfo> Layers => _inner.Layers;
    public ImagePreprocessing Preprocessing => _inner.Preprocessing;
    public int SizeMultiple => _inner.SizeMultiple;
    public Device Device => _inner.Device;

    public IReadOnlyList<PoolingMode> PoolingModes => _inner.PoolingModes;

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps) =>
        Forward(input, taps, static (_, _) => { }, PoolingMode.Max);

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap) =>
        Forward(input, taps, onTap, PoolingMode.Max);

    public IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap, PoolingMode pooling)
    {
        // The float32 copies are made inside the inner pass's (possibly nested) dispose scopes, so they are detached
        // from them there and handed to the caller's scope afterwards as views, which autograd sees through.
        var copies = new Dictionary<string, Tensor>();
        Tensor Copy(string layer, Tensor map) => copies[layer] = map.to(ScalarType.Float32).DetachFromDisposeScope();
        try
        {
            var narrowTaps = _inner.Forward(input, taps, (layer, map) => onTap(layer, Copy(layer, map)), pooling);
            foreach (var (layer, map) in narrowTaps)
            {
                if (!copies.ContainsKey(layer)) onTap(layer, Copy(layer, map)); // a backbone that did not call back
                map.Dispose(); // only our handle: autograd keeps what backward needs
            }
            return copies.ToDictionary(c => c.Key, c => c.Value.view(c.Value.shape));
        }
        finally
        {
            foreach (var copy in copies.Values) copy.Dispose();
        }
    }

    public void ConvertWeights(ScalarType type) => throw new NotSupportedException("The backbone already runs in reduced precision.");

    public void Dispose() => _inner.Dispose();
}
