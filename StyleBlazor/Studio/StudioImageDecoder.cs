using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using StyleBlazor.Engine.Imaging;

namespace StyleBlazor.Studio;

/// <summary>
/// Turns a picked file or sample into a <see cref="StudioImage"/>: the bytes go through the engine's hardened
/// <see cref="ImageIntake"/> (the same limits as the hub), the name is made fit to show, and a small preview is made.
/// A refusal is an <see cref="ImageRejectedException"/>; <see cref="ImageRejectionText"/> translates it.
/// </summary>
public sealed class StudioImageDecoder(ImageIntake intake, IOptions<ImageIntakeOptions> options)
{
    const int PreviewSide = 480;

    /// <summary>Largest upload accepted, in bytes (ImageIntake:MaxBytes).</summary>
    public long MaxBytes => options.Value.MaxBytes;

    /// <exception cref="ImageRejectedException">The picture was refused; nothing was kept.</exception>
    public async Task<StudioImage> DecodeAsync(Stream source, string name, string? attribution = null, CancellationToken cancellationToken = default)
    {
        var image = await intake.DecodeAsync(source, cancellationToken);
        try
        {
            // Off the circuit's thread, like the decoding: a resize of a 40-megapixel picture takes a while.
            var preview = await Task.Run(() => Preview(image), cancellationToken);
            return new StudioImage(SafeFileName.ForDisplay(name), image, preview, attribution);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    static string Preview(Image<Rgb24> image)
    {
        using var small = image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(PreviewSide, PreviewSide), Mode = ResizeMode.Max }));
        using var jpeg = new MemoryStream();
        small.Save(jpeg, new JpegEncoder { Quality = 82 });
        return "data:image/jpeg;base64," + Convert.ToBase64String(jpeg.ToArray());
    }
}
