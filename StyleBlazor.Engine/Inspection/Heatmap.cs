using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Engine.Inspection;

/// <summary>
/// A matrix drawn as a PNG, one pixel per cell (stretch it with <c>image-rendering: pixelated</c>), with the values its
/// colour scale runs between, for the legend: the lowest and highest value on a sequential scale, −m and +m with
/// m = max |value| on a diverging one (so white is exactly 0).
/// </summary>
public sealed record Heatmap(byte[] Png, int Width, int Height, double Min, double Max, ColorScale Scale)
{
    /// <summary>
    /// Draws <paramref name="values"/> (row by row, <paramref name="width"/> × <paramref name="height"/>) in
    /// <paramref name="scale"/>, over <paramref name="range"/> when given (two maps that share one range compare by eye),
    /// else over their own (<see cref="Range"/>).
    /// </summary>
    public static Heatmap Render(ReadOnlySpan<float> values, int width, int height, ColorScale scale, (double Min, double Max)? range = null)
    {
        if (values.Length != width * height)
            throw new ArgumentException($"{values.Length} values do not make a {width} × {height} map.", nameof(values));
        var (min, max) = range ?? Range(values, scale.Diverging);
        double span = max - min;
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = scale.At(span > 0 ? (values[y * width + x] - min) / span : scale.Diverging ? 0.5 : 0);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return new Heatmap(png.ToArray(), width, height, min, max, scale);
    }

    /// <summary>Where <paramref name="t"/> (0–1 along the scale) falls between <see cref="Min"/> and <see cref="Max"/>.</summary>
    public double ValueAt(double t) => Min + (Max - Min) * t;

    /// <summary>The lowest and highest of <paramref name="values"/>, or ±max |value| when <paramref name="symmetric"/>; NaN is skipped.</summary>
    public static (double Min, double Max) Range(ReadOnlySpan<float> values, bool symmetric)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsNaN(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min > max) return (0, 0);
        if (!symmetric) return (min, max);
        double m = Math.Max(Math.Abs(min), Math.Abs(max));
        return (-m, m);
    }
}

/// <summary>
/// A grid of values shrunk for display by averaging blocks of <see cref="Block"/> × <see cref="Block"/> cells: a Gram
/// matrix of 512 channels becomes 64 × 64 cells of 8 × 8 channel pairs each, a 256 × 256 feature map 128 × 128 cells.
/// A grid small enough stays as it is. Blocks at the right and bottom edges may be partial; each cell is the mean of what
/// its block holds.
/// </summary>
/// <param name="Cells">Width × Height averages, row by row.</param>
public sealed record PooledGrid(float[] Cells, int Width, int Height, int Block)
{
    /// <summary>The displayed side of a Gram matrix: readable on a projector, fine enough to show structure.</summary>
    public const int GramSide = 64;

    /// <summary>Averages <paramref name="values"/> (<paramref name="width"/> × <paramref name="height"/>, row by row) to at most <paramref name="maxSide"/> a side.</summary>
    public static PooledGrid Of(float[] values, int width, int height, int maxSide)
    {
        if (values.Length != width * height)
            throw new ArgumentException($"{values.Length} values do not make a {width} × {height} grid.", nameof(values));
        int block = (Math.Max(width, height) + maxSide - 1) / maxSide;
        if (block <= 1) return new PooledGrid(values, width, height, 1);
        int w = (width + block - 1) / block, h = (height + block - 1) / block;
        var sums = new double[w * h];
        var counts = new int[w * h];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int cell = y / block * w + x / block;
                sums[cell] += values[y * width + x];
                counts[cell]++;
            }
        var cells = new float[w * h];
        for (int k = 0; k < cells.Length; k++) cells[k] = (float)(sums[k] / counts[k]);
        return new PooledGrid(cells, w, h, block);
    }

    /// <summary>An nC × nC Gram matrix (or a difference of two) at <see cref="GramSide"/> a side at most.</summary>
    public static PooledGrid OfGram(float[] gram, int channels) => Of(gram, channels, channels, GramSide);
}
