using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace StyleBlazor.Studio;

/// <summary>
/// A picture the user picked for this browser session: decoded pixels plus a small preview for the page.
/// Owned by <see cref="StudioState"/>; a job gets its own copy (<see cref="ClonePixels"/>), because a job owns and
/// releases its inputs independently of the page.
/// </summary>
public sealed class StudioImage(string name, Image<Rgb24> pixels, string previewDataUrl, string? attribution = null) : IDisposable
{
    public string Name { get; } = name;
    public int Width { get; } = pixels.Width;
    public int Height { get; } = pixels.Height;

    /// <summary>A downscaled JPEG as a data URL, small enough to send to the browser on every render.</summary>
    public string PreviewDataUrl { get; } = previewDataUrl;

    /// <summary>Credit line for a sample image (from PROVENANCE.md); null for a user's upload.</summary>
    public string? Attribution { get; } = attribution;

    public Image<Rgb24> ClonePixels() => pixels.Clone();

    public void Dispose() => pixels.Dispose();
}
