using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>A problem with one field of <see cref="TransferSettings"/>, in words a user can act on; the field is named as in JSON.</summary>
public sealed record SettingsProblem(string Field, string Message);

/// <summary>
/// Turns <see cref="TransferSettings"/> into engine options: the one mapping from the CLI's names to the engine's, and the
/// one set of rules for them, whichever door (the CLI, the hub, the HTTP API) they come in by.
/// </summary>
public static class TransferSettingsRecipe
{
    /// <summary>The words <c>--pooling</c> takes: neural-style's names.</summary>
    static readonly IReadOnlyDictionary<string, PoolingMode> PoolingWords = new Dictionary<string, PoolingMode>
    {
        ["max"] = PoolingMode.Max,
        ["avg"] = PoolingMode.Average,
    };

    /// <summary>
    /// <paramref name="backbone"/>'s recipe with the settings given applied, checked against what that backbone can do
    /// (its pooling) and, when <paramref name="styleCount"/> is known, against the number of style pictures; or the first
    /// problem, naming its field.
    /// </summary>
    /// <param name="spell">How a field is named in messages, from its JSON name; default the JSON name (the CLI passes <see cref="CliFlag"/>).</param>
    public static (StyleTransferOptions? Options, SettingsProblem? Problem) ApplyTo(this TransferSettings settings, BackboneInfo backbone,
        int? styleCount = null, Func<string, string>? spell = null)
    {
        var (options, problem) = settings.ApplyTo(backbone.Defaults, spell);
        if (options is null) return (null, problem);
        return Fits(options, backbone, styleCount, spell) is { } misfit ? (null, misfit) : (options, null);
    }

    /// <summary>
    /// <paramref name="recipe"/> with the settings given applied, or the first problem (an unknown word, a value out of
    /// range) naming its field. Ranges are the engine's own (<see cref="StyleTransferOptions.Validate"/>), each checked on
    /// the recipe with that one field changed, so the message belongs to the field that caused it.
    /// </summary>
    public static (StyleTransferOptions? Options, SettingsProblem? Problem) ApplyTo(this TransferSettings settings, StyleTransferOptions recipe,
        Func<string, string>? spell = null)
    {
        spell ??= name => name;
        var steps = new List<(string Field, Func<StyleTransferOptions, StyleTransferOptions>? Change, string? Problem)>();
        void Add<T>(string field, T? value, Func<StyleTransferOptions, T, StyleTransferOptions> change) where T : struct
        {
            if (value is { } v) steps.Add((field, o => change(o, v), null));
        }
        void AddChoice<T>(string field, string? word, IReadOnlyDictionary<string, T> words, Func<StyleTransferOptions, T, StyleTransferOptions> change)
        {
            if (word is null) return;
            steps.Add(words.TryGetValue(word.ToLowerInvariant(), out var value)
                ? (field, o => change(o, value), null)
                : (field, null, $"{spell(JsonName(field))} must be one of {string.Join(", ", words.Keys)} (got '{word}')."));
        }
        void AddWord<T>(string field, string? word, Func<StyleTransferOptions, T, StyleTransferOptions> change) where T : struct, Enum =>
            AddChoice(field, word, Enum.GetValues<T>().ToDictionary(e => e.ToString().ToLowerInvariant()), change);

        Add(nameof(TransferSettings.Iterations), settings.Iterations, (o, v) => o.WithIterations(v));
        Add(nameof(TransferSettings.Size), settings.Size, (o, v) => o with { MaxSide = v });
        Add(nameof(TransferSettings.Alpha), settings.Alpha, (o, v) => o with { ContentWeight = v });
        Add(nameof(TransferSettings.Beta), settings.Beta, (o, v) => o with { StyleWeight = v });
        Add(nameof(TransferSettings.Seed), settings.Seed, (o, v) => o with { Seed = v });
        Add(nameof(TransferSettings.Lr), settings.Lr, (o, v) => o with { LearningRate = v });
        Add(nameof(TransferSettings.TvWeight), settings.TvWeight, (o, v) => o with { TotalVariationWeight = v });
        AddWord<InitialImage>(nameof(TransferSettings.Init), settings.Init, (o, v) => o with { InitialImage = v });
        AddWord<LossNormalization>(nameof(TransferSettings.Normalization), settings.Normalization, (o, v) => o with { Normalization = v });
        if (settings.StyleWeights is { } weights)
            steps.Add((nameof(TransferSettings.StyleWeights), o => o with { StyleBlend = [.. weights] }, null));
        AddWord<ColorPreservation>(nameof(TransferSettings.PreserveColors), settings.PreserveColors, (o, v) => o with { PreserveColors = v });
        Add(nameof(TransferSettings.StyleScale), settings.StyleScale, (o, v) => o with { StyleScale = v });
        AddWord<TransferOptimizer>(nameof(TransferSettings.Optimizer), settings.Optimizer, (o, v) => o with { Optimizer = v });
        AddChoice(nameof(TransferSettings.Pooling), settings.Pooling, PoolingWords, (o, v) => o with { Pooling = v });

        var options = recipe;
        foreach (var (field, change, problem) in steps)
        {
            var name = JsonName(field);
            if (problem is not null) return (null, new SettingsProblem(name, problem));
            if (change!(recipe).Validate() is { } invalid) return (null, new SettingsProblem(name, invalid));
            options = change(options);
        }
        // L-BFGS chooses its own step (a line search from length 1), so an Adam step size given with it would be ignored.
        if (settings.Lr is not null && options.Optimizer == TransferOptimizer.Lbfgs)
            return (null, new SettingsProblem(JsonName(nameof(TransferSettings.Lr)),
                $"{spell("lr")} is Adam's step size; L-BFGS takes its own step (leave {spell("lr")} out, or use {spell("optimizer")} adam)."));
        return options.Validate() is { } overall ? (null, new SettingsProblem("options", overall)) : (options, null);
    }

    /// <summary>
    /// Whether <paramref name="options"/> suit <paramref name="backbone"/> (its pooling) and <paramref name="styleCount"/>
    /// style pictures (one blend weight each); the first problem, or null. Every door checks a job with this.
    /// </summary>
    /// <param name="backbone">Null: any backbone (pooling is not checked).</param>
    public static SettingsProblem? Fits(StyleTransferOptions options, BackboneInfo? backbone, int? styleCount, Func<string, string>? spell = null)
    {
        spell ??= name => name;
        if (styleCount is { } count && options.StyleBlend.Count > 0 && options.StyleBlend.Count != count)
            return new SettingsProblem(JsonName(nameof(TransferSettings.StyleWeights)),
                $"{spell("styleWeights")} has {options.StyleBlend.Count} weights for {count} style pictures: give one per style, in the same order.");
        if (backbone is not null && !backbone.PoolingModes.Contains(options.Pooling))
            return new SettingsProblem(JsonName(nameof(TransferSettings.Pooling)),
                $"{spell("pooling")} {PoolingWord(options.Pooling)} is not available on {backbone.Name}, which pools by " +
                $"{string.Join(" or ", backbone.PoolingModes.Select(PoolingWord))} only (average pooling replaces VGG19's max pools).");
        return null;
    }

    /// <summary>A pooling mode as <c>--pooling</c> names it.</summary>
    public static string PoolingWord(PoolingMode mode) => PoolingWords.First(w => w.Value == mode).Key;

    /// <summary>A property name as JSON (and this API's messages) spell it: <c>TvWeight</c> → <c>tvWeight</c>.</summary>
    public static string JsonName(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>A JSON name as the <c>stylize</c> command's flag: <c>styleWeights</c> → <c>--style-weights</c>.</summary>
    public static string CliFlag(string jsonName) =>
        "--" + string.Concat(jsonName.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));
}
