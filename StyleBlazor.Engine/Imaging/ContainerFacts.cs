using System.Buffers.Binary;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// What the intake needs from a file's container before decoding: whether the part it decodes is
/// complete and well formed, the EXIF orientation, and an animated WebP's first frame. Read by
/// walking segment, chunk and block lengths only, because the decoders run with metadata ignored
/// (so ICC profiles are never parsed), ImageSharp 2.1 quietly decodes truncated JPEGs and PNGs as
/// partly blank and GIFs with impossible LZW code sizes as noise, and it refuses animated WebP.
/// </summary>
internal sealed record ContainerFacts(bool IsComplete, ushort Orientation, WebpAnimation? Animation = null)
{
    private const ushort Upright = 1;

    // The GIF specification's range, for 2- to 256-colour images; decoders misread anything else.
    private const byte MinLzwCodeSize = 2;
    private const byte MaxLzwCodeSize = 8;
    private static readonly byte[] ExifPrefix = "Exif\0\0"u8.ToArray();

    public static ContainerFacts Read(IImageFormat format, ReadOnlySpan<byte> data) => format switch
    {
        JpegFormat => Jpeg(data),
        PngFormat => Png(data),
        WebpFormat => Webp(data),
        GifFormat => Gif(data),
        _ => new(false, Upright),
    };

    private static ContainerFacts Jpeg(ReadOnlySpan<byte> data)
    {
        ushort orientation = Upright;
        var exifSeen = false;
        var position = 2; // after SOI
        while (position + 1 < data.Length)
        {
            if (data[position] != 0xFF)
            {
                return new(false, orientation);
            }

            var marker = data[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }

            position += 2;
            if (marker == 0xD9)
            {
                // EOI; anything after it (a polyglot's HTML) is never decoded or kept.
                return new(true, orientation);
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // no length
            }

            if (position + 2 > data.Length)
            {
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (length < 2 || position + length > data.Length)
            {
                break;
            }

            var segment = data.Slice(position + 2, length - 2);
            if (marker == 0xE1 && !exifSeen && segment.StartsWith(ExifPrefix))
            {
                exifSeen = true;
                orientation = ExifOrientation(segment[ExifPrefix.Length..]);
            }

            position += length;
            if (marker == 0xDA)
            {
                position = NextMarkerAfterEntropyData(data, position);
            }
        }

        return new(false, orientation);
    }

    private static int NextMarkerAfterEntropyData(ReadOnlySpan<byte> data, int position)
    {
        while (position + 1 < data.Length)
        {
            if (data[position] == 0xFF)
            {
                var next = data[position + 1];
                if (next != 0x00 && next != 0xFF && next is not (>= 0xD0 and <= 0xD7))
                {
                    return position;
                }
            }

            position++;
        }

        return data.Length;
    }

    private static ContainerFacts Png(ReadOnlySpan<byte> data)
    {
        ushort orientation = Upright;
        var position = 8; // after the signature
        while (position + 12 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var type = data.Slice(position + 4, 4);
            if (length > (uint)(data.Length - position - 12))
            {
                break;
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return new(true, orientation);
            }

            if (type.SequenceEqual("eXIf"u8))
            {
                orientation = ExifOrientation(data.Slice(position + 8, (int)length));
            }

            position += 12 + (int)length;
        }

        return new(false, orientation);
    }

    private static ContainerFacts Webp(ReadOnlySpan<byte> data)
    {
        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (riffSize > (uint)(data.Length - 8))
        {
            return new(false, Upright);
        }

        ushort orientation = Upright;
        int canvasWidth = 0, canvasHeight = 0;
        var animated = false;
        WebpAnimation? animation = null;
        var end = 8 + (int)riffSize;
        var position = 12; // after "RIFF", size, "WEBP"
        while (position + 8 <= end)
        {
            var type = data.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
            if (size > (uint)(end - position - 8))
            {
                return new(false, orientation);
            }

            var content = data.Slice(position + 8, (int)size);
            if (type.SequenceEqual("VP8X"u8) && content.Length >= 10)
            {
                animated = (content[0] & 0x02) != 0;
                canvasWidth = UInt24(content[4..]) + 1;
                canvasHeight = UInt24(content[7..]) + 1;
            }
            else if (type.SequenceEqual("ANMF"u8) && animated && animation is null)
            {
                animation = WebpAnimation.FirstFrame(canvasWidth, canvasHeight, content);
                if (animation is null)
                {
                    return new(false, orientation);
                }
            }
            else if (type.SequenceEqual("EXIF"u8))
            {
                orientation = ExifOrientation(content);
            }

            position += 8 + (int)size + (int)(size & 1); // chunks are padded to even sizes
        }

        return new(!animated || animation is not null, orientation, animation);
    }

    private static ContainerFacts Gif(ReadOnlySpan<byte> data)
    {
        // Only the first frame is decoded, so only the blocks up to its end must be sound.
        const int headerAndScreen = 13;
        if (data.Length < headerAndScreen)
        {
            return new(false, Upright);
        }

        var position = headerAndScreen + ColourTableBytes(data[10]);
        while (position < data.Length)
        {
            switch (data[position])
            {
                case 0x21: // extension: label, then sub-blocks
                    position = SkipSubBlocks(data, position + 2);
                    break;
                case 0x2C: // image descriptor
                    const int descriptor = 10;
                    if (position + descriptor >= data.Length)
                    {
                        return new(false, Upright);
                    }

                    position += descriptor + ColourTableBytes(data[position + 9]);
                    if (position >= data.Length || data[position] is < MinLzwCodeSize or > MaxLzwCodeSize)
                    {
                        return new(false, Upright);
                    }

                    return new(SkipSubBlocks(data, position + 1) <= data.Length, Upright);
                default: // the trailer before any frame, or not a block at all
                    return new(false, Upright);
            }
        }

        return new(false, Upright);
    }

    private static int ColourTableBytes(byte packedFields) =>
        (packedFields & 0x80) == 0 ? 0 : 3 << ((packedFields & 0x07) + 1);

    /// <summary>The position after the terminating empty sub-block, or past the end when there is none.</summary>
    private static int SkipSubBlocks(ReadOnlySpan<byte> data, int position)
    {
        while (position < data.Length)
        {
            var length = data[position];
            position += 1 + length;
            if (length == 0)
            {
                return position;
            }
        }

        return data.Length + 1;
    }

    internal static int UInt24(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);

    private static ushort ExifOrientation(ReadOnlySpan<byte> exif)
    {
        if (exif.StartsWith(ExifPrefix))
        {
            exif = exif[ExifPrefix.Length..];
        }

        try
        {
            var value = new ExifProfile(exif.ToArray()).GetValue(ExifTag.Orientation)?.Value ?? Upright;
            return value is >= 1 and <= 8 ? value : Upright;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A browser shows a file with broken EXIF as stored; so do we.
            return Upright;
        }
    }
}
