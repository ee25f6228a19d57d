using SixLabors.ImageSharp;
using StyleBlazor.Engine.Imaging;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Jobs;
using StyleBlazor.Results;

namespace StyleBlazor.Studio;

/// <summary>Encodes the improved frames of a run as downloads: an animated GIF of the progression, or one frame as PNG.</summary>
public static class ProgressionGif
{
    /// <summary>Delay between frames, in 1/100 s; the last frame stays longer so the loop reads as "and this is the result".</summary>
    public const int FrameDelay = 12;
    public const int FinalFrameDelay = 200;

    /// <summary>An endlessly looping GIF of <paramref name="frames"/> at the size of the last one.</summary>
    public static byte[] Encode(IReadOnlyList<JobUpdate.Frame> frames, int maxSide = 640)
    {
        if (frames.Count == 0) throw new ArgumentException("No frames to encode.", nameof(frames));
        var last = frames[^1];
        return ResultEncoder.Gif(frames.Select(f => f.Bytes).ToList(), ResultEncoder.Fit(last.Width, last.Height, maxSide), FrameDelay, FinalFrameDelay);
    }

    /// <summary>Re-encodes one frame as PNG (used when the service has no lossless result to offer).</summary>
    public static byte[] ToPng(JobUpdate.Frame frame)
    {
        using var image = Image.Load<Rgb24>(KnownImageFormats.Frames, frame.Bytes);
        using var output = new MemoryStream();
        image.Save(output, new PngEncoder());
        return output.ToArray();
    }
}
