using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Engine.Inspection;

/// <summary>
/// A colour scale for heatmaps, as evenly spaced colour stops blended linearly. Both scales here stay readable for
/// colour-blind viewers and on a washed-out projector: their lightness changes steadily along the scale.
/// </summary>
public sealed class ColorScale
{
    readonly Rgb24[] _stops;

    ColorScale(string name, bool diverging, params string[] hexStops)
    {
        Name = name;
        Diverging = diverging;
        _stops = [.. hexStops.Select(h => Color.ParseHex(h).ToPixel<Rgb24>())];
    }

    /// <summary>
    /// viridis (matplotlib's default; perceptually uniform, dark blue to yellow), at R's <c>viridis(10)</c> stops.
    /// For values from low to high: feature maps and Gram matrices.
    /// </summary>
    public static ColorScale Viridis { get; } = new("viridis", diverging: false,
        "#440154", "#482878", "#3E4A89", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6DCD59", "#B4DE2C", "#FDE725");

    /// <summary>
    /// Blue – white – orange (ColorBrewer's RdBu blues and PuOr oranges, both colour-blind safe): for signed values
    /// around 0, such as a difference of two Gram matrices. Blue is below 0, white 0, orange above.
    /// </summary>
    public static ColorScale BlueWhiteOrange { get; } = new("blue-white-orange", diverging: true,
        "#2166AC", "#67A9CF", "#D1E5F0", "#F7F7F7", "#FEE0B6", "#F1A340", "#B35806");

    public string Name { get; }

    /// <summary>True for a scale centred on 0 (its middle colour means 0).</summary>
    public bool Diverging { get; }

    /// <summary>The colour at <paramref name="t"/> from 0 (the scale's start) to 1 (its end); clamped, NaN is the middle.</summary>
    public Rgb24 At(double t)
    {
        if (double.IsNaN(t)) t = 0.5;
        double x = Math.Clamp(t, 0, 1) * (_stops.Length - 1);
        int i = Math.Min((int)x, _stops.Length - 2);
        double f = x - i;
        var (a, b) = (_stops[i], _stops[i + 1]);
        static byte Mix(byte p, byte q, double f) => (byte)Math.Round(p + (q - p) * f);
        return new Rgb24(Mix(a.R, b.R, f), Mix(a.G, b.G, f), Mix(a.B, b.B, f));
    }

    /// <summary>The scale from start to end as a PNG strip <paramref name="width"/> × 1 px, for a legend (stretch it in CSS).</summary>
    public byte[] LegendPng(int width = 256)
    {
        using var strip = new Image<Rgb24>(width, 1);
        for (int x = 0; x < width; x++) strip[x, 0] = At(width == 1 ? 0.5 : x / (double)(width - 1));
        using var png = new MemoryStream();
        strip.SaveAsPng(png);
        return png.ToArray();
    }
}
