using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Tests.Engine.Imaging;

/// <summary>
/// Animated WebP assembled from lossless frames: ImageSharp 2.1.13 decodes animations but only
/// encodes a still image, so each still's VP8L chunk is wrapped in an ANMF chunk here.
/// </summary>
internal static class CraftedWebp
{
    public static byte[] Animation(int side, params Rgba32[] frameColours)
    {
        var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes("WEBP"));
        var header = new byte[10];
        header[0] = 0x02; // animation flag
        WriteUInt24(header.AsSpan(4), side - 1);
        WriteUInt24(header.AsSpan(7), side - 1);
        WriteChunk(body, "VP8X", header);
        WriteChunk(body, "ANIM", [0xFF, 0xFF, 0xFF, 0xFF, 0, 0]); // white background, loop forever

        foreach (var colour in frameColours)
        {
            var frame = new MemoryStream();
            var placement = new byte[16];
            WriteUInt24(placement.AsSpan(6), side - 1);
            WriteUInt24(placement.AsSpan(9), side - 1);
            WriteUInt24(placement.AsSpan(12), 100); // ms
            placement[15] = 0x02; // do not blend
            frame.Write(placement);
            frame.Write(LosslessChunk(side, colour));
            WriteChunk(body, "ANMF", frame.ToArray());
        }

        var file = new MemoryStream();
        file.Write(Encoding.ASCII.GetBytes("RIFF"));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)body.Length);
        file.Write(size);
        file.Write(body.ToArray());
        return file.ToArray();
    }

    private static byte[] LosslessChunk(int side, Rgba32 colour)
    {
        using var still = new Image<Rgba32>(side, side, colour);
        using var encoded = new MemoryStream();
        still.SaveAsWebp(encoded, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        var bytes = encoded.ToArray();
        if (Encoding.ASCII.GetString(bytes, 12, 4) != "VP8L")
        {
            throw new InvalidOperationException("Expected a simple lossless WebP: RIFF, WEBP, VP8L.");
        }

        return bytes[12..];
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        stream.Write(Encoding.ASCII.GetBytes(type));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
        stream.Write(size);
        stream.Write(data);
        if (data.Length % 2 == 1)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
