using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Imaging;
using static StyleBlazor.Tests.Engine.Imaging.Uploads;

namespace StyleBlazor.Tests.Engine.Imaging;

public class ImageIntakeRefusalTests
{
    private const long TenMegabytes = 10 * 1024 * 1024;

    [Fact]
    public async Task RefusesAFileOneByteOverTheLimitWithItsSizeAndTheLimit()
    {
        var upload = new byte[TenMegabytes + 1];
        SolidPng(16, 16).CopyTo(upload, 0);

        var refusal = await Refuse(upload);

        Assert.Equal(ImageRejection.TooManyBytes, refusal.Code);
        Assert.Equal(TenMegabytes + 1, refusal.ByteCount);
        Assert.Equal(TenMegabytes, refusal.Limit);
        Assert.Equal("This file is 10.1 MB; the limit is 10 MB.", refusal.Message);
    }

    [Fact]
    public async Task RefusesAnOverSizeSeekableStreamWithoutReadingIt()
    {
        using var upload = new MemoryStream(new byte[TenMegabytes + 1]);

        var refusal = await Assert.ThrowsAsync<ImageRejectedException>(() => Intake().DecodeAsync(upload));

        Assert.Equal(ImageRejection.TooManyBytes, refusal.Code);
        Assert.Equal(TenMegabytes + 1, refusal.ByteCount);
        Assert.Equal(0, upload.Position);
    }

    [Fact]
    public async Task ReadsAnEndlessStreamOnlyToOneBytePastTheLimit()
    {
        var upload = new EndlessStream();

        var refusal = await Assert.ThrowsAsync<ImageRejectedException>(() => Intake().DecodeAsync(upload));

        Assert.Equal(ImageRejection.TooManyBytes, refusal.Code);
        Assert.Null(refusal.ByteCount);
        Assert.Equal(TenMegabytes + 1, upload.BytesRead);
        Assert.Equal("This file is over the limit of 10 MB.", refusal.Message);
    }

    [Fact]
    public async Task RefusesAnEmptyFile()
    {
        var refusal = await Refuse([]);

        Assert.Equal(ImageRejection.Empty, refusal.Code);
        Assert.Equal("This file is empty.", refusal.Message);
    }

    [Fact]
    public async Task RefusesAnEmptyStream()
    {
        var refusal = await Assert.ThrowsAsync<ImageRejectedException>(() => Intake().DecodeAsync(new MemoryStream()));

        Assert.Equal(ImageRejection.Empty, refusal.Code);
    }

    [Theory]
    [InlineData("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>", "HTML", "This file is an HTML page; use JPEG, PNG or WebP.")]
    [InlineData("Shopping list:\n- eggs\n- milk\n", "Text", "This file is plain text; use JPEG, PNG or WebP.")]
    [InlineData("MZ\u0090\0\u0003\0\0\0This program cannot be run in DOS mode.", "EXE", "This file is a Windows program; use JPEG, PNG or WebP.")]
    public async Task RefusesANonImageRenamedJpgAndNamesWhatItIs(string content, string formatName, string message)
    {
        var refusal = await Refuse(Encoding.Latin1.GetBytes(content));

        Assert.Equal(ImageRejection.UnsupportedFormat, refusal.Code);
        Assert.Equal(formatName, refusal.FormatName);
        Assert.Equal(message, refusal.Message);
    }

    [Fact]
    public async Task RefusesARealTiffAndNamesIt()
    {
        using var image = new Image<Rgba32>(32, 32, Red);

        var refusal = await Refuse(Encode(image, new TiffEncoder()));

        Assert.Equal(ImageRejection.UnsupportedFormat, refusal.Code);
        Assert.Equal("TIFF", refusal.FormatName);
        Assert.Equal("This file is a TIFF; use JPEG, PNG or WebP.", refusal.Message);
    }

    [Fact]
    public async Task RefusesARealBmpAndNamesIt()
    {
        using var image = new Image<Rgba32>(32, 32, Red);

        var refusal = await Refuse(Encode(image, new BmpEncoder()));

        Assert.Equal(ImageRejection.UnsupportedFormat, refusal.Code);
        Assert.Equal("BMP", refusal.FormatName);
    }

    [Theory]
    [InlineData("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><script>alert(1)</script></svg>", "SVG", "an SVG")]
    [InlineData("\0\0\0\u0018ftypheic\0\0\0\0mif1heic", "HEIC", "an HEIC")]
    [InlineData("\0\0\0\u001cftypavif\0\0\0\0avifmif1miaf", "AVIF", "an AVIF")]
    [InlineData("II*\0\u0008\0\0\0", "TIFF", "a TIFF")]
    [InlineData("MM\0*\0\0\0\u0008", "TIFF", "a TIFF")]
    [InlineData("BM\u0036\u0004\0\0\0\0\0\0\u0036\0\0\0", "BMP", "a BMP")]
    [InlineData("%PDF-1.7\n", "PDF", "a PDF")]
    public async Task RefusesOtherFormatsByTheirMagicBytesAndNamesThem(string content, string formatName, string description)
    {
        var refusal = await Refuse(Encoding.Latin1.GetBytes(content));

        Assert.Equal(ImageRejection.UnsupportedFormat, refusal.Code);
        Assert.Equal(formatName, refusal.FormatName);
        Assert.Equal($"This file is {description}; use JPEG, PNG or WebP.", refusal.Message);
    }

    [Fact]
    public async Task RefusesUnrecognisedBinaryWithoutNamingIt()
    {
        var refusal = await Refuse([0x00, 0x13, 0x37, 0xC0, 0xDE, 0x00, 0x01, 0x02, 0x03]);

        Assert.Equal(ImageRejection.UnsupportedFormat, refusal.Code);
        Assert.Null(refusal.FormatName);
        Assert.Equal("This file is not an image format we accept; use JPEG, PNG or WebP.", refusal.Message);
    }

    [Fact]
    public async Task RefusesASmallPngWhoseHeaderClaims20000By20000()
    {
        var upload = CraftedPng.ClaimingSize(20000, 20000);

        var refusal = await Refuse(upload);

        Assert.True(upload.Length < 100);
        Assert.Equal(ImageRejection.TooLarge, refusal.Code);
        Assert.Equal((20000, 20000), (refusal.Width, refusal.Height));
        Assert.Equal(8192, refusal.Limit);
        Assert.Equal("This image is 20000×20000; the limit is 8192 px a side.", refusal.Message);
    }

    [Fact]
    public async Task RefusesAOneBy8000000PngHeader()
    {
        var refusal = await Refuse(CraftedPng.ClaimingSize(1, 8_000_000));

        Assert.Equal(ImageRejection.TooLarge, refusal.Code);
        Assert.Equal((1, 8_000_000), (refusal.Width, refusal.Height));
    }

    [Fact]
    public async Task RefusesAPngUnderTheSideLimitButOver40Megapixels()
    {
        var refusal = await Refuse(CraftedPng.ClaimingSize(8000, 6000));

        Assert.Equal(ImageRejection.TooManyPixels, refusal.Code);
        Assert.Equal((8000, 6000), (refusal.Width, refusal.Height));
        Assert.Equal(40, refusal.Limit);
        Assert.Equal("This image is 8000×6000 (48 megapixels); the limit is 40 megapixels.", refusal.Message);
    }

    [Fact]
    public async Task Accepts16By16()
    {
        using var image = await Accept(SolidPng(16, 16));

        Assert.Equal((16, 16), (image.Width, image.Height));
    }

    [Fact]
    public async Task Refuses15By15()
    {
        var refusal = await Refuse(SolidPng(15, 15));

        Assert.Equal(ImageRejection.TooSmall, refusal.Code);
        Assert.Equal((15, 15), (refusal.Width, refusal.Height));
        Assert.Equal(16, refusal.Limit);
        Assert.Equal("This image is 15×15; it must be at least 16 px a side.", refusal.Message);
    }

    [Fact]
    public async Task AcceptsEightToOne()
    {
        using var image = await Accept(SolidPng(128, 16));

        Assert.Equal((128, 16), (image.Width, image.Height));
    }

    [Theory]
    [InlineData(144, 16)]
    [InlineData(16, 144)]
    public async Task RefusesNineToOneEitherWay(int width, int height)
    {
        var refusal = await Refuse(SolidPng(width, height));

        Assert.Equal(ImageRejection.AspectRatio, refusal.Code);
        Assert.Equal((width, height), (refusal.Width, refusal.Height));
        Assert.Equal(8, refusal.Limit);
    }

    [Fact]
    public async Task RefusesATruncatedJpegThatImageSharpAloneWouldDecodeAsPartlyBlank()
    {
        var whole = NoisyJpeg(64, 64);
        var truncated = whole[..(whole.Length / 2)];
        using (var lenient = Image.Load<Rgba32>(truncated))
        {
            Assert.Equal(64, lenient.Width); // why the intake checks the container itself
        }

        var refusal = await Refuse(truncated);

        Assert.Equal(ImageRejection.Corrupt, refusal.Code);
        Assert.Equal("JPEG", refusal.FormatName);
        Assert.Equal("This JPEG file is damaged, incomplete, or uses a feature we cannot read.", refusal.Message);
        using var accepted = await Accept(whole);
    }

    [Fact]
    public async Task RefusesATruncatedPng()
    {
        using var image = NoisyImage(64, 64);
        var whole = Encode(image, new SixLabors.ImageSharp.Formats.Png.PngEncoder());

        var refusal = await Refuse(whole[..(whole.Length - 20)]);

        Assert.Equal(ImageRejection.Corrupt, refusal.Code);
        Assert.Equal("PNG", refusal.FormatName);
    }

    [Fact]
    public async Task RefusesAGifWithAnLzwMinimumCodeSizeOver11()
    {
        var upload = CraftedGif.Animation(16, 16, frameSide: 16, frames: 1, firstFrameLzwMinimumCodeSize: 12);

        var refusal = await Refuse(upload);

        Assert.Equal(ImageRejection.Corrupt, refusal.Code);
        Assert.Equal("GIF", refusal.FormatName);
    }

    [Fact]
    public async Task RefusesADecodeThatOutlastsTheTimeLimit()
    {
        // Noise, so the decode takes far longer than the 1 ms limit's timer can be late on a busy machine (a solid
        // 2000² PNG decoded before the timer fired when the suite ran on two loaded cores).
        var upload = NoisyJpeg(3000, 3000);

        var refusal = await Refuse(upload, new ImageIntakeOptions { DecodeTimeout = TimeSpan.FromMilliseconds(1) });

        Assert.Equal(ImageRejection.DecodeTimeout, refusal.Code);
        Assert.Equal(0.001, refusal.Limit);
    }

    [Fact]
    public async Task RefusesAnImageNeedingABufferOverTheAllocationLimit()
    {
        // 2000 × 2000 RGBA is 16 MB, over a 4 MB limit, though within every header limit.
        var refusal = await Refuse(SolidPng(2000, 2000), new ImageIntakeOptions { AllocationLimitMegabytes = 4 });

        Assert.Equal(ImageRejection.TooMuchMemory, refusal.Code);
        Assert.Equal(4, refusal.Limit);
    }

    [Fact]
    public async Task LetsTheCallerCancel()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Intake().DecodeAsync(SolidPng(16, 16), cancelled.Token));
    }

    private static Image<Rgba32> NoisyImage(int width, int height)
    {
        var image = new Image<Rgba32>(width, height);
        var random = new Random(3);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var pixel in rows.GetRowSpan(y))
                {
                    pixel = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        return image;
    }

    /// <summary>A non-seekable upload that never ends, counting what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            BytesRead += count;
            Array.Fill(buffer, (byte)0x41, offset, count);
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
