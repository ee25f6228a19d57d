using Microsoft.Extensions.Localization;
using StyleBlazor.Engine.Imaging;
using StyleBlazor.Resources;

namespace StyleBlazor.Studio;

/// <summary>
/// The UI's words for an <see cref="ImageRejectedException"/>: one resource per <see cref="ImageRejection"/> code
/// (<c>Rejected_{Code}</c>), filled with the values the intake reports. The engine's own message stays English.
/// </summary>
public static class ImageRejectionText
{
    const double BytesPerMegabyte = 1024 * 1024;

    /// <param name="knownByteCount">The upload's size when the intake stopped reading before the end (a browser stream).</param>
    public static string Describe(IStringLocalizer<UiText> text, ImageRejectedException rejected, long? knownByteCount = null)
    {
        var limit = rejected.Limit ?? 0;
        return rejected.Code switch
        {
            ImageRejection.Empty => text["Rejected_Empty"],
            ImageRejection.TooManyBytes when (rejected.ByteCount ?? knownByteCount) is { } count =>
                // Rounded up to a tenth, so a file just over the limit never reads as equal to it.
                text["Rejected_TooManyBytes", Math.Ceiling(count / BytesPerMegabyte * 10) / 10, limit / BytesPerMegabyte],
            ImageRejection.TooManyBytes => text["Rejected_TooManyBytesUnknown", limit / BytesPerMegabyte],
            ImageRejection.UnsupportedFormat when rejected.FormatName is { } name =>
                text["Rejected_UnsupportedFormat", name, rejected.FormatDescription ?? name],
            ImageRejection.UnsupportedFormat => text["Rejected_UnknownFormat"],
            ImageRejection.TooLarge => text["Rejected_TooLarge", rejected.Width!, rejected.Height!, limit],
            ImageRejection.TooManyPixels => text["Rejected_TooManyPixels", rejected.Width!, rejected.Height!,
                (double)rejected.Width!.Value * rejected.Height!.Value / 1e6, limit],
            ImageRejection.TooSmall => text["Rejected_TooSmall", rejected.Width!, rejected.Height!, limit],
            ImageRejection.AspectRatio => text["Rejected_AspectRatio", rejected.Width!, rejected.Height!, limit],
            ImageRejection.Corrupt => text["Rejected_Corrupt", rejected.FormatName ?? "?"],
            ImageRejection.TooMuchMemory => text["Rejected_TooMuchMemory", rejected.FormatName ?? "?", limit],
            ImageRejection.DecodeTimeout => text["Rejected_DecodeTimeout", limit],
            ImageRejection.ServerBusy => text["Rejected_ServerBusy"],
            _ => rejected.Message,
        };
    }
}
