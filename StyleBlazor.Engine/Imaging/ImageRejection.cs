namespace StyleBlazor.Engine.Imaging;

/// <summary>
/// Why an upload was refused. The web layer translates by this code; the values it needs are on
/// <see cref="ImageRejectedException"/>, and <see cref="ImageRejectedException.Limit"/> is in the
/// unit named on each member.
/// </summary>
public enum ImageRejection
{
    /// <summary>The upload has no bytes.</summary>
    Empty,

    /// <summary>Over the byte limit. <c>ByteCount</c> (when known) and <c>Limit</c> in bytes.</summary>
    TooManyBytes,

    /// <summary>Not JPEG, PNG, WebP or GIF. <c>FormatName</c> names what it is, when recognised.</summary>
    UnsupportedFormat,

    /// <summary>A side over the limit. <c>Width</c>, <c>Height</c>; <c>Limit</c> in pixels a side.</summary>
    TooLarge,

    /// <summary>Over the pixel budget. <c>Width</c>, <c>Height</c>; <c>Limit</c> in megapixels.</summary>
    TooManyPixels,

    /// <summary>A side under the minimum. <c>Width</c>, <c>Height</c>; <c>Limit</c> in pixels a side.</summary>
    TooSmall,

    /// <summary>Too long and thin. <c>Width</c>, <c>Height</c>; <c>Limit</c> is the ratio, e.g. 8 for 8:1.</summary>
    AspectRatio,

    /// <summary>Damaged, incomplete, or uses a variant the decoder cannot read. <c>FormatName</c>.</summary>
    Corrupt,

    /// <summary>Decoding needed a buffer over the allocation limit. <c>Limit</c> in megabytes.</summary>
    TooMuchMemory,

    /// <summary>Decoding took longer than allowed. <c>Limit</c> in seconds.</summary>
    DecodeTimeout,

    /// <summary>
    /// The server was decoding as many pixels as it allows at once (<see cref="DecodeBudget"/>) and no room came within
    /// the wait; the picture itself may be fine. <c>Limit</c>: the wait in seconds.
    /// </summary>
    ServerBusy,
}
