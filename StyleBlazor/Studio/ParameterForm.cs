using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Studio;

/// <summary>One style tap in the parameter panel: used or not, and its λ in (4).</summary>
public sealed class StyleLayerChoice(string layer, bool selected, double weight)
{
    public string Layer { get; } = layer;
    public bool Selected { get; set; } = selected;
    public double Weight { get; set; } = weight;
}

/// <summary>
/// The editable parameters of the studio. Fields the panel does not show (normalisation, TV weight, jitter, Adam's β1,
/// β2, ε…) come unchanged from the backbone's recipe, so the form never silently departs from it.
/// </summary>
public sealed class ParameterForm
{
    /// <summary>Key of problems that belong to no single field (shown above the Start button).</summary>
    public const string FormKey = "";

    public required string Backbone { get; set; }
    public int Iterations { get; set; }
    public int MaxSide { get; set; }
    public double ContentWeight { get; set; }
    public double StyleWeight { get; set; }
    public double LearningRate { get; set; }
    public InitialImage InitialImage { get; set; }
    public int Seed { get; set; }
    public string ContentLayer { get; set; } = "";
    public List<StyleLayerChoice> StyleLayers { get; set; } = [];
    public ColorPreservation PreserveColors { get; set; }
    public double StyleScale { get; set; } = 1;
    public TransferOptimizer Optimizer { get; set; }
    public PoolingMode Pooling { get; set; }

    /// <summary>How far the style-strength slider reaches either side of the recipe's β, in powers of ten.</summary>
    public const double StyleStrengthDecades = 2;

    /// <summary>
    /// β on a log scale around the recipe's: 0 is the recipe's β, +1 ten times it, −1 a tenth (clamped to the slider's
    /// reach). Setting it sets <see cref="StyleWeight"/>, to three significant digits so the numeric field stays readable.
    /// </summary>
    public double StyleStrength
    {
        get => Recipe.StyleWeight <= 0 ? 0
            : StyleWeight <= 0 ? -StyleStrengthDecades
            : Math.Clamp(Math.Log10(StyleWeight / Recipe.StyleWeight), -StyleStrengthDecades, StyleStrengthDecades);
        set
        {
            if (Recipe.StyleWeight <= 0) return;
            double beta = Recipe.StyleWeight * Math.Pow(10, Math.Clamp(value, -StyleStrengthDecades, StyleStrengthDecades));
            StyleWeight = double.Parse(beta.ToString("G3", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The recipe the hidden fields come from.</summary>
    public required StyleTransferOptions Recipe { get; set; }

    /// <summary>A form showing <paramref name="options"/> for <paramref name="backbone"/>: every tap is listed, those in the options ticked.</summary>
    public static ParameterForm From(BackboneInfo backbone, StyleTransferOptions options)
    {
        var chosen = options.StyleLayers.ToDictionary(l => l.Layer, l => l.Weight);
        double fallbackWeight = chosen.Count > 0 ? chosen.Values.Average() : 0.2;
        return new ParameterForm
        {
            Backbone = backbone.Name,
            Recipe = backbone.Defaults,
            Iterations = options.Iterations,
            MaxSide = options.MaxSide,
            ContentWeight = options.ContentWeight,
            StyleWeight = options.StyleWeight,
            LearningRate = options.LearningRate,
            InitialImage = options.InitialImage,
            Seed = options.Seed,
            ContentLayer = options.ContentLayer,
            PreserveColors = options.PreserveColors,
            StyleScale = options.StyleScale,
            Optimizer = options.Optimizer,
            Pooling = backbone.PoolingModes.Contains(options.Pooling) ? options.Pooling : PoolingMode.Max,
            StyleLayers = backbone.Layers
                .Select(l => new StyleLayerChoice(l.Name, chosen.ContainsKey(l.Name), chosen.GetValueOrDefault(l.Name, fallbackWeight)))
                .ToList(),
        };
    }

    public StyleTransferOptions ToOptions() => Recipe with
    {
        Iterations = Iterations,
        MaxSide = MaxSide,
        ContentWeight = ContentWeight,
        StyleWeight = StyleWeight,
        LearningRate = LearningRate,
        InitialImage = InitialImage,
        Seed = Seed,
        ContentLayer = ContentLayer,
        StyleLayers = StyleLayers.Where(l => l.Selected).Select(l => new StyleLayerWeight(l.Layer, l.Weight)).ToArray(),
        PreserveColors = PreserveColors,
        StyleScale = StyleScale,
        Optimizer = Optimizer,
        Pooling = Pooling,
        // The recipe's coarse-to-fine share of the iterations, kept in proportion when the count changes.
        CoarseIterations = Iterations > 0 ? Recipe.WithIterations(Iterations).CoarseIterations : 0,
    };

    /// <summary>
    /// The engine's objection to <paramref name="value"/> in field <paramref name="key"/>, or null: the recipe with only
    /// that field changed goes through <see cref="StyleTransferOptions.Validate"/>.
    /// </summary>
    public string? CheckField(string key, double value)
    {
        var recipe = Recipe with { CoarseIterations = 0 };
        var candidate = key switch
        {
            nameof(Iterations) => recipe with { Iterations = (int)value },
            nameof(MaxSide) => recipe with { MaxSide = (int)value },
            nameof(ContentWeight) => recipe with { ContentWeight = value },
            nameof(StyleWeight) => recipe with { StyleWeight = value },
            nameof(LearningRate) => recipe with { LearningRate = value },
            nameof(StyleScale) => recipe with { StyleScale = value },
            _ when key.StartsWith(nameof(StyleLayers) + ":", StringComparison.Ordinal) =>
                recipe with { StyleLayers = [new StyleLayerWeight(key[(nameof(StyleLayers).Length + 1)..], value)] },
            _ => recipe,
        };
        return candidate.Validate();
    }

    /// <summary>Key under which a style layer's λ problem is reported.</summary>
    public static string WeightKey(string layer) => $"{nameof(StyleLayers)}:{layer}";

    /// <summary>
    /// Problems by field (property name, <see cref="WeightKey"/>, or <see cref="FormKey"/>), in the engine's own words:
    /// each field is checked by <see cref="StyleTransferOptions.Validate"/> on the recipe with only that field changed,
    /// and the whole set once more for what involves several fields.
    /// </summary>
    public IReadOnlyDictionary<string, string> Validate(IReadOnlyCollection<string> knownLayers)
    {
        var problems = new Dictionary<string, string>();
        void Check(string key, double value)
        {
            if (CheckField(key, value) is { } problem) problems.TryAdd(key, problem);
        }

        Check(nameof(Iterations), Iterations);
        Check(nameof(MaxSide), MaxSide);
        Check(nameof(ContentWeight), ContentWeight);
        Check(nameof(StyleWeight), StyleWeight);
        Check(nameof(LearningRate), LearningRate);
        Check(nameof(StyleScale), StyleScale);
        foreach (var layer in StyleLayers.Where(l => l.Selected))
            Check(WeightKey(layer.Layer), layer.Weight);

        if (!knownLayers.Contains(ContentLayer))
            problems.TryAdd(nameof(ContentLayer), $"Unknown content layer '{ContentLayer}'; choose one of this backbone's taps.");
        if (!StyleLayers.Any(l => l.Selected))
            problems.TryAdd(nameof(StyleLayers), "At least one style layer is needed.");

        if (problems.Count == 0 && ToOptions().Validate(knownLayers) is { } overall)
            problems[FormKey] = overall;
        return problems;
    }
}
