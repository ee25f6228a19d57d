using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;

namespace StyleBlazor.Tests.Engine.Imaging;

/// <summary>Uploads made in the test with ImageSharp's own encoders, and the intake's verdict on them.</summary>
internal static class Uploads
{
    public static readonly Rgba32 Red = new(255, 0, 0);
    public static readonly Rgba32 White = new(255, 255, 255);

    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static byte[] SolidPng(int width, int height, Rgba32? colour = null)
    {
        using var image = new Image<Rgba32>(width, height, colour ?? Red);
        return Encode(image, new PngEncoder());
    }

    public static byte[] NoisyJpeg(int width, int height)
    {
        using var image = new Image<Rgba32>(width, height);
        var random = new Random(7);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        return Encode(image, new JpegEncoder { Quality = 90 });
    }

    public static ImageIntake Intake(ImageIntakeOptions? options = null) => new(options ?? new ImageIntakeOptions());

    public static Task<Image<Rgb24>> Accept(byte[] upload, ImageIntakeOptions? options = null) =>
        Intake(options).DecodeAsync(upload);

    public static Task<ImageRejectedException> Refuse(byte[] upload, ImageIntakeOptions? options = null) =>
        Assert.ThrowsAsync<ImageRejectedException>(() => Intake(options).DecodeAsync(upload));
}
