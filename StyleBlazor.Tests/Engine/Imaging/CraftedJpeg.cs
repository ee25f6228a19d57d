using System.Buffers.Binary;
using System.Text;

namespace StyleBlazor.Tests.Engine.Imaging;

/// <summary>
/// JPEGs written by hand for what ImageSharp 2.1.13 cannot encode (CMYK, progressive). Every 8×8
/// block is one flat colour, so only DC coefficients are coded: DC = (sample − 128) · 8 with an
/// all-ones quantisation table, which the inverse DCT turns back into the exact sample.
/// </summary>
internal static class CraftedJpeg
{
    /// <summary>A baseline 4-component Adobe JPEG; samples are stored inverted, as Photoshop writes them.</summary>
    public static byte[] AdobeCmyk(int width, int height, byte c, byte m, byte y, byte k) =>
        Build(width, height, [c, m, y, k], adobe: true, progressive: false);

    /// <summary>A progressive (SOF2) YCbCr JPEG: one interleaved DC scan, then one AC scan per component.</summary>
    public static byte[] ProgressiveYCbCr(int width, int height, byte luma, byte cb, byte cr) =>
        Build(width, height, [luma, cb, cr], adobe: false, progressive: true);

    private static byte[] Build(int width, int height, byte[] samples, bool adobe, bool progressive)
    {
        var dcValues = samples.Select(s => (s - 128) * 8).ToArray();
        var dcSymbols = dcValues.Select(Category).Append(0).Distinct().Order().ToArray();
        var blocks = (width / 8) * (height / 8);
        var file = new List<byte> { 0xFF, 0xD8 };

        if (adobe)
        {
            // "Adobe", version 100, flags 0, 0, transform 0 (no colour transform: CMYK).
            Segment(file, 0xEE, [.. Encoding.ASCII.GetBytes("Adobe"), 0x00, 0x64, 0, 0, 0, 0, 0]);
        }
        else
        {
            Segment(file, 0xE0, [.. Encoding.ASCII.GetBytes("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        }

        Segment(file, 0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]);

        var frame = new List<byte> { 8 };
        frame.AddRange(BigEndian16(height));
        frame.AddRange(BigEndian16(width));
        frame.Add((byte)samples.Length);
        for (var i = 0; i < samples.Length; i++)
        {
            frame.AddRange([(byte)(i + 1), 0x11, 0]);
        }

        Segment(file, progressive ? (byte)0xC2 : (byte)0xC0, [.. frame]);

        // DC table: every symbol a 3-bit code 000, 001, … (never all ones). AC table: EOB alone, code "0".
        var dcTable = new byte[17 + dcSymbols.Length];
        dcTable[0] = 0x00;
        dcTable[3] = (byte)dcSymbols.Length;
        dcSymbols.Select(s => (byte)s).ToArray().CopyTo(dcTable, 17);
        Segment(file, 0xC4, dcTable);
        var acTable = new byte[18];
        acTable[0] = 0x10;
        acTable[1] = 1;
        acTable[17] = 0x00;
        Segment(file, 0xC4, acTable);

        var dc = new EntropyWriter();
        for (var block = 0; block < blocks; block++)
        {
            for (var component = 0; component < samples.Length; component++)
            {
                var diff = block == 0 ? dcValues[component] : 0;
                var category = Category(diff);
                dc.Write(Array.IndexOf(dcSymbols, category), 3);
                dc.Write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
                if (!progressive)
                {
                    dc.Write(0, 1); // EOB: all AC coefficients zero
                }
            }
        }

        Scan(file, Enumerable.Range(1, samples.Length).ToArray(), spectralEnd: progressive ? 0 : 63, dc.Finish());

        if (progressive)
        {
            for (var component = 1; component <= samples.Length; component++)
            {
                var ac = new EntropyWriter();
                for (var block = 0; block < blocks; block++)
                {
                    ac.Write(0, 1); // EOB0: this block's band is all zero
                }

                Scan(file, [component], spectralStart: 1, spectralEnd: 63, data: ac.Finish());
            }
        }

        file.AddRange([0xFF, 0xD9]);
        return [.. file];
    }

    private static void Scan(List<byte> file, int[] components, int spectralEnd, byte[] data, int spectralStart = 0)
    {
        var header = new List<byte> { (byte)components.Length };
        foreach (var component in components)
        {
            header.AddRange([(byte)component, 0x00]);
        }

        header.AddRange([(byte)spectralStart, (byte)spectralEnd, 0]);
        Segment(file, 0xDA, [.. header]);
        file.AddRange(data);
    }

    private static void Segment(List<byte> file, byte marker, byte[] content)
    {
        file.AddRange([0xFF, marker]);
        file.AddRange(BigEndian16(content.Length + 2));
        file.AddRange(content);
    }

    private static byte[] BigEndian16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private static int Category(int value) => value == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(value));

    private sealed class EntropyWriter
    {
        private readonly List<byte> _bytes = [];
        private int _accumulator;
        private int _bitCount;

        public void Write(int bits, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _accumulator = (_accumulator << 1) | ((bits >> i) & 1);
                if (++_bitCount == 8)
                {
                    Emit();
                }
            }
        }

        public byte[] Finish()
        {
            while (_bitCount != 0)
            {
                Write(1, 1); // pad with ones
            }

            return [.. _bytes];
        }

        private void Emit()
        {
            _bytes.Add((byte)_accumulator);
            if (_accumulator == 0xFF)
            {
                _bytes.Add(0x00); // byte stuffing
            }

            _accumulator = 0;
            _bitCount = 0;
        }
    }
}
