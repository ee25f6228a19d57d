using System.Buffers.Binary;
using System.Text;

namespace StyleBlazor.Tests.Engine.Imaging;

/// <summary>GIFs written byte by byte, with a global palette of red (index 0) and blue (index 1).</summary>
internal static class CraftedGif
{
    public const byte ValidLzwMinimumCodeSize = 2;

    /// <summary>
    /// A <paramref name="width"/>×<paramref name="height"/> canvas; the first frame is a red
    /// <paramref name="frameSide"/>-pixel square at the origin, every later frame the same square in blue.
    /// </summary>
    public static byte[] Animation(int width, int height, int frameSide, int frames, byte firstFrameLzwMinimumCodeSize = ValidLzwMinimumCodeSize)
    {
        using var gif = new MemoryStream();
        gif.Write(Encoding.ASCII.GetBytes("GIF89a"));
        WriteUInt16(gif, width);
        WriteUInt16(gif, height);
        gif.Write([0xF0, 0, 0]); // global table of 2 colours, background 0, square pixels
        gif.Write([0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF]);

        var red = Frame(frameSide, colourIndex: 0, firstFrameLzwMinimumCodeSize);
        var blue = Frame(frameSide, colourIndex: 1, ValidLzwMinimumCodeSize);
        gif.Write(red);
        for (var i = 1; i < frames; i++)
        {
            gif.Write(blue);
        }

        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    private static byte[] Frame(int side, byte colourIndex, byte lzwMinimumCodeSize)
    {
        using var frame = new MemoryStream();
        frame.Write([0x21, 0xF9, 4, 0, 10, 0, 0, 0]); // graphic control: 0.1 s, no transparency
        frame.WriteByte(0x2C);
        WriteUInt16(frame, 0);
        WriteUInt16(frame, 0);
        WriteUInt16(frame, side);
        WriteUInt16(frame, side);
        frame.WriteByte(0); // no local table, not interlaced
        frame.WriteByte(lzwMinimumCodeSize);
        var data = SolidLzw(side * side, colourIndex);
        for (var offset = 0; offset < data.Length; offset += 255)
        {
            var length = Math.Min(255, data.Length - offset);
            frame.WriteByte((byte)length);
            frame.Write(data, offset, length);
        }

        frame.WriteByte(0);
        return frame.ToArray();
    }

    /// <summary>
    /// LZW codes of width 3 (minimum code size 2): a clear code before every pair of literals keeps
    /// the table from growing, so the code width never changes.
    /// </summary>
    private static byte[] SolidLzw(int pixels, byte colourIndex)
    {
        const int clear = 4, end = 5, width = 3;
        var bytes = new List<byte>();
        int accumulator = 0, bitCount = 0;
        void Write(int code)
        {
            accumulator |= code << bitCount; // GIF packs codes least significant bit first
            bitCount += width;
            while (bitCount >= 8)
            {
                bytes.Add((byte)accumulator);
                accumulator >>= 8;
                bitCount -= 8;
            }
        }

        for (var i = 0; i < pixels; i++)
        {
            if (i % 2 == 0)
            {
                Write(clear);
            }

            Write(colourIndex);
        }

        Write(end);
        if (bitCount > 0)
        {
            bytes.Add((byte)accumulator);
        }

        return [.. bytes];
    }

    private static void WriteUInt16(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
        stream.Write(bytes);
    }
}
