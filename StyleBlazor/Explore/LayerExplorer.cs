using StyleBlazor.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Inspection;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;
using StyleBlazor.Results;

namespace StyleBlazor.Explore;

/// <summary>
/// What the network sees in a run's pictures, for the <c>/explore</c> page: a layer's strongest feature maps and Gram
/// matrix (3) for the content, the style or the result, and the result's Gram matrix against the style's with J_S^(l)
/// and its share of J_S (4). Pictures are measured as the run measures them (its backbone, normalisation and style size
/// rule) at no more than 256 px.
/// <para>
/// Each computation is one forward pass without gradients, handed to a torch thread through <see cref="ITorchWork"/>,
/// and at most one of them waits there at a time: a running job (whose torch thread runs such work between two
/// iterations) is delayed by at most one forward pass at its own size or smaller, less than one of its iterations
/// (a forward and a backward pass). What is computed is kept per run, picture and layer in a bounded cache.
/// </para>
/// </summary>
public sealed class LayerExplorer(ITorchWork torch, IJobPictures jobs, ResultStore store, ResultFiles files, IBackboneCatalog catalog)
{
    /// <summary>What the cache may hold: heatmaps are a few kB each, a style's raw Gram matrices up to about 3 MiB a run.</summary>
    public const long CacheBudgetBytes = 64L << 20;

    /// <summary>Feature map tiles are drawn at this many pixels a side at most (they are shown at about this size).</summary>
    public const int TileSide = 128;

    readonly SemaphoreSlim _oneAtATime = new(1, 1);

    internal ExploreCache Cache { get; } = new(CacheBudgetBytes);

    /// <summary>A job of this server, live or finished.</summary>
    /// <exception cref="ExploreRefusedException">No such job.</exception>
    public async Task<ExploreSource> OpenJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        await jobs.FindJobAsync(jobId, cancellationToken)
        ?? throw new ExploreRefusedException(ExploreRefusal.UnknownJob,
            "There is no job with that id here: it ended long ago, was never here, or its result was withdrawn.");

    /// <summary>A stored result by its share token (<c>/r/{token}</c>).</summary>
    /// <exception cref="ExploreRefusedException">No result at that link, or the link was revoked or has expired.</exception>
    public async Task<ExploreSource> OpenShareLinkAsync(string token, CancellationToken cancellationToken = default)
    {
        var lookup = await store.FindByTokenAsync(token, cancellationToken);
        return lookup switch
        {
            { State: LinkState.Found, Result: { } result } => FromStoredResult(result),
            { State: LinkState.Gone } => throw new ExploreRefusedException(ExploreRefusal.LinkWithdrawn, "This share link was revoked or has expired."),
            _ => throw new ExploreRefusedException(ExploreRefusal.UnknownLink, "There is no result at this share link."),
        };
    }

    ExploreSource FromStoredResult(StoredResult result)
    {
        async Task<Image<Rgb24>?> Open(PictureKind kind, CancellationToken cancellationToken)
        {
            // Stored results keep 256 px thumbnails of their content and style, and the full result.
            var path = files.PathOf(result, kind switch
            {
                PictureKind.Content => ResultFiles.ContentThumbnail,
                PictureKind.Style => ResultFiles.StyleThumbnail,
                _ => ResultFiles.ResultPng,
            });
            return File.Exists(path) ? await Image.LoadAsync<Rgb24>(KnownImageFormats.Frames, path, cancellationToken) : null;
        }
        var state = result.Outcome switch
        {
            ResultOutcome.Cancelled => JobState.Cancelled,
            ResultOutcome.Interrupted => JobState.Interrupted,
            _ => JobState.Completed,
        };
        return new ExploreSource($"result:{result.Id:N}", result.Backbone, result.Options(), state, result.LossHistory().LastOrDefault(),
            result.BestIteration, new Size(result.Width, result.Height), Open);
    }

    /// <summary>The run's backbone as this server offers it (its layers are what may be explored).</summary>
    /// <exception cref="ExploreRefusedException">This server does not offer that backbone.</exception>
    public BackboneInfo BackboneOf(ExploreSource source) =>
        catalog.Find(source.Backbone)
        ?? throw new ExploreRefusedException(ExploreRefusal.BackboneUnavailable, $"This server does not offer the {source.Backbone} backbone any more.", source.Backbone);

    /// <summary>The layer of the run's backbone called <paramref name="layer"/>.</summary>
    /// <exception cref="ExploreRefusedException">No such layer (the message names it and the layers there are) or backbone.</exception>
    public LayerInfo LayerOf(ExploreSource source, string layer)
    {
        var backbone = BackboneOf(source);
        try { return LayerInspector.FindLayer(backbone.Layers, backbone.Name, layer); }
        catch (ArgumentException ex)
        {
            throw new ExploreRefusedException(ExploreRefusal.UnknownLayer, ex.Message, layer, backbone.Name, string.Join(", ", backbone.Layers.Select(l => l.Name)));
        }
    }

    /// <summary>The strongest feature maps and the Gram matrix of <paramref name="layer"/> for one of the run's pictures.</summary>
    /// <exception cref="ExploreRefusedException">An unknown layer, or a picture the run does not have (yet).</exception>
    public Task<LayerView> InspectAsync(ExploreSource source, PictureKind picture, string layer, CancellationToken cancellationToken = default)
    {
        var info = LayerOf(source, layer);
        string key = $"{source.Key}|view|{picture}|{VersionOf(source, picture)}|{info.Name}";
        return Cache.GetOrAddAsync(key, () => ComputeViewAsync(source, picture, info), v => v.Bytes).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The result's Gram matrix of <paramref name="layer"/> against the style's, with J_S^(l) (3) and every style layer's
    /// term of (4) measured alike. While a job runs, its result is the newest frame at the time of the lookup.
    /// </summary>
    /// <exception cref="ExploreRefusedException">An unknown layer, or no result (yet).</exception>
    public async Task<StyleMatch> CompareWithStyleAsync(ExploreSource source, string layer, CancellationToken cancellationToken = default)
    {
        var info = LayerOf(source, layer);
        var layers = MeasuredLayers(source, info);
        string key = $"{source.Key}|match|{source.ResultVersion}|{string.Join(',', layers)}";
        var matches = await Cache.GetOrAddAsync(key, () => ComputeMatchesAsync(source, layers), m => m.Values.Sum(v => v.Bytes))
            .WaitAsync(cancellationToken);
        return matches[info.Name];
    }

    /// <summary>The run's style layers this backbone has, and <paramref name="layer"/>: one forward pass measures them all, for the shares.</summary>
    string[] MeasuredLayers(ExploreSource source, LayerInfo layer)
    {
        var known = BackboneOf(source).Layers.Select(l => l.Name).ToHashSet();
        return [.. source.Options.StyleLayers.Select(l => l.Layer).Where(known.Contains).Append(layer.Name).Distinct().Order(StringComparer.Ordinal)];
    }

    static string VersionOf(ExploreSource source, PictureKind picture) => picture == PictureKind.Result ? source.ResultVersion : "input";

    async Task<LayerView> ComputeViewAsync(ExploreSource source, PictureKind picture, LayerInfo layer)
    {
        var (activations, size) = await InspectLayersAsync(source, picture, [layer.Name]);
        var view = activations.Single();
        // PNG encoding is CPU work for the thread pool, not for the torch thread.
        return await Task.Run(() => new LayerView(layer, view.Channels, view.Width, view.Height, size,
            [.. view.Strongest.Select(m => new MapTile(m.Channel, m.Mean, Draw(PooledGrid.Of(m.Values, m.Width, m.Height, TileSide), ColorScale.Viridis)))],
            Draw(PooledGrid.OfGram(view.Gram, view.Channels), ColorScale.Viridis)));
    }

    async Task<IReadOnlyDictionary<string, StyleMatch>> ComputeMatchesAsync(ExploreSource source, string[] layers)
    {
        var style = await StyleGramsAsync(source, layers);
        var measured = await CompareAsync(source, PictureKind.Result, style.Layers);
        // With relative losses the run divides each J_S^(l) by the content's own distance to the style (TransferObjective).
        var references = source.Options.RelativeLosses
            ? (await CompareAsync(source, PictureKind.Content, style.Layers)).Losses.ToDictionary(l => l.Layer, l => l.Loss)
            : null;
        var terms = StyleTerms.Split(source.Options.StyleLayers, measured.Losses.ToDictionary(l => l.Layer, l => l.Loss), references);
        var runTerms = source.LastLoss is { } last ? StyleTerms.Split(source.Options.StyleLayers, last.StyleLayers) : [];

        return await Task.Run(() => measured.Losses.ToDictionary(m => m.Layer, m =>
        {
            var styleLayer = style.Layers.Single(s => s.Layer.Name == m.Layer);
            var styleGram = PooledGrid.OfGram(styleLayer.Gram, m.Channels);
            var resultGram = PooledGrid.OfGram(m.Gram, m.Channels);
            // One range for both Gram matrices, so equal colours mean equal values.
            var (lo1, hi1) = Heatmap.Range(styleGram.Cells, symmetric: false);
            var (lo2, hi2) = Heatmap.Range(resultGram.Cells, symmetric: false);
            var shared = (Math.Min(lo1, lo2), Math.Max(hi1, hi2));
            return new StyleMatch(m.Layer,
                Draw(styleGram, ColorScale.Viridis, shared),
                Draw(resultGram, ColorScale.Viridis, shared),
                Draw(PooledGrid.OfGram(m.GramDifference, m.Channels), ColorScale.BlueWhiteOrange),
                m.Loss, terms.FirstOrDefault(t => t.Layer == m.Layer), terms, runTerms, measured.Size);
        }));
    }

    sealed record StyleGrams(IReadOnlyList<LayerActivations> Layers);

    sealed record Measured(IReadOnlyList<LayerStyleLoss> Losses, Size Size);

    /// <summary>The style's Gram matrices of <paramref name="layers"/> (kept raw for the comparisons; its maps are dropped).</summary>
    Task<StyleGrams> StyleGramsAsync(ExploreSource source, string[] layers) =>
        Cache.GetOrAddAsync($"{source.Key}|style-grams|{string.Join(',', layers)}", async () =>
        {
            var (activations, _) = await InspectLayersAsync(source, PictureKind.Style, layers);
            return new StyleGrams([.. activations.Select(a => a with { Strongest = [] })]);
        }, g => g.Layers.Sum(l => (long)l.Gram.Length * sizeof(float)));

    async Task<(IReadOnlyList<LayerActivations> Layers, Size Size)> InspectLayersAsync(ExploreSource source, PictureKind picture, IReadOnlyList<string> layers)
    {
        using var image = await OpenAsync(source, picture);
        var normalization = source.Options.Normalization;
        return await RunOneAtATimeAsync(backbone =>
        {
            var size = SizeFor(source, picture, image, backbone.SizeMultiple);
            return (LayerInspector.Inspect(backbone, image, size, layers, normalization), size);
        }, source.Backbone);
    }

    async Task<Measured> CompareAsync(ExploreSource source, PictureKind picture, IReadOnlyList<LayerActivations> style)
    {
        using var image = await OpenAsync(source, picture);
        var normalization = source.Options.Normalization;
        return await RunOneAtATimeAsync(backbone =>
        {
            var size = SizeFor(source, picture, image, backbone.SizeMultiple);
            return new Measured(LayerInspector.CompareWithStyle(backbone, image, size, style, normalization), size);
        }, source.Backbone);
    }

    /// <summary>
    /// Where a picture goes into the network: the content and the result at the run's frame shape, with the longest side
    /// the run's own size or 256 px if smaller; the style at that size too, or with its own aspect ratio when the recipe
    /// keeps it (<see cref="StyleTransfer.StyleSize"/>), as the run measures it.
    /// </summary>
    static Size SizeFor(ExploreSource source, PictureKind picture, Image<Rgb24> image, int sizeMultiple)
    {
        var frame = LayerInspector.InspectionSize(source.FrameSize.Width, source.FrameSize.Height, sizeMultiple, source.Options.MaxSide);
        return picture == PictureKind.Style ? StyleTransfer.StyleSize(image.Width, image.Height, frame, source.Options, sizeMultiple) : frame;
    }

    async Task<Image<Rgb24>> OpenAsync(ExploreSource source, PictureKind picture) =>
        await source.Open(picture, CancellationToken.None)
        ?? throw new ExploreRefusedException(ExploreRefusal.PictureNotAvailable,
            source.IsRunning ? $"The run has no {picture.ToString().ToLowerInvariant()} picture yet." : $"This run's {picture.ToString().ToLowerInvariant()} picture was not kept.",
            picture);

    // One forward pass waits on the torch threads at a time, so a running job is held up by at most one between two iterations.
    async Task<T> RunOneAtATimeAsync<T>(Func<IBackbone, T> work, string backbone)
    {
        await _oneAtATime.WaitAsync();
        try { return await torch.RunAsync(work, backbone, CancellationToken.None); }
        finally { _oneAtATime.Release(); }
    }

    static HeatmapImage Draw(PooledGrid grid, ColorScale scale, (double, double)? range = null) =>
        HeatmapImage.From(Heatmap.Render(grid.Cells, grid.Width, grid.Height, scale, range), grid.Block);
}
