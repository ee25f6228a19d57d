using SixLabors.ImageSharp;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Inspection;

namespace StyleBlazor.Explore;

/// <summary>A heatmap ready for an &lt;img&gt;: a PNG data URL with the values its colour scale runs between.</summary>
/// <param name="Block">Each pixel averages Block × Block cells of the matrix (1: none).</param>
public sealed record HeatmapImage(string DataUrl, int Width, int Height, double Min, double Max, int Block, bool Diverging)
{
    public static HeatmapImage From(Heatmap heatmap, int block) =>
        new(DataUrlOf(heatmap.Png), heatmap.Width, heatmap.Height, heatmap.Min, heatmap.Max, block,
            heatmap.Scale.Diverging);

    public long Bytes => DataUrl.Length * sizeof(char);

    static readonly string Sequential = DataUrlOf(ColorScale.Viridis.LegendPng());
    static readonly string Signed = DataUrlOf(ColorScale.BlueWhiteOrange.LegendPng());

    /// <summary>The colour scale as a strip for a legend: viridis, or blue – white – orange for signed values.</summary>
    public static string LegendDataUrl(bool diverging) => diverging ? Signed : Sequential;

    static string DataUrlOf(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}

/// <summary>One of a layer's strongest feature maps, as a viridis heatmap from its own lowest to its highest value.</summary>
public sealed record MapTile(int Channel, double Mean, HeatmapImage Image);

/// <summary>What one layer sees in one picture: its strongest maps and its Gram matrix (3).</summary>
/// <param name="InputSize">The size the picture went into the network at.</param>
public sealed record LayerView(LayerInfo Layer, int Channels, int Width, int Height, Size InputSize, IReadOnlyList<MapTile> Maps, HeatmapImage Gram)
{
    public long Bytes => Gram.Bytes + Maps.Sum(m => m.Image.Bytes);
}

/// <summary>
/// One layer of a run's result against its style: G(style) and G(result) on one colour range, their difference, and
/// J_S^(l) of (3) with its term and share in (4). <see cref="Term"/> is null for a layer that is not one of the run's
/// style layers (λ = 0).
/// </summary>
/// <param name="Terms">Every style layer's term of (4), measured like this one; their shares add up to 1.</param>
/// <param name="RunTerms">The same split of the run's own newest J_S, at its own size; empty before its first iteration.</param>
/// <param name="ResultSize">The size the result went into the network at.</param>
public sealed record StyleMatch(
    string Layer,
    HeatmapImage StyleGram,
    HeatmapImage ResultGram,
    HeatmapImage Difference,
    double Loss,
    StyleTerm? Term,
    IReadOnlyList<StyleTerm> Terms,
    IReadOnlyList<StyleTerm> RunTerms,
    Size ResultSize)
{
    public long Bytes => StyleGram.Bytes + ResultGram.Bytes + Difference.Bytes;
}
