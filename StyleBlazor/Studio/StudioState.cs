using System.Security.Cryptography;

namespace StyleBlazor.Studio;

/// <summary>
/// One browser session's studio (a scoped service, so one per circuit): the chosen content and style pictures, the
/// parameters being edited and the job being followed. Nothing here is visible to other sessions, and the pictures are
/// released when the circuit ends.
/// </summary>
public sealed class StudioState : IDisposable
{
    StudioImage? _content;
    StudioImage? _style;

    /// <summary>Who submits this session's jobs (only the owner may cancel one).</summary>
    public string OwnerId { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public StudioImage? Content => _content;
    public StudioImage? Style => _style;

    /// <summary>The parameters as last edited (kept while the user visits other pages).</summary>
    public ParameterForm? Parameters { get; set; }

    /// <summary>The job this session started last, as far as it has been seen.</summary>
    public JobTimeline? CurrentJob { get; set; }

    /// <summary>Dark theme on; follows the system until the user toggles it (<see cref="DarkModeChosen"/>).</summary>
    public bool DarkMode { get; set; }
    public bool DarkModeChosen { get; set; }

    public void SetContent(StudioImage? image) => Replace(ref _content, image);
    public void SetStyle(StudioImage? image) => Replace(ref _style, image);

    static void Replace(ref StudioImage? slot, StudioImage? image)
    {
        var old = slot;
        slot = image;
        if (!ReferenceEquals(old, image)) old?.Dispose();
    }

    public void Dispose()
    {
        SetContent(null);
        SetStyle(null);
    }
}
