using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Bench;

/// <summary>
/// Deterministic content and style pictures, computed with integer formulas that bench/peer.py repeats exactly, so the
/// app and the peer optimise the same pixels (and, with the same weights, report the same losses).
/// </summary>
static class SyntheticImages
{
    public static Image<Rgb24> Content(int w, int h) => Make(w, h, (x, y) => (
        x * 255 / Math.Max(1, w - 1),
        y * 255 / Math.Max(1, h - 1),
        (x * x + 3 * y * y + 7 * x * y) / 16 % 256));

    public static Image<Rgb24> Style(int w, int h) => Make(w, h, (x, y) => (
        (x / 16 + y / 16) % 2 * 200 + 28,
        (x * 3 + y * 5) % 256,
        x * y / 64 % 256));

    static Image<Rgb24> Make(int w, int h, Func<int, int, (int R, int G, int B)> pixel)
    {
        var image = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (r, g, b) = pixel(x, y);
                image[x, y] = new Rgb24((byte)r, (byte)g, (byte)b);
            }
        return image;
    }
}
