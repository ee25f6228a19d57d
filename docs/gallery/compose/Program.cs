using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Formats.Png;

// compose CONTENT STYLE RESULT OUT.png [HEIGHT]: the three images scaled to one height (default: the result's),
// side by side with a white gutter. convert IN OUT.png [MAXSIDE]: re-encode (e.g. a JPEG to PNG) for viewing.
// crop IN OUT.png X Y W H SCALE: an enlarged detail, to look for checkerboard and speckle.
// row OUT.png HEIGHT IMAGE...: several images side by side at one height (before | after).
if (args.Length >= 2 && args[0] == "convert")
{
    using var image = Image.Load<Rgb24>(args[1]);
    if (args.Length > 3) image.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(int.Parse(args[3])), Mode = ResizeMode.Max }));
    image.SaveAsPng(args[2]);
    return 0;
}
if (args.Length == 8 && args[0] == "crop")
{
    // crop IN OUT.png X Y W H SCALE: a detail, enlarged with nearest-neighbour so single pixels stay visible.
    using var image = Image.Load<Rgb24>(args[1]);
    var (x0, y0, w0, h0, k) = (int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6]), int.Parse(args[7]));
    image.Mutate(c => c.Crop(new Rectangle(x0, y0, w0, h0)).Resize(w0 * k, h0 * k, KnownResamplers.NearestNeighbor));
    image.SaveAsPng(args[2]);
    return 0;
}
if (args.Length >= 4 && args[0] == "row")
{
    // row OUT.png HEIGHT IMAGE...: any number of images scaled to one height, side by side (e.g. before | after).
    int rowHeight = int.Parse(args[2]);
    var images = args[3..].Select(path => Image.Load<Rgb24>(path)).ToList();
    var scaled = images.Select(i => i.Height == rowHeight ? i.Clone() : i.Clone(c => c.Resize(0, rowHeight, KnownResamplers.Lanczos3))).ToList();
    foreach (var i in images) i.Dispose();
    using var row = new Image<Rgb24>(scaled.Sum(p => p.Width) + 8 * (scaled.Count - 1), rowHeight, Color.White);
    int left = 0;
    foreach (var p in scaled)
    {
        row.Mutate(c => c.DrawImage(p, new Point(left, 0), 1f));
        left += p.Width + 8;
        p.Dispose();
    }
    row.SaveAsPng(args[1], new PngEncoder { CompressionLevel = PngCompressionLevel.BestCompression });
    Console.WriteLine($"{args[1]}: {row.Width}x{row.Height}");
    return 0;
}
if (args.Length is < 5 or > 6 || args[0] != "compose")
{
    Console.Error.WriteLine("usage: compose CONTENT STYLE RESULT OUT.png [HEIGHT] | row OUT.png HEIGHT IMAGE... | convert IN OUT.png [MAXSIDE] | crop IN OUT.png X Y W H SCALE");
    return 2;
}
using var content = Image.Load<Rgb24>(args[1]);
using var style = Image.Load<Rgb24>(args[2]);
using var result = Image.Load<Rgb24>(args[3]);
int height = args.Length > 5 ? int.Parse(args[5]) : result.Height;
const int gutter = 8;
// The result keeps its pixels when it sets the height (the default), so the panel is exactly what the CLI wrote.
var parts = new[] { content, style, result }.Select(i => i.Height == height ? i.Clone() : i.Clone(c => c.Resize(0, height, KnownResamplers.Lanczos3))).ToArray();
int width = parts.Sum(p => p.Width) + gutter * (parts.Length - 1);
using var canvas = new Image<Rgb24>(width, height, Color.White);
int x = 0;
foreach (var p in parts)
{
    canvas.Mutate(c => c.DrawImage(p, new Point(x, 0), 1f));
    x += p.Width + gutter;
    p.Dispose();
}
canvas.SaveAsPng(args[4], new PngEncoder { CompressionLevel = PngCompressionLevel.BestCompression });
Console.WriteLine($"{args[4]}: {width}x{height}");
return 0;
