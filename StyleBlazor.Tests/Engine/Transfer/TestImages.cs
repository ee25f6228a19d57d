using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Tests.Engine.Transfer;

static class TestImages
{
    /// <summary>Red ramps left to right, green top to bottom, blue is seeded noise.</summary>
    public static Image<Rgb24> Gradient(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new Rgb24((byte)(x * 255 / w), (byte)(y * 255 / h), (byte)rng.Next(256));
        return img;
    }
}
