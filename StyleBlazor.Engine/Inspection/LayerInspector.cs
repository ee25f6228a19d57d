using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Losses;
using StyleBlazor.Engine.Transfer;
using TorchSharp;
using static TorchSharp.torch;
using Size = SixLabors.ImageSharp.Size;

namespace StyleBlazor.Engine.Inspection;

/// <summary>
/// What a layer of a backbone sees in a picture: its strongest feature maps and its Gram matrix (3), and how far that
/// Gram matrix is from a style image's (J_S^(l) of (3)). Each call is one forward pass, to the deepest layer asked for,
/// at no more than <see cref="MaxSide"/> px, without gradients. Like every torch call it runs on the caller's thread, and
/// leaves nothing behind there: the results are plain arrays.
/// </summary>
public static class LayerInspector
{
    /// <summary>The longest side a picture is inspected at: enough to see structure, cheap beside a running job.</summary>
    public const int MaxSide = 256;

    /// <summary>How many feature maps <see cref="LayerActivations.Strongest"/> holds (fewer when the layer has fewer channels).</summary>
    public const int StrongestCount = 16;

    /// <summary>
    /// Where a picture of <paramref name="width"/> × <paramref name="height"/> is inspected: its own aspect ratio, the
    /// longest side <paramref name="maxSide"/> (at most <see cref="MaxSide"/>, and never larger than the picture: small
    /// pictures are not blown up), sides multiples of the backbone's <see cref="IBackbone.SizeMultiple"/>.
    /// </summary>
    public static Size InspectionSize(int width, int height, int sizeMultiple, int maxSide = MaxSide)
    {
        int side = Math.Min(Math.Min(maxSide, MaxSide), Math.Max(width, height));
        return ImageTensors.WorkingSize(width, height, side, sizeMultiple);
    }

    /// <summary>The layer called <paramref name="name"/>, or an error that names it and the layers there are.</summary>
    /// <exception cref="ArgumentException">The backbone has no such layer.</exception>
    public static LayerInfo FindLayer(IReadOnlyList<LayerInfo> layers, string backbone, string name) =>
        layers.FirstOrDefault(l => l.Name == name)
        ?? throw new ArgumentException($"The {backbone} backbone has no layer '{name}'; its layers are {string.Join(", ", layers.Select(l => l.Name))}.", nameof(name));

    /// <summary>
    /// Runs <paramref name="image"/>, resized to <paramref name="size"/>, through <paramref name="backbone"/> and describes
    /// each of <paramref name="layers"/>: the <see cref="StrongestCount"/> channels with the highest mean activation, and
    /// the Gram matrix in <paramref name="normalization"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown layer, or a size over <see cref="MaxSide"/>.</exception>
    public static IReadOnlyList<LayerActivations> Inspect(IBackbone backbone, Image<Rgb24> image, Size size, IReadOnlyList<string> layers,
        LossNormalization normalization)
    {
        var infos = layers.Select(l => FindLayer(backbone.Layers, backbone.Name, l)).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var features = Forward(backbone, image, size, infos);
        return infos.Select(info => Describe(info, features[info.Name], normalization)).ToArray();
    }

    /// <summary>
    /// Measures <paramref name="image"/> against the style image's Gram matrices <paramref name="style"/> (from
    /// <see cref="Inspect"/> in the same normalisation): per layer J_S^(l) of (3), computed by the engine's own
    /// <see cref="StyleLoss"/>, and G(image) − G(style).
    /// </summary>
    public static IReadOnlyList<LayerStyleLoss> CompareWithStyle(IBackbone backbone, Image<Rgb24> image, Size size,
        IReadOnlyList<LayerActivations> style, LossNormalization normalization)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var features = Forward(backbone, image, size, style.Select(s => s.Layer).ToArray());
        return style.Select(s =>
        {
            var map = features[s.Layer.Name];
            if (map.shape[1] != s.Channels)
                throw new ArgumentException($"The style's Gram matrix of {s.Layer.Name} has {s.Channels} channels, the layer {map.shape[1]}.", nameof(style));
            var target = tensor(s.Gram, [s.Channels, s.Channels], device: map.device);
            double loss = StyleLoss.Compute(target, map, normalization).ToDouble(); // (3)
            var gram = GramMatrix.Compute(map, normalization);
            return new LayerStyleLoss(s.Layer.Name, s.Channels, loss, ToArray(gram), ToArray(gram - target));
        }).ToArray();
    }

    static Dictionary<string, Tensor> Forward(IBackbone backbone, Image<Rgb24> image, Size size, IReadOnlyList<LayerInfo> layers)
    {
        if (Math.Max(size.Width, size.Height) > MaxSide || size.Width < 1 || size.Height < 1)
            throw new ArgumentException($"Pictures are inspected at {MaxSide} px or less (asked for {size.Width} × {size.Height}).", nameof(size));
        var rgb = ImageTensors.ToTensor(image, size, backbone.Device);
        var input = backbone.Preprocessing.Preprocess(rgb);
        var taps = layers.Select(l => l.Name).Distinct().ToArray();
        // A reduced-precision backbone may hand back bfloat16 maps; Gram matrices and means are read in float32.
        return backbone.Forward(input, taps).ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32));
    }

    static LayerActivations Describe(LayerInfo layer, Tensor map, LossNormalization normalization)
    {
        int channels = (int)map.shape[1], height = (int)map.shape[2], width = (int)map.shape[3], positions = height * width;
        var values = ToArray(map[0]); // channel-major: channel c's map is values[c·nH·nW …]
        var means = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            foreach (var v in values.AsSpan(c * positions, positions)) sum += v;
            means[c] = sum / positions;
        }
        // Means are summed on the CPU in a fixed order, so equal maps tie exactly and the tie goes to the lower channel.
        var strongest = Enumerable.Range(0, channels)
            .OrderByDescending(c => means[c]).ThenBy(c => c)
            .Take(StrongestCount)
            .Select(c => new FeatureMap(c, means[c], width, height, values.AsSpan(c * positions, positions).ToArray()))
            .ToArray();
        var gram = ToArray(GramMatrix.Compute(map, normalization)); // (3)
        return new LayerActivations(layer, width, height, channels, strongest, gram);
    }

    static float[] ToArray(Tensor t) => t.contiguous().cpu().data<float>().ToArray();
}
