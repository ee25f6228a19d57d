using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace StyleBlazor.Tests.Engine.Imaging;

/// <summary>PNG files assembled chunk by chunk, with correct CRCs, for headers no encoder would write.</summary>
internal static class CraftedPng
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A file whose IHDR claims <paramref name="width"/>×<paramref name="height"/> RGB but holds one row of data.</summary>
    public static byte[] ClaimingSize(int width, int height) => Concat(
        Signature,
        Header(width, height),
        Chunk("IDAT", ZLib(new byte[4])),
        Chunk("IEND", []));

    public static byte[] Header(int width, int height)
    {
        var data = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(data, width);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), height);
        data[8] = 8; // bit depth
        data[9] = 2; // colour type: RGB
        return Chunk("IHDR", data);
    }

    public static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    /// <summary>Inserts <paramref name="chunk"/> right after IHDR of an encoded PNG.</summary>
    public static byte[] WithChunkAfterHeader(byte[] png, byte[] chunk)
    {
        const int afterHeader = 8 + 12 + 13;
        return Concat(png[..afterHeader], chunk, png[afterHeader..]);
    }

    public static byte[] ZLib(byte[] data) => ZLibOfZeros(0, data);

    /// <summary>zlib data that inflates to <paramref name="zeroBytes"/> zeros (after <paramref name="prefix"/>).</summary>
    public static byte[] ZLibOfZeros(long zeroBytes, byte[]? prefix = null)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(prefix ?? []);
            var zeros = new byte[1 << 20];
            for (var left = zeroBytes; left > 0; left -= zeros.Length)
            {
                zlib.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }

        return output.ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(part => part).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
