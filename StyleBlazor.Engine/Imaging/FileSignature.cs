using System.Text;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// Names a refused file from its first bytes, so the message can say what it is ("a TIFF") rather
/// than only what it is not. Never used to accept anything: acceptance is ImageSharp's detection
/// with the intake's own configuration.
/// </summary>
internal sealed record FileSignature(string Name, string Description)
{
    private const int TextProbeBytes = 1024;

    public static FileSignature? Recognise(ReadOnlySpan<byte> data)
    {
        if (StartsWith(data, "II*\0"u8) || StartsWith(data, "MM\0*"u8))
        {
            return new("TIFF", "a TIFF");
        }

        if (StartsWith(data, "BM"u8))
        {
            return new("BMP", "a BMP");
        }

        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            return IsoMedia(data.Slice(8, 4));
        }

        if (StartsWith(data, [0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20]) || StartsWith(data, [0xFF, 0x0A]))
        {
            return new("JPEG XL", "a JPEG XL");
        }

        if (StartsWith(data, [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || StartsWith(data, [0xFF, 0x4F, 0xFF, 0x51]))
        {
            return new("JPEG 2000", "a JPEG 2000");
        }

        if (StartsWith(data, "%PDF"u8))
        {
            return new("PDF", "a PDF");
        }

        if (StartsWith(data, "MZ"u8))
        {
            return new("EXE", "a Windows program");
        }

        if (StartsWith(data, [0x7F, 0x45, 0x4C, 0x46]))
        {
            return new("ELF", "a Linux program");
        }

        if (StartsWith(data, [0x50, 0x4B, 0x03, 0x04]))
        {
            return new("ZIP", "a ZIP archive");
        }

        if (StartsWith(data, "8BPS"u8))
        {
            return new("PSD", "a Photoshop document");
        }

        if (StartsWith(data, [0x00, 0x00, 0x01, 0x00]))
        {
            return new("ICO", "an icon (ICO)");
        }

        return Text(data);
    }

    private static FileSignature IsoMedia(ReadOnlySpan<byte> brand) => Encoding.ASCII.GetString(brand) switch
    {
        "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1" => new("HEIC", "an HEIC"),
        "avif" or "avis" => new("AVIF", "an AVIF"),
        _ => new("Video", "a video"),
    };

    private static FileSignature? Text(ReadOnlySpan<byte> data)
    {
        var probe = data[..Math.Min(data.Length, TextProbeBytes)];
        if (StartsWith(probe, [0xEF, 0xBB, 0xBF]))
        {
            probe = probe[3..];
        }

        // A multi-byte character cut at the probe's end is still text.
        var text = Encoding.UTF8.GetString(probe);
        if (text.Length == 0 || !text.All(c => !char.IsControl(c) || char.IsWhiteSpace(c) || c == '\uFFFD'))
        {
            return null;
        }

        if (text.Count(c => c == '\uFFFD') > 4)
        {
            return null;
        }

        var start = text.TrimStart().ToLowerInvariant();
        if (start.StartsWith("<!doctype html", StringComparison.Ordinal) || start.Contains("<html", StringComparison.Ordinal))
        {
            return new("HTML", "an HTML page");
        }

        if (start.Contains("<svg", StringComparison.Ordinal))
        {
            return new("SVG", "an SVG");
        }

        if (start.StartsWith("<?xml", StringComparison.Ordinal))
        {
            return new("XML", "an XML document");
        }

        return new("Text", "plain text");
    }

    private static bool StartsWith(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix) => data.StartsWith(prefix);
}
