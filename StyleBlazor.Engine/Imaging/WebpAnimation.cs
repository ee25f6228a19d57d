using System.Buffers.Binary;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// An animated WebP's canvas and first frame. ImageSharp 2.1.13 refuses animated WebP outright, so
/// the first frame's bitstream is rewrapped as a still WebP for the ordinary decoder, then placed
/// on a transparent canvas (browsers ignore the ANIM background colour too).
/// </summary>
internal sealed record WebpAnimation(int CanvasWidth, int CanvasHeight, int X, int Y, int Width, int Height, byte[] FirstFrameStill)
{
    private const int FrameHeaderBytes = 16;

    /// <summary>Null when the ANMF chunk is malformed or its frame does not fit the canvas.</summary>
    public static WebpAnimation? FirstFrame(int canvasWidth, int canvasHeight, ReadOnlySpan<byte> anmf)
    {
        if (canvasWidth == 0 || anmf.Length < FrameHeaderBytes)
        {
            return null;
        }

        var x = ContainerFacts.UInt24(anmf) * 2;
        var y = ContainerFacts.UInt24(anmf[3..]) * 2;
        var width = ContainerFacts.UInt24(anmf[6..]) + 1;
        var height = ContainerFacts.UInt24(anmf[9..]) + 1;
        if (x + width > canvasWidth || y + height > canvasHeight)
        {
            return null;
        }

        var still = Still(anmf[FrameHeaderBytes..], width, height);
        return still is null ? null : new(canvasWidth, canvasHeight, x, y, width, height, still);
    }

    private static byte[]? Still(ReadOnlySpan<byte> frameData, int width, int height)
    {
        using var chunks = new MemoryStream();
        var hasAlpha = false;
        var hasBitstream = false;
        var position = 0;
        while (position + 8 <= frameData.Length)
        {
            var type = frameData.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(frameData[(position + 4)..]);
            if (size > (uint)(frameData.Length - position - 8))
            {
                return null;
            }

            var padded = 8 + (int)size + (int)(size & 1);
            var chunk = frameData.Slice(position, Math.Min(padded, frameData.Length - position));
            if (type.SequenceEqual("ALPH"u8))
            {
                hasAlpha = true;
                chunks.Write(chunk);
            }
            else if (type.SequenceEqual("VP8 "u8) || type.SequenceEqual("VP8L"u8))
            {
                hasBitstream = true;
                chunks.Write(chunk);
                if (chunk.Length % 2 == 1)
                {
                    chunks.WriteByte(0);
                }

                break;
            }

            position += padded;
        }

        if (!hasBitstream)
        {
            return null;
        }

        using var still = new MemoryStream();
        still.Write("RIFF"u8);
        still.Write(new byte[4]);
        still.Write("WEBP"u8);
        if (hasAlpha)
        {
            // ALPH with a lossy VP8 bitstream is only valid in the extended format.
            Span<byte> header = stackalloc byte[18];
            "VP8X"u8.CopyTo(header);
            header[4] = 10;
            header[8] = 0x10; // alpha
            WriteUInt24(header[12..], width - 1);
            WriteUInt24(header[15..], height - 1);
            still.Write(header);
        }

        still.Write(chunks.GetBuffer(), 0, (int)chunks.Length);
        var bytes = still.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
