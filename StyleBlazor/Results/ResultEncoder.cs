using SixLabors.ImageSharp;
using StyleBlazor.Engine.Imaging;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Results;

/// <summary>
/// Encodes what a result keeps. Every image is rebuilt from raw pixels into a new image before encoding, so nothing
/// of an upload's metadata (EXIF, GPS, ICC, XMP, IPTC, text chunks) can reach a stored file.
/// </summary>
public static class ResultEncoder
{
    public static byte[] Png(RgbFrame frame)
    {
        using var image = frame.ToImage();
        return Encode(image, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
    }

    public static byte[] Png(Image<Rgb24> upload)
    {
        using var clean = Clean(upload);
        return Encode(clean, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
    }

    public static byte[] Thumbnail(Image<Rgb24> source, int maxSide)
    {
        using var clean = Clean(source);
        clean.Mutate(x => x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(maxSide, maxSide) }));
        return Encode(clean, new JpegEncoder { Quality = 85 });
    }

    public static byte[] Thumbnail(RgbFrame frame, int maxSide)
    {
        using var image = frame.ToImage();
        return Thumbnail(image, maxSide);
    }

    /// <summary>One replay frame at the given size (coarse-to-fine runs report early frames at half size).</summary>
    public static byte[] Frame(RgbFrame frame, Size size, ProgressionFormat format, int quality)
    {
        using var image = frame.ToImage();
        if (image.Size() != size) image.Mutate(x => x.Resize(size));
        return Encode(image, format == ProgressionFormat.WebP
            ? new WebpEncoder { Quality = quality, FileFormat = WebpFileFormatType.Lossy }
            : new JpegEncoder { Quality = quality });
    }

    /// <summary>
    /// An endlessly looping GIF of the encoded frames, scaled to one size, the last one held longer so the loop reads as
    /// "and this is the result". Delays are in hundredths of a second.
    /// </summary>
    public static byte[] Gif(IReadOnlyList<byte[]> frames, Size size, int frameDelay, int finalFrameDelay)
    {
        using var gif = new Image<Rgba32>(size.Width, size.Height);
        gif.Metadata.GetGifMetadata().RepeatCount = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            // Our own JPEG/WebP bytes (a feed's frames, or a result's stored ones): decoding them is not decoding an upload.
            using var image = Image.Load<Rgba32>(KnownImageFormats.Frames, frames[i]);
            image.Mutate(x => x.Resize(size));
            var added = gif.Frames.AddFrame(image.Frames.RootFrame);
            added.Metadata.GetGifMetadata().FrameDelay = i == frames.Count - 1 ? finalFrameDelay : frameDelay;
        }
        gif.Frames.RemoveFrame(0); // the blank frame the image was created with
        return Encode(gif, new GifEncoder { ColorTableMode = GifColorTableMode.Local });
    }

    /// <summary>The size that fits <paramref name="width"/>×<paramref name="height"/> within a square of <paramref name="maxSide"/>.</summary>
    public static Size Fit(int width, int height, int maxSide)
    {
        if (width <= maxSide && height <= maxSide) return new Size(width, height);
        var scale = (double)maxSide / Math.Max(width, height);
        return new Size(Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    private static Image<Rgb24> Clean(Image<Rgb24> source)
    {
        var pixels = new Rgb24[source.Width * source.Height];
        source.CopyPixelDataTo(pixels);
        return Image.LoadPixelData<Rgb24>(pixels, source.Width, source.Height);
    }

    private static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
