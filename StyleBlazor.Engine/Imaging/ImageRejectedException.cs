using System.Globalization;

namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// An upload refused by <see cref="ImageIntake"/>. <see cref="Code"/> and the values are for
/// translation; <see cref="Exception.Message"/> is the English text, and all of it lives here.
/// </summary>
public sealed class ImageRejectedException : Exception
{
    private const string UseInstead = "use JPEG, PNG or WebP";
    private const double BytesPerMegabyte = 1024 * 1024;

    private ImageRejectedException(ImageRejection code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public ImageRejection Code { get; }

    /// <summary>The file's format as a short name ("TIFF", "HTML", "PNG"), when known.</summary>
    public string? FormatName { get; private init; }

    /// <summary>
    /// The format in English with its article ("a TIFF", "an HTML page"), when known; a translation that needs
    /// no article uses <see cref="FormatName"/> instead.
    /// </summary>
    public string? FormatDescription { get; private init; }

    public int? Width { get; private init; }

    public int? Height { get; private init; }

    public long? ByteCount { get; private init; }

    /// <summary>The limit that was crossed, in the unit documented on <see cref="ImageRejection"/>.</summary>
    public double? Limit { get; private init; }

    internal static ImageRejectedException Empty() =>
        new(ImageRejection.Empty, "This file is empty.");

    internal static ImageRejectedException TooManyBytes(long? byteCount, long limit) =>
        new(ImageRejection.TooManyBytes, byteCount is { } count
            // Rounded up, so a file just over the limit never reads as equal to it.
            ? Invariant($"This file is {Math.Ceiling(count / BytesPerMegabyte * 10) / 10:0.#} MB; the limit is {limit / BytesPerMegabyte:0.#} MB.")
            : Invariant($"This file is over the limit of {limit / BytesPerMegabyte:0.#} MB."))
        {
            ByteCount = byteCount,
            Limit = limit,
        };

    internal static ImageRejectedException UnsupportedFormat(FileSignature? signature) =>
        new(ImageRejection.UnsupportedFormat, signature is { } known
            ? $"This file is {known.Description}; {UseInstead}."
            : $"This file is not an image format we accept; {UseInstead}.")
        {
            FormatName = signature?.Name,
            FormatDescription = signature?.Description,
        };

    internal static ImageRejectedException TooLarge(int width, int height, int maxSide) =>
        new(ImageRejection.TooLarge, Invariant($"This image is {width}×{height}; the limit is {maxSide} px a side."))
        {
            Width = width,
            Height = height,
            Limit = maxSide,
        };

    internal static ImageRejectedException TooManyPixels(int width, int height, double maxMegapixels) =>
        new(ImageRejection.TooManyPixels, Invariant(
            $"This image is {width}×{height} ({(double)width * height / 1e6:0.#} megapixels); the limit is {maxMegapixels:0.##} megapixels."))
        {
            Width = width,
            Height = height,
            Limit = maxMegapixels,
        };

    internal static ImageRejectedException TooSmall(int width, int height, int minSide) =>
        new(ImageRejection.TooSmall, Invariant($"This image is {width}×{height}; it must be at least {minSide} px a side."))
        {
            Width = width,
            Height = height,
            Limit = minSide,
        };

    internal static ImageRejectedException AspectRatio(int width, int height, double maxRatio) =>
        new(ImageRejection.AspectRatio, Invariant(
            $"This image is {width}×{height}; one side may be at most {maxRatio:0.##} times the other."))
        {
            Width = width,
            Height = height,
            Limit = maxRatio,
        };

    internal static ImageRejectedException Corrupt(string formatName, Exception? inner = null) =>
        new(ImageRejection.Corrupt, $"This {formatName} file is damaged, incomplete, or uses a feature we cannot read.", inner)
        {
            FormatName = formatName,
        };

    internal static ImageRejectedException TooMuchMemory(string formatName, int limitMegabytes, Exception inner) =>
        new(ImageRejection.TooMuchMemory, Invariant(
            $"Reading this {formatName} file needs more than {limitMegabytes} MB of memory; try a smaller image."), inner)
        {
            FormatName = formatName,
            Limit = limitMegabytes,
        };

    internal static ImageRejectedException DecodeTimeout(TimeSpan limit) =>
        new(ImageRejection.DecodeTimeout, Invariant(
            $"This image took longer than {limit.TotalSeconds:0.###} s to read; try a smaller or simpler file."))
        {
            Limit = limit.TotalSeconds,
        };

    internal static ImageRejectedException ServerBusy(TimeSpan waited) =>
        new(ImageRejection.ServerBusy, Invariant(
            $"The server is reading many pictures at once and had no room for this one within {waited.TotalSeconds:0.#} s; try again in a moment."))
        {
            Limit = waited.TotalSeconds,
        };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
