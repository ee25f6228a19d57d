namespace StyleBlazor.Engine.Imaging;

/// <summary>Limits for <see cref="ImageIntake"/>; bound from the "ImageIntake" section.</summary>
public sealed class ImageIntakeOptions
{
    public const string SectionName = "ImageIntake";

    /// <summary>Largest upload in bytes; checked before anything is parsed.</summary>
    public long MaxBytes { get; set; } = 10 * 1024 * 1024;

    public int MaxSide { get; set; } = 8192;

    /// <summary>Largest width × height, in millions of pixels.</summary>
    public double MaxMegapixels { get; set; } = 40;

    public int MinSide { get; set; } = 16;

    /// <summary>
    /// Width × height of all the pictures of one request together (a content and its styles), in millions of pixels;
    /// checked on their headers before any is decoded, so one request cannot make the server decode many large pictures.
    /// </summary>
    public double MaxMegapixelsPerRequest { get; set; } = 80;

    /// <summary>Longest side over shortest side, e.g. 8 for 8:1.</summary>
    public double MaxAspectRatio { get; set; } = 8;

    /// <summary>Time allowed for reading the header and decoding, together.</summary>
    public TimeSpan DecodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Megapixels decoded at once by the whole process (<see cref="DecodeBudget"/>); a decode holds about 8 bytes a
    /// pixel while it runs. At least <see cref="MaxMegapixels"/>, so any picture that is accepted can be decoded.
    /// </summary>
    public double MaxDecodingMegapixels { get; set; } = 80;

    /// <summary>How long a decode waits for room in <see cref="MaxDecodingMegapixels"/> before it is refused as "server busy".</summary>
    public TimeSpan DecodeQueueTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Largest single buffer ImageSharp may allocate. A 40-megapixel RGBA frame is 160 MB; this
    /// leaves room for decoder working buffers and stops anything the header checks missed.
    /// </summary>
    public int AllocationLimitMegabytes { get; set; } = 256;

    /// <summary>Throws when a limit is missing or contradicts another.</summary>
    public void Validate()
    {
        Require(MaxBytes > 0, nameof(MaxBytes), "must be positive");
        Require(MinSide > 0, nameof(MinSide), "must be positive");
        Require(MaxSide >= MinSide, nameof(MaxSide), "must be at least MinSide");
        Require(MaxMegapixels > 0, nameof(MaxMegapixels), "must be positive");
        Require(MaxMegapixelsPerRequest >= MaxMegapixels, nameof(MaxMegapixelsPerRequest), "must be at least MaxMegapixels");
        Require(MaxAspectRatio >= 1, nameof(MaxAspectRatio), "must be at least 1");
        Require(DecodeTimeout > TimeSpan.Zero, nameof(DecodeTimeout), "must be positive");
        Require(MaxDecodingMegapixels >= MaxMegapixels, nameof(MaxDecodingMegapixels), "must be at least MaxMegapixels");
        Require(DecodeQueueTimeout >= TimeSpan.Zero, nameof(DecodeQueueTimeout), "must not be negative");
        Require(AllocationLimitMegabytes > 0, nameof(AllocationLimitMegabytes), "must be positive");
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, $"{SectionName}:{name} {rule}.");
        }
    }
}
