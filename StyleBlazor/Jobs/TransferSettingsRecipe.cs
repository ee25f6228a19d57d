using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>A problem with one field of <see cref="TransferSettings"/>, in words a user can act on; the field is named as in JSON.</summary>
public sealed record SettingsProblem(string Field, string Message);

/// <summary>Turns <see cref="TransferSettings"/> into engine options: the one mapping from the CLI's names to the engine's.</summary>
public static class TransferSettingsRecipe
{
    /// <summary>
    /// <paramref name="recipe"/> with the settings given applied, or the first problem (an unknown word, a value out of
    /// range) naming its field. Ranges are the engine's own (<see cref="StyleTransferOptions.Validate"/>), each checked on
    /// the recipe with that one field changed, so the message belongs to the field that caused it.
    /// </summary>
    public static (StyleTransferOptions? Options, SettingsProblem? Problem) ApplyTo(this TransferSettings settings, StyleTransferOptions recipe)
    {
        var steps = new List<(string Field, Func<StyleTransferOptions, StyleTransferOptions>? Change, string? Problem)>();
        void Add<T>(string field, T? value, Func<StyleTransferOptions, T, StyleTransferOptions> change) where T : struct
        {
            if (value is { } v) steps.Add((field, o => change(o, v), null));
        }
        void AddWord<T>(string field, string? word, Func<StyleTransferOptions, T, StyleTransferOptions> change) where T : struct, Enum
        {
            if (word is null) return;
            steps.Add(Enum.TryParse<T>(word, ignoreCase: true, out var e) && Enum.IsDefined(e) && !word.Any(char.IsDigit)
                ? (field, o => change(o, e), null)
                : (field, null, $"{JsonName(field)} must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))} (got '{word}')."));
        }

        Add(nameof(TransferSettings.Iterations), settings.Iterations, (o, v) => o.WithIterations(v));
        Add(nameof(TransferSettings.Size), settings.Size, (o, v) => o with { MaxSide = v });
        Add(nameof(TransferSettings.Alpha), settings.Alpha, (o, v) => o with { ContentWeight = v });
        Add(nameof(TransferSettings.Beta), settings.Beta, (o, v) => o with { StyleWeight = v });
        Add(nameof(TransferSettings.Seed), settings.Seed, (o, v) => o with { Seed = v });
        Add(nameof(TransferSettings.Lr), settings.Lr, (o, v) => o with { LearningRate = v });
        Add(nameof(TransferSettings.TvWeight), settings.TvWeight, (o, v) => o with { TotalVariationWeight = v });
        AddWord<InitialImage>(nameof(TransferSettings.Init), settings.Init, (o, v) => o with { InitialImage = v });
        AddWord<LossNormalization>(nameof(TransferSettings.Normalization), settings.Normalization, (o, v) => o with { Normalization = v });

        var options = recipe;
        foreach (var (field, change, problem) in steps)
        {
            var name = JsonName(field);
            if (problem is not null) return (null, new SettingsProblem(name, problem));
            if (change!(recipe).Validate() is { } invalid) return (null, new SettingsProblem(name, invalid));
            options = change(options);
        }
        return options.Validate() is { } overall ? (null, new SettingsProblem("options", overall)) : (options, null);
    }

    /// <summary>A property name as JSON (and this API's messages) spell it: <c>TvWeight</c> → <c>tvWeight</c>.</summary>
    public static string JsonName(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
