using StyleBlazor.Engine.Backbones;

namespace StyleBlazor.Engine.Transfer;

/// <summary>Where the optimised image starts (the article: a copy of the content image, fig. 25).</summary>
public enum InitialImage { Content, Noise, Style }

/// <summary>
/// How (2) and (3) are normalised. <see cref="Code"/> is what the article's code computes (a plain mean, and a Gram
/// divided by nH·nW), which is 4× the printed formulas; <see cref="Paper"/> is the printed formulas.
/// </summary>
public enum LossNormalization { Code, Paper }

/// <summary>
/// What moves the pixels. <see cref="Adam"/>: the article's TF1 Adam (or PyTorch's, <see cref="StyleTransferOptions.EpsilonHat"/>
/// off). <see cref="Lbfgs"/>: L-BFGS as Gatys et al. and neural-style run it (<see cref="Optimisation.ImageLbfgs"/>).
/// </summary>
public enum TransferOptimizer { Adam, Lbfgs }

/// <summary>One style tap and its weight λ_l in (4).</summary>
public sealed record StyleLayerWeight(string Layer, double Weight);

/// <summary>
/// One smaller size a coarse-to-fine run passes through: its longest side as a share of the final one, and its share
/// of <see cref="StyleTransferOptions.CoarseIterations"/> (shares are relative: they need not sum to 1).
/// </summary>
public sealed record CoarseStage(double Scale, double Share);

/// <summary>Everything that controls one style transfer. Defaults are the article's (VGG19, Keras code).</summary>
public sealed record StyleTransferOptions
{
    /// <summary>Optimiser iterations, each one evaluation of J (the article: 100 Adam steps).</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>The working size: the longest side in pixels; the aspect ratio is kept.</summary>
    public int MaxSide { get; init; } = 512;

    /// <summary>α in (5).</summary>
    public double ContentWeight { get; init; } = 1e3;

    /// <summary>β in (5).</summary>
    public double StyleWeight { get; init; } = 1e-2;

    public string ContentLayer { get; init; } = "block5_conv2";

    /// <summary>Style taps with λ_l of (4); the article uses Conv1-1 … Conv5-1 with 1/5 each.</summary>
    public IReadOnlyList<StyleLayerWeight> StyleLayers { get; init; } =
        new[] { "block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1" }
            .Select(l => new StyleLayerWeight(l, 0.2)).ToArray();

    public LossNormalization Normalization { get; init; } = LossNormalization.Code;

    /// <summary>
    /// When true, each layer's content and style loss is divided by a reference distance measured once at the start
    /// (the content–style distance), so weights are comparable across layers and backbones. Used by the ResNet18
    /// recipe; the article's VGG19 path leaves it off.
    /// </summary>
    public bool RelativeLosses { get; init; }

    /// <summary>Weight of the squared total-variation term added to (5); 0 = the article.</summary>
    public double TotalVariationWeight { get; init; }

    /// <summary>Adam's step size, in the units of the network's input. L-BFGS takes its own step (length 1).</summary>
    public double LearningRate { get; init; } = 2;
    public double Beta1 { get; init; } = 0.99;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 0.1;

    /// <summary>TF1 applies ε to the un-corrected √v ("epsilon hat"); PyTorch adds it to the corrected one.</summary>
    public bool EpsilonHat { get; init; } = true;

    /// <summary>
    /// Adam with Nesterov momentum (Dozat 2016; <see cref="Optimisation.Tf1Adam"/>): each step leans on the first moment
    /// one step ahead. With PyTorch's ε only. The ResNet18 recipe's: its J in 250 steps is plain Adam's in 275.
    /// </summary>
    public bool Nesterov { get; init; }

    public TransferOptimizer Optimizer { get; init; } = TransferOptimizer.Adam;

    public InitialImage InitialImage { get; init; } = InitialImage.Content;

    /// <summary>Seeds noise and jitter, so runs are reproducible.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// False (the article's code): each style image is resized to the content's working size, whatever its aspect ratio.
    /// True: each style image keeps its own aspect ratio at the same longest side (the ResNet18 prototype's set-up), so a
    /// portrait painting behind a landscape photo does not have its strokes stretched; Gram matrices are normalised by
    /// nH·nW, so the sizes need not match.
    /// </summary>
    public bool StyleKeepsAspect { get; init; }

    /// <summary>Random circular shift of up to this many pixels before each forward pass (removes stride checkerboards).</summary>
    public int JitterPixels { get; init; }

    /// <summary>
    /// A jittered run's result: the average of its last iterates, over about this many steps (an exponential moving
    /// average in which each new iterate weighs 1/n; <see cref="IterateAverage"/>), instead of the last iterate alone.
    /// At most a tenth of the final stage's steps are averaged (<see cref="FinalAveragedSteps"/>), so a short run returns
    /// its last iterate. 0 or 1 = the last iterate. Without jitter the run returns its best image, and this is not used.
    /// </summary>
    public int AveragedIterates { get; init; }

    /// <summary>
    /// Whether the result is the run's last iterate (or the average of its last few) rather than its lowest J: a jittered
    /// run measures each J at a random shift, so its lowest is a lucky shift (see StyleTransfer.Run).
    /// </summary>
    public bool KeepsLastIterate() => JitterPixels > 0;

    /// <summary>
    /// How many of the final stage's last iterates the result is the average of: <see cref="AveragedIterates"/>, at most a
    /// tenth of that stage's steps, since a short stage's iterates still move fast and their average would lag behind
    /// them (40 steps at 256 px: J +8 % with ten averaged, the style weaker). 0 when the run returns one iterate: its
    /// last (with jitter) or its best (without).
    /// </summary>
    public int FinalAveragedSteps()
    {
        int steps = KeepsLastIterate() ? Math.Min(AveragedIterates, (Iterations - CoarseIterations) / 10) : 0;
        return steps > 1 ? steps : 0;
    }

    /// <summary>Coarse-to-fine: iterations run first at smaller sizes (0 = off). Part of <see cref="Iterations"/>.</summary>
    public int CoarseIterations { get; init; }

    /// <summary>
    /// The smaller sizes the <see cref="CoarseIterations"/> run at, smallest first, and how they share them; each stage
    /// starts from the previous one's image upsampled. The default is one stage at half size.
    /// </summary>
    public IReadOnlyList<CoarseStage> CoarseStages { get; init; } = [new(0.5, 1)];

    /// <summary>
    /// One weight per style image (the CLI's <c>--style-weights</c>), normalised to sum 1: each style layer's target is the
    /// weighted mix of the styles' Gram matrices. Empty = every style image weighs the same.
    /// </summary>
    public IReadOnlyList<double> StyleBlend { get; init; } = [];

    /// <summary>
    /// Stroke size: each style image is resized to this times the content's working size (its longest side, with
    /// <see cref="StyleKeepsAspect"/>) before its Gram matrices are taken, so the same texture comes out with larger (above 1)
    /// or smaller (below 1) brush strokes. 0.25–2.
    /// </summary>
    public double StyleScale { get; init; } = 1;

    /// <summary>Whether and how the content's colours are kept (<see cref="ColorPreservation"/>).</summary>
    public ColorPreservation PreserveColors { get; init; } = ColorPreservation.None;

    /// <summary>
    /// The pooling between the network's blocks: <see cref="PoolingMode.Max"/> as trained, or <see cref="PoolingMode.Average"/>
    /// (Gatys et al. found it gives slightly more appealing results). Chosen per forward pass, so jobs sharing one
    /// backbone may differ. Only VGG19 run by TorchSharp offers average pooling.
    /// </summary>
    public PoolingMode Pooling { get; init; } = PoolingMode.Max;

    /// <summary>
    /// These options with another iteration count, keeping the coarse-to-fine share in proportion (a recipe's 200 of
    /// 400 coarse steps become 10 of 20), so a shorter or longer run keeps its shape and stays valid.
    /// </summary>
    public StyleTransferOptions WithIterations(int iterations) => this with
    {
        Iterations = iterations,
        CoarseIterations = CoarseIterations > 0 && Iterations > 0 && iterations > 1
            ? Math.Min(iterations - 1, (int)((long)CoarseIterations * iterations / Iterations))
            : 0,
    };

    /// <summary>
    /// <see cref="Validate(IReadOnlyCollection{string}?)"/> against <paramref name="backbone"/>'s layers, and whether it can
    /// pool as <see cref="Pooling"/> asks.
    /// </summary>
    public string? Validate(IBackbone backbone) =>
        Validate(backbone.Layers.Select(l => l.Name).ToArray())
        ?? (backbone.PoolingModes.Contains(Pooling) ? null
            : $"Pooling {Pooling} is not available on the {backbone.Name} backbone, which pools by {string.Join(" or ", backbone.PoolingModes)} only: " +
              "average pooling replaces VGG19's max pools, and needs VGG19 run by TorchSharp (.h5 or .pth weights, or random weights).");

    /// <summary>Checks the values a caller could get wrong; returns the first problem, or null.</summary>
    public string? Validate(IReadOnlyCollection<string>? knownLayers = null)
    {
        static bool Finite(double v) => !double.IsNaN(v) && !double.IsInfinity(v);
        if (Iterations is < 1 or > 100_000) return $"Iterations must be between 1 and 100000 (got {Iterations}).";
        if (MaxSide is < 16 or > 8192) return $"Image size must be between 16 and 8192 px (got {MaxSide}).";
        if (!Finite(ContentWeight) || ContentWeight < 0) return $"Content weight α must be a finite number ≥ 0 (got {ContentWeight}).";
        if (!Finite(StyleWeight) || StyleWeight < 0) return $"Style weight β must be a finite number ≥ 0 (got {StyleWeight}).";
        if (!Finite(TotalVariationWeight) || TotalVariationWeight < 0) return $"TV weight must be a finite number ≥ 0 (got {TotalVariationWeight}).";
        if (!Finite(LearningRate) || LearningRate <= 0 || LearningRate > 1000) return $"Learning rate must be in (0, 1000] (got {LearningRate}).";
        if (!Finite(Beta1) || Beta1 is < 0 or >= 1) return $"β1 must be in [0, 1) (got {Beta1}).";
        if (!Finite(Beta2) || Beta2 is < 0 or >= 1) return $"β2 must be in [0, 1) (got {Beta2}).";
        if (!Finite(Epsilon) || Epsilon <= 0) return $"ε must be > 0 (got {Epsilon}).";
        if (Nesterov && EpsilonHat) return "Nesterov momentum needs PyTorch's ε (EpsilonHat off).";
        if (!Enum.IsDefined(Optimizer)) return $"Optimizer must be adam or lbfgs (got {Optimizer}).";
        if (JitterPixels is < 0 or > 64) return $"Jitter must be between 0 and 64 px (got {JitterPixels}).";
        if (AveragedIterates is < 0 or > 1000) return $"Averaged iterates must be between 0 and 1000 (got {AveragedIterates}).";
        if (CoarseIterations < 0 || CoarseIterations >= Iterations) return $"Coarse iterations must be ≥ 0 and fewer than the iterations (got {CoarseIterations}).";
        if (CoarseStages.Count == 0) return "At least one coarse stage is needed (or no coarse iterations).";
        for (int i = 0; i < CoarseStages.Count; i++)
        {
            var (scale, share) = (CoarseStages[i].Scale, CoarseStages[i].Share);
            if (!Finite(scale) || scale <= 0 || scale >= 1 || (i > 0 && scale <= CoarseStages[i - 1].Scale))
                return $"Coarse stage sizes must grow from stage to stage and stay below the final size (got {scale} for stage {i + 1}).";
            if (!Finite(share) || share <= 0) return $"Coarse stage shares must be finite numbers > 0 (got {share} for stage {i + 1}).";
        }
        if (StyleLayers.Count == 0) return "At least one style layer is needed.";
        foreach (var l in StyleLayers)
            if (!Finite(l.Weight) || l.Weight < 0) return $"Style layer weight λ for {l.Layer} must be a finite number ≥ 0 (got {l.Weight}).";
        if (!Finite(StyleScale) || StyleScale is < 0.25 or > 2) return $"Style scale must be between 0.25 and 2 (got {StyleScale}).";
        if (!Enum.IsDefined(PreserveColors)) return $"Colour preservation must be none, luminance or histogram (got {PreserveColors}).";
        if (!Enum.IsDefined(Pooling)) return $"Pooling must be max or average (got {Pooling}).";
        if (StyleBlend.Any(w => !Finite(w) || w < 0)) return "Style blend weights must be finite numbers ≥ 0.";
        // Checked here too (Run refuses it as well), so validating options up front catches it.
        if (StyleBlend.Count > 0 && StyleBlend.Sum() <= 0) return "Style blend weights must not all be zero.";
        if (knownLayers is not null)
        {
            if (!knownLayers.Contains(ContentLayer)) return $"Unknown content layer '{ContentLayer}'; this backbone has {string.Join(", ", knownLayers)}.";
            var unknown = StyleLayers.FirstOrDefault(l => !knownLayers.Contains(l.Layer));
            if (unknown is not null) return $"Unknown style layer '{unknown.Layer}'; this backbone has {string.Join(", ", knownLayers)}.";
        }
        return null;
    }
}
