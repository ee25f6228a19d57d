using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// The only ImageSharp configurations this code decodes with: JPEG, PNG, WebP and GIF, metadata ignored. ImageSharp's
/// default configuration also registers TIFF (whose CCITT encoders have advisories unfixed in 2.x) and reads ICC profiles
/// (whose CLUT parsing has one too); nothing here ever uses it, and a test keeps it that way (Directory.Build.props
/// lists the advisories with this reachability note).
/// </summary>
public static class KnownImageFormats
{
    /// <summary>For untrusted uploads (<see cref="ImageIntake"/>): no single buffer larger than <paramref name="allocationLimitMegabytes"/>.</summary>
    public static Configuration Create(int allocationLimitMegabytes)
    {
        var configuration = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new WebpConfigurationModule(),
            new GifConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = allocationLimitMegabytes,
            }),
        };

        // IgnoreMetadata keeps ICC, EXIF, XMP and text chunks unparsed; orientation is read separately.
        var formats = configuration.ImageFormatsManager;
        formats.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = true });
        formats.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        formats.SetDecoder(WebpFormat.Instance, new WebpDecoder { IgnoreMetadata = true });
        formats.SetDecoder(GifFormat.Instance, new GifDecoder
        {
            IgnoreMetadata = true,
            DecodingMode = FrameDecodingMode.First,
        });
        return configuration;
    }

    /// <summary>For the app's own encoded pictures read back: frames (for a GIF or a PNG download), stored results, queued inputs.</summary>
    public static Configuration Frames { get; } = Create(allocationLimitMegabytes: 256);
}
