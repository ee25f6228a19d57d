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
    /// <summary>Draws <paramref name="values"/> (row by row, <paramref name="width"/> × <paramref name="height"/>) in <paramref name="scale"/>.</summary>
    public static Heatmap Render(ReadOnlySpan<float> values, int width, int height, ColorScale scale)
    {
        if (values.Length != width * height)
            throw new ArgumentException($"{values.Length} values do not make a {width} × {height} map.", nameof(values));
        var (min, max) = Range(values, scale.Diverging);
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

    static (double Min, double Max) Range(ReadOnlySpan<float> values, bool symmetric)
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
/// A square matrix shrunk for display by averaging blocks of <see cref="Block"/> × <see cref="Block"/> cells (a Gram
/// matrix of 512 channels becomes 64 × 64 cells of 8 × 8 channel pairs each); a matrix small enough stays as it is.
/// </summary>
/// <param name="Cells">Side × Side averages, row by row.</param>
public sealed record PooledMatrix(float[] Cells, int Side, int Block)
{
    /// <summary>The default displayed side: readable on a projector, fine enough to show structure.</summary>
    public const int DisplaySide = 64;

    /// <summary>Averages <paramref name="matrix"/> (n × n, row by row) into at most <paramref name="maxSide"/>² cells.</summary>
    public static PooledMatrix Of(float[] matrix, int n, int maxSide = DisplaySide)
    {
        if (matrix.Length != n * n) throw new ArgumentException($"{matrix.Length} values do not make a {n} × {n} matrix.", nameof(matrix));
        int block = (n + maxSide - 1) / maxSide;
        if (block <= 1) return new PooledMatrix(matrix, n, 1);
        int side = (n + block - 1) / block;
        var sums = new double[side * side];
        var counts = new int[side * side];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                int cell = i / block * side + j / block;
                sums[cell] += matrix[i * n + j];
                counts[cell]++;
            }
        var cells = new float[side * side];
        for (int k = 0; k < cells.Length; k++) cells[k] = (float)(sums[k] / counts[k]);
        return new PooledMatrix(cells, side, block);
    }
}
