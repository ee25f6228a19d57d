using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace StyleBlazor.Studio;

/// <summary>A picture the app will not take, with a message fit to show the user.</summary>
public sealed class ImageRejectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Turns uploaded bytes into pixels. This is the single seam where uploads are decoded: the hardened intake being
/// written in StyleBlazor.Engine/Imaging replaces the body of <see cref="DecodeAsync"/> and nothing else.
/// </summary>
public static class StudioImageDecoder
{
    /// <summary>Largest upload accepted, in bytes.</summary>
    public const long MaxBytes = 20 * 1024 * 1024;

    /// <summary>Largest decoded picture accepted (pixels), so a tiny file cannot expand into gigabytes.</summary>
    public const long MaxPixels = 40_000_000;

    const int PreviewSide = 480;

    public static async Task<StudioImage> DecodeAsync(Stream source, string name, string? attribution = null, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes) throw new ImageRejectedException($"The file is larger than {MaxBytes / (1024 * 1024)} MB.");
            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        Image<Rgb24> image;
        try
        {
            var info = Image.Identify(buffer) ?? throw new ImageRejectedException("This is not a picture the app can read (PNG, JPEG, WebP, GIF or BMP).");
            if ((long)info.Width * info.Height > MaxPixels)
                throw new ImageRejectedException($"The picture is {info.Width}×{info.Height} px; at most {MaxPixels / 1_000_000} megapixels are accepted.");
            buffer.Position = 0;
            image = Image.Load<Rgb24>(buffer);
        }
        catch (ImageRejectedException) { throw; }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            throw new ImageRejectedException("This is not a picture the app can read (PNG, JPEG, WebP, GIF or BMP).", ex);
        }

        image.Mutate(x => x.AutoOrient());
        image.Metadata.ExifProfile = null;
        return new StudioImage(Path.GetFileName(name), image, Preview(image), attribution);
    }

    static string Preview(Image<Rgb24> image)
    {
        using var small = image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(PreviewSide, PreviewSide), Mode = ResizeMode.Max }));
        using var jpeg = new MemoryStream();
        small.Save(jpeg, new JpegEncoder { Quality = 82 });
        return "data:image/jpeg;base64," + Convert.ToBase64String(jpeg.ToArray());
    }
}
