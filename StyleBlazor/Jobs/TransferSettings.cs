namespace StyleBlazor.Jobs;

// Kept free of other app and engine types: tools/LoadTest compiles this same file (as part of the hub's request).

/// <summary>
/// What a caller may change of a backbone's recipe, named as the <c>stylize</c> command's long flags (camelCase in JSON:
/// <c>--lr</c> is <c>lr</c>). Null = the recipe's value. The HTTP API's <c>options</c>, the hub's requests and the CLI all
/// read this one shape, and <see cref="TransferSettingsRecipe.ApplyTo"/> is the one place it becomes engine options.
/// </summary>
public sealed record TransferSettings
{
    /// <summary><c>--backbone</c>: a name from the server's catalog; null = the default backbone.</summary>
    public string? Backbone { get; init; }

    /// <summary><c>--size</c>: the working size, the longest side in pixels.</summary>
    public int? Size { get; init; }

    /// <summary><c>--iterations</c>: optimisation steps in all (a coarse-to-fine recipe keeps its share of coarse steps).</summary>
    public int? Iterations { get; init; }

    /// <summary><c>--alpha</c>: α of (5), the content weight.</summary>
    public double? Alpha { get; init; }

    /// <summary><c>--beta</c>: β of (5), the style weight.</summary>
    public double? Beta { get; init; }

    /// <summary><c>--seed</c>: seeds the noise and the jitter, so a run can be repeated.</summary>
    public int? Seed { get; init; }

    /// <summary><c>--lr</c>: the optimiser's learning rate.</summary>
    public double? Lr { get; init; }

    /// <summary><c>--init</c>: content, noise or style.</summary>
    public string? Init { get; init; }

    /// <summary><c>--normalization</c>: code or paper (how (2) and (3) are normalised).</summary>
    public string? Normalization { get; init; }

    /// <summary><c>--tv-weight</c>: weight of the total-variation term added to (5).</summary>
    public double? TvWeight { get; init; }

    /// <summary><c>--style-weights</c>: one weight per style picture, in their order (normalised to sum 1); null = equal.</summary>
    public IReadOnlyList<double>? StyleWeights { get; init; }

    /// <summary><c>--preserve-colors</c>: none, luminance or histogram (keep the content's colours).</summary>
    public string? PreserveColors { get; init; }

    /// <summary><c>--style-scale</c>: stroke size, 0.25–2: the style picture's size relative to the content's working size.</summary>
    public double? StyleScale { get; init; }

    /// <summary><c>--optimizer</c>: adam or lbfgs.</summary>
    public string? Optimizer { get; init; }

    /// <summary><c>--pooling</c>: max or avg (VGG19 only).</summary>
    public string? Pooling { get; init; }
}
