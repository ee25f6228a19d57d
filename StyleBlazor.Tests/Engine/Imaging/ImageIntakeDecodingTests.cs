using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using static StyleBlazor.Tests.Engine.Imaging.Uploads;

namespace StyleBlazor.Tests.Engine.Imaging;

public class ImageIntakeDecodingTests
{
    private static readonly Rgb24 RedRgb = new(255, 0, 0);
    private static readonly Rgb24 WhiteRgb = new(255, 255, 255);

    [Theory]
    [InlineData(6, 14, 1)] // rotate 90° clockwise: the top-left marker goes top-right
    [InlineData(8, 1, 30)] // rotate 90° anticlockwise: the top-left marker goes bottom-left
    public async Task TurnsAJpegUprightByItsExifOrientation(ushort orientation, int markerX, int markerY)
    {
        var upload = MarkedUpload(orientation, new JpegEncoder { Quality = 100 });
        Assert.Equal(orientation, Image.Identify(upload).Metadata.ExifProfile!.GetValue(ExifTag.Orientation)!.Value);

        using var image = await Accept(upload);

        Assert.Equal((16, 32), (image.Width, image.Height));
        AssertNear(RedRgb, image[markerX, markerY]);
        AssertNear(WhiteRgb, image[15 - markerX, 31 - markerY]);
        Assert.Null(image.Metadata.ExifProfile);
    }

    [Fact]
    public async Task TurnsAPngUprightByItsExifChunk()
    {
        using var image = await Accept(MarkedUpload(6, new PngEncoder()));

        Assert.Equal((16, 32), (image.Width, image.Height));
        Assert.Equal(RedRgb, image[14, 1]);
        Assert.Equal(WhiteRgb, image[1, 1]);
    }

    [Fact]
    public async Task RefusesBySidesAsShownAfterOrientation()
    {
        using var tall = new Image<Rgba32>(16, 160, Red); // 10:1 as stored
        var upload = Encode(tall, new PngEncoder());

        var refusal = await Refuse(upload);

        Assert.Equal((16, 160), (refusal.Width, refusal.Height));
    }

    [Fact]
    public async Task StripsGpsAndAllOtherMetadataFromAJpeg()
    {
        using var source = new Image<Rgba32>(32, 32, Red);
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.GPSLatitudeRef, "N");
        source.Metadata.ExifProfile.SetValue(ExifTag.GPSLatitude, [new Rational(55, 1), new Rational(45, 1), new Rational(0, 1)]);
        source.Metadata.ExifProfile.SetValue(ExifTag.Make, "Camera");
        var upload = Encode(source, new JpegEncoder());
        Assert.NotNull(Image.Identify(upload).Metadata.ExifProfile!.GetValue(ExifTag.GPSLatitude));

        using var image = await Accept(upload);

        Assert.Null(image.Metadata.ExifProfile);
        Assert.Null(image.Metadata.IccProfile);
        Assert.Null(image.Metadata.XmpProfile);
        Assert.Null(image.Metadata.IptcProfile);
        AssertNear(RedRgb, image[16, 16]);
    }

    [Fact]
    public async Task ConvertsAnAdobeCmykJpegToRgb()
    {
        // Inverted CMYK as Photoshop stores it: C and K at 255 mean no cyan, no black; M and Y at 0 mean full ink.
        var upload = CraftedJpeg.AdobeCmyk(16, 16, c: 255, m: 0, y: 0, k: 255);
        Assert.Equal(JpegColorType.Cmyk, Image.Identify(upload).Metadata.GetJpegMetadata().ColorType);

        using var image = await Accept(upload);

        Assert.Equal((16, 16), (image.Width, image.Height));
        AssertNear(RedRgb, image[0, 0]);
        AssertNear(RedRgb, image[15, 15]);
    }

    [Fact]
    public async Task DecodesAProgressiveJpeg()
    {
        // Y 76, Cb 85, Cr 255 is red in JFIF's YCbCr.
        var upload = CraftedJpeg.ProgressiveYCbCr(16, 16, luma: 76, cb: 85, cr: 255);
        Assert.Contains((byte)0xC2, upload.Take(200)); // SOF2

        using var image = await Accept(upload);

        AssertNear(RedRgb, image[0, 0]);
        AssertNear(RedRgb, image[15, 15]);
    }

    [Fact]
    public async Task ConvertsA16BitPngTo8Bits()
    {
        using var source = new Image<Rgb48>(16, 16, new Rgb48(65535, 0, 32896));
        var upload = Encode(source, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        Assert.Equal(PngBitDepth.Bit16, Image.Identify(upload).Metadata.GetPngMetadata().BitDepth);

        using var image = await Accept(upload);

        Assert.Equal(new Rgb24(255, 0, 128), image[7, 7]);
    }

    [Fact]
    public async Task ConvertsAPalettePngToRgb()
    {
        using var source = new Image<Rgba32>(16, 16, Red);
        source[15, 15] = new Rgba32(0, 0, 255);
        var upload = Encode(source, new PngEncoder { ColorType = PngColorType.Palette });
        Assert.Equal(PngColorType.Palette, Image.Identify(upload).Metadata.GetPngMetadata().ColorType);

        using var image = await Accept(upload);

        Assert.Equal(RedRgb, image[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 255), image[15, 15]);
    }

    [Fact]
    public async Task ConvertsAGrayscalePngToEqualChannels()
    {
        using var source = new Image<L8>(16, 16, new L8(100));
        var upload = Encode(source, new PngEncoder { ColorType = PngColorType.Grayscale });
        Assert.Equal(PngColorType.Grayscale, Image.Identify(upload).Metadata.GetPngMetadata().ColorType);

        using var image = await Accept(upload);

        Assert.Equal(new Rgb24(100, 100, 100), image[8, 8]);
    }

    [Fact]
    public async Task ConvertsAGrayscaleJpegToEqualChannels()
    {
        using var source = new Image<L8>(16, 16, new L8(100));
        var upload = Encode(source, new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 100 });

        using var image = await Accept(upload);

        var pixel = image[8, 8];
        Assert.Equal((pixel.R, pixel.R), (pixel.G, pixel.B));
        Assert.InRange(pixel.R, 99, 101);
    }

    [Fact]
    public async Task FlattensAlphaOntoWhite()
    {
        using var source = new Image<Rgba32>(16, 16, new Rgba32(255, 0, 0, 0)); // invisible red
        source[1, 0] = new Rgba32(0, 0, 255, 255);
        source[2, 0] = new Rgba32(0, 0, 0, 128);

        using var image = await Accept(Encode(source, new PngEncoder()));

        Assert.Equal(WhiteRgb, image[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 255), image[1, 0]);
        Assert.Equal(new Rgb24(127, 127, 127), image[2, 0]); // 255 × (1 − 128/255), rounded
    }

    [Fact]
    public async Task DecodesTheFirstFrameOfAnAnimatedWebp()
    {
        var upload = CraftedWebp.Animation(16, Red, new Rgba32(0, 0, 255));
        Assert.ThrowsAny<Exception>(() => Image.Load<Rgba32>(upload)); // ImageSharp 2.1.13 alone refuses it

        using var image = await Accept(upload);

        Assert.Equal((16, 16), (image.Width, image.Height));
        Assert.Equal(RedRgb, image[0, 0]);
        Assert.Equal(RedRgb, image[15, 15]);
    }

    [Fact]
    public async Task DecodesOnlyTheFirstOf10000GifFrames()
    {
        // Every frame would be a 1000 × 1000 canvas (4 MB): decoding all 10,000 would need 40 GB.
        var upload = CraftedGif.Animation(1000, 1000, frameSide: 16, frames: 10_000);

        using var image = await Accept(upload);

        Assert.Equal((1000, 1000), (image.Width, image.Height));
        Assert.Equal(RedRgb, image[0, 0]);
        Assert.Equal(RedRgb, image[15, 15]);
        // ImageSharp 2.1.13 fills canvas the first frame leaves uncovered with opaque black.
        Assert.Equal(new Rgb24(0, 0, 0), image[16, 16]);
    }

    [Fact]
    public async Task IgnoresAPngZtxtChunkThatInflatesToAGigabyte()
    {
        var text = CraftedPng.ZLibOfZeros(1L << 30);
        var bomb = CraftedPng.Chunk("zTXt", [.. "Comment\0\0"u8, .. text]);
        var upload = CraftedPng.WithChunkAfterHeader(SolidPng(32, 32), bomb);
        Assert.InRange(upload.Length, 1_000_000, 10 * 1024 * 1024);

        using var image = await Accept(upload);

        Assert.Equal((32, 32), (image.Width, image.Height));
        Assert.Equal(RedRgb, image[31, 31]);
        Assert.Null(image.Metadata.ExifProfile);
    }

    [Fact]
    public async Task DecodesAJpegHtmlPolyglotIntoAFreshImageWithoutTheHtml()
    {
        using var source = new Image<Rgba32>(32, 32, Red);
        var html = "<html><body><script>alert(document.cookie)</script></body></html>"u8.ToArray();
        var upload = CraftedPng.Concat(Encode(source, new JpegEncoder()), html);

        using var image = await Accept(upload);
        var stored = Encode(image, new PngEncoder());

        AssertNear(RedRgb, image[16, 16]);
        Assert.DoesNotContain("<script", Encoding.Latin1.GetString(stored), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AcceptsAnUploadStream()
    {
        using var upload = new MemoryStream(SolidPng(20, 18));

        using var image = await Intake().DecodeAsync(upload);

        Assert.Equal((20, 18), (image.Width, image.Height));
        Assert.Equal(RedRgb, image[19, 17]);
    }

    /// <summary>32×16 white with a red 4×4 marker at the top left, stored with the given orientation.</summary>
    private static byte[] MarkedUpload(ushort orientation, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var source = new Image<Rgba32>(32, 16, White);
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                source[x, y] = Red;
            }
        }

        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        return Encode(source, encoder);
    }

    private static void AssertNear(Rgb24 expected, Rgb24 actual, int tolerance = 6)
    {
        Assert.True(
            Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance
                && Math.Abs(expected.B - actual.B) <= tolerance,
            $"Expected {expected} ± {tolerance}, got {actual}.");
    }
}
