using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleBlazor.Engine.Transfer;

/// <summary>
/// J = αJ_C + βJ_S (5) for one working size: owns the content features and the style Gram matrices, computed once.
/// </summary>
sealed class TransferObjective : IDisposable
{
    readonly IBackbone _backbone;
    readonly StyleTransferOptions _options;
    readonly Tensor _content;
    readonly ContentTargets _contentTargets;
    readonly bool _ownsTargets;
    readonly Dictionary<string, Tensor> _styleGrams = new();
    readonly string[] _taps;
    readonly double _contentScale = 1, _tvScale = 1;
    readonly Dictionary<string, double> _styleScales = new();
    readonly Func<Tensor, Tensor>? _view;

    /// <param name="content">The preprocessed content image at the working size.</param>
    /// <param name="styles">Preprocessed style images with blend weights summing to 1.</param>
    /// <param name="view">
    /// What the network sees of the optimised image, when not the image itself (its luminance only, for
    /// <see cref="ColorPreservation.Luminance"/>); J, TV included, is then a function of the view alone.
    /// </param>
    /// <param name="contentTargets">
    /// The content targets of <paramref name="content"/> at this size kept beyond this objective (<see cref="ContentTargetCache"/>),
    /// or null for a set of its own.
    /// </param>
    public TransferObjective(IBackbone backbone, Tensor content, IReadOnlyList<(Tensor Image, double Weight)> styles, StyleTransferOptions options,
        Func<Tensor, Tensor>? view = null, ContentTargets? contentTargets = null)
    {
        _backbone = backbone;
        _ownsTargets = contentTargets is null;
        _contentTargets = contentTargets ?? new ContentTargets();
        _options = options;
        _view = view;
        _content = content.detach().DetachFromDisposeScope();
        _taps = options.StyleLayers.Select(l => l.Layer).Append(options.ContentLayer).Distinct().ToArray();

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var norm = options.Normalization;
        var contentFeatures = Features(content, _taps);
        _contentTargets.Add((0, 0), contentFeatures[options.ContentLayer].detach().DetachFromDisposeScope());

        // (4) with several styles: each layer's target is the blend of the styles' Gram matrices.
        var styleFeatures = styles.Select(s => Features(s.Image, _taps)).ToList();
        foreach (var layer in options.StyleLayers.Select(l => l.Layer).Distinct())
        {
            Tensor? blended = null;
            for (int i = 0; i < styles.Count; i++)
            {
                var gram = GramMatrix.Compute(styleFeatures[i][layer], norm).mul_(styles[i].Weight);
                blended = blended is null ? gram : blended.add_(gram);
            }
            _styleGrams[layer] = blended!.DetachFromDisposeScope();
        }

        if (options.RelativeLosses)
        {
            // Reference distances, so each term starts near 1 and weights mean the same on every backbone:
            // style layers against the content image's own Gram matrices, content against the style's features.
            // ToDouble() reads any floating dtype (item<float>() threw on a float64 or float16 backbone).
            foreach (var layer in _styleGrams.Keys)
                _styleScales[layer] = 1 / Math.Max(StyleLoss.Compute(_styleGrams[layer], contentFeatures[layer], norm).ToDouble(), 1e-12);
            var styleAtContent = styleFeatures[0][options.ContentLayer];
            var contentTarget = contentFeatures[options.ContentLayer];
            if (!styleAtContent.shape.SequenceEqual(contentTarget.shape))
                styleAtContent = nn.functional.interpolate(styleAtContent, [contentTarget.shape[2], contentTarget.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            _contentScale = 1 / Math.Max(ContentLoss.Compute(contentTarget, styleAtContent, norm).ToDouble(), 1e-12);
            _tvScale = 1 / Math.Max(TotalVariationLoss.Compute(content).ToDouble(), 1e-12);
        }
    }

    /// <summary>Names of the values in <see cref="Evaluate"/>'s parts tensor after J_C, J_S and TV.</summary>
    public IReadOnlyList<string> StyleLayerNames => _options.StyleLayers.Select(l => l.Layer).ToArray();

    /// <summary>
    /// Computes J for <paramref name="image"/> shifted circularly by (dy, dx) (jitter). Returns J and a 1-D tensor
    /// [J_C, J_S, TV, J_S^(1), …] of the terms as they enter J (relative when <see cref="StyleTransferOptions.RelativeLosses"/>).
    /// </summary>
    public (Tensor Total, Tensor Parts) Evaluate(Tensor image, int dy = 0, int dx = 0)
    {
        var norm = _options.Normalization;
        var seen = _view is null ? image : _view(image);
        var shifted = Shift(seen, dy, dx);
        var contentTarget = ContentTarget(dy, dx);

        // (3) per layer as soon as the backbone reaches it, not after the whole pass: the 64 MiB gradient of
        // block1_conv1's map at 512² is then made at the end of backward rather than at its start (−145 MiB peak).
        var styleTerms = new Dictionary<string, Tensor>();
        try
        {
            var features = Features(shifted, _taps, (layer, map) =>
            {
                if (_styleGrams.TryGetValue(layer, out var target))
                    styleTerms[layer] = StyleLoss.Compute(target, map, norm).DetachFromDisposeScope();
            });
            return Combine(seen, features, contentTarget, styleTerms);
        }
        finally
        {
            // Only our handles: the graph keeps what backward needs.
            foreach (var term in styleTerms.Values) term.Dispose();
        }
    }

    (Tensor Total, Tensor Parts) Combine(Tensor image, IReadOnlyDictionary<string, Tensor> features, Tensor contentTarget,
        IReadOnlyDictionary<string, Tensor> styleTerms)
    {
        var norm = _options.Normalization;
        var contentLoss = ContentLoss.Compute(contentTarget, features[_options.ContentLayer], norm).mul(_contentScale); // (2)
        var layerLosses = _options.StyleLayers
            .Select(l => styleTerms[l.Layer].mul(_styleScales.GetValueOrDefault(l.Layer, 1))) // (3)
            .ToArray();
        var styleLoss = stack(layerLosses.Zip(_options.StyleLayers, (loss, l) => loss.mul(l.Weight)).ToArray()).sum(); // (4)
        var tv = _options.TotalVariationWeight > 0 ? TotalVariationLoss.Compute(image).mul(_tvScale) : zeros(1, device: image.device).squeeze();

        var total = contentLoss.mul(_options.ContentWeight) + styleLoss.mul(_options.StyleWeight) + tv.mul(_options.TotalVariationWeight); // (5)
        var parts = stack(new[] { contentLoss, styleLoss, tv }.Concat(layerLosses).ToArray());
        return (total, parts);
    }

    Tensor ContentTarget(int dy, int dx)
    {
        // The content target must see the same shift as the image; computed once per shift and kept.
        return _contentTargets.TryGet((dy, dx), out var target) ? target
            : _contentTargets.Add((dy, dx), MakeContentTarget(_backbone, _content, _options, dy, dx));
    }

    /// <summary>
    /// The features of <paramref name="content"/> (preprocessed, at the working size) shifted by (dy, dx) at the content
    /// tap: the target of (2) for a step at that shift. Detached, outside any dispose scope.
    /// </summary>
    internal static Tensor MakeContentTarget(IBackbone backbone, Tensor content, StyleTransferOptions options, int dy, int dx)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var features = backbone.Forward(Shift(content, dy, dx), [options.ContentLayer], NoTap, options.Pooling);
        return features[options.ContentLayer].detach().DetachFromDisposeScope();
    }

    /// <summary>The backbone's pass with this run's pooling (chosen per pass: the backbone may be shared).</summary>
    IReadOnlyDictionary<string, Tensor> Features(Tensor input, IReadOnlyCollection<string> taps, Action<string, Tensor>? onTap = null) =>
        _backbone.Forward(input, taps, onTap ?? NoTap, _options.Pooling);

    static readonly Action<string, Tensor> NoTap = (_, _) => { };

    /// <summary>Circular shift by (dy, dx); roll returns NCHW storage, so a channels-last image is put back in its layout.</summary>
    static Tensor Shift(Tensor image, int dy, int dx)
    {
        if (dy == 0 && dx == 0) return image;
        var shifted = image.roll([dy, dx], [2, 3]);
        return ImageTensors.IsChannelsLast(image) && !ImageTensors.IsChannelsLast(shifted) ? ImageTensors.ToChannelsLast(shifted) : shifted;
    }

    public void Dispose()
    {
        _content.Dispose();
        if (_ownsTargets) _contentTargets.Dispose();
        foreach (var t in _styleGrams.Values) t.Dispose();
    }
}
