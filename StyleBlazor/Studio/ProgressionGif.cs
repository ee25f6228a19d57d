using SixLabors.ImageSharp;
using StyleBlazor.Engine.Imaging;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using StyleBlazor.Jobs;

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
        using var last = Image.Load<Rgba32>(KnownImageFormats.Frames, frames[^1].Bytes);
        var size = Fit(last.Width, last.Height, maxSide);

        using var gif = new Image<Rgba32>(size.Width, size.Height);
        gif.Metadata.GetGifMetadata().RepeatCount = 0;
        for (int i = 0; i < frames.Count; i++)
        {
            using var frame = Image.Load<Rgba32>(KnownImageFormats.Frames, frames[i].Bytes);
            frame.Mutate(x => x.Resize(size));
            var added = gif.Frames.AddFrame(frame.Frames.RootFrame);
            added.Metadata.GetGifMetadata().FrameDelay = i == frames.Count - 1 ? FinalFrameDelay : FrameDelay;
        }
        gif.Frames.RemoveFrame(0); // the blank frame the image was created with

        using var output = new MemoryStream();
        gif.Save(output, new GifEncoder { ColorTableMode = GifColorTableMode.Local });
        return output.ToArray();
    }

    /// <summary>Re-encodes one frame as PNG (used when the service has no lossless result to offer).</summary>
    public static byte[] ToPng(JobUpdate.Frame frame)
    {
        using var image = Image.Load<Rgb24>(KnownImageFormats.Frames, frame.Bytes);
        using var output = new MemoryStream();
        image.Save(output, new PngEncoder());
        return output.ToArray();
    }

    static Size Fit(int width, int height, int maxSide)
    {
        double scale = Math.Min(1.0, (double)maxSide / Math.Max(width, height));
        return new Size(Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
}
