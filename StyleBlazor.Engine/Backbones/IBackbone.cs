using static TorchSharp.torch;

namespace StyleBlazor.Engine.Backbones;

/// <summary>One layer a backbone can expose as a tap: what the Network page lists (the article's fig. 12).</summary>
/// <param name="Name">Tap name used in options, e.g. <c>block5_conv2</c> or <c>stage3</c>.</param>
/// <param name="Channels">Output channels (nC).</param>
/// <param name="Stride">Down-sampling factor relative to the input (1, 2, 4, ...).</param>
/// <param name="Description">Short human description, e.g. the ONNX node it comes from.</param>
public sealed record LayerInfo(string Name, int Channels, int Stride, string Description = "");

/// <summary>How a network pools between blocks: as trained (max), or by the mean of each window (Gatys et al.'s choice).</summary>
public enum PoolingMode { Max, Average }

/// <summary>
/// A frozen feature extractor: takes a preprocessed image batch [1,3,H,W] and returns the feature maps of the
/// requested taps. Implementations stop the forward pass after the deepest requested tap.
/// </summary>
public interface IBackbone : IDisposable
{
    /// <summary>Stable identifier, e.g. <c>vgg19</c> or <c>resnet18</c>.</summary>
    string Name { get; }

    /// <summary>All taps in forward order.</summary>
    IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>How images are turned into network input and back (depends on how the weights were trained).</summary>
    ImagePreprocessing Preprocessing { get; }

    /// <summary>Input sides should be multiples of this (e.g. 16 for a network with asymmetric stride-2 pads).</summary>
    int SizeMultiple { get; }

    Device Device { get; }

    /// <summary>
    /// Runs the network on <paramref name="input"/> (already preprocessed, on <see cref="Device"/>) and returns the
    /// requested taps. Differentiable with respect to the input. The caller owns the returned tensors.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps);

    /// <summary>
    /// <see cref="Forward(Tensor, IReadOnlyCollection{string})"/> that also hands each tap to <paramref name="onTap"/>
    /// as soon as it is computed, in forward order. A loss term built there enters the autograd graph in forward
    /// order, and backward (which runs later-made nodes first) then makes that term's large input gradient late, after
    /// the deeper layers have freed their saved activations, instead of at the start, on top of all of them.
    /// Tensors <paramref name="onTap"/> creates are in the backbone's dispose scope: detach what must outlive it.
    /// This default calls it after the whole pass (same values, no memory gain).
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap)
    {
        var outputs = Forward(input, taps);
        foreach (var layer in Layers)
            if (outputs.TryGetValue(layer.Name, out var map)) onTap(layer.Name, map);
        return outputs;
    }

    /// <summary>The pooling this backbone can run with; <see cref="PoolingMode.Max"/> (as the weights were trained) for most.</summary>
    IReadOnlyList<PoolingMode> PoolingModes => [PoolingMode.Max];

    /// <summary>
    /// <see cref="Forward(Tensor, IReadOnlyCollection{string}, Action{string, Tensor})"/> with the network's pools run as
    /// <paramref name="pooling"/> for this pass only: one loaded backbone serves concurrent jobs, so nothing about it changes.
    /// A mode not in <see cref="PoolingModes"/> is refused.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Forward(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor> onTap, PoolingMode pooling) =>
        pooling == PoolingMode.Max
            ? Forward(input, taps, onTap)
            : throw new NotSupportedException($"The {Name} backbone pools by max only (got {pooling}).");

    /// <summary>
    /// Computes in <paramref name="type"/> (e.g. bfloat16) from then on, for <see cref="ReducedPrecisionBackbone"/>: the
    /// weights are converted once; the input stays float32, and the layer that reads it too (libtorch 2.10's bfloat16
    /// backward through a 3-channel input is 30 % off). Taps may come out in either type. Backbones that cannot, say so.
    /// </summary>
    void ConvertWeights(ScalarType type) => throw new NotSupportedException($"The {Name} backbone runs in float32 only.");
}
