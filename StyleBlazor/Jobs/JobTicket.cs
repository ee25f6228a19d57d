using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>
/// A job as it is queued: who asked, what to run and the decoded pictures, under the job's id (256 random bits,
/// base64url, so the id is the capability to watch it). Whoever queues it owns the pictures from then on.
/// </summary>
public sealed record JobTicket(
    string Id,
    Requester Owner,
    string Backbone,
    StyleTransferOptions Options,
    DateTimeOffset CreatedAt,
    Image<Rgb24> Content,
    IReadOnlyList<Image<Rgb24>> Styles)
{
    public void DisposeImages()
    {
        Content.Dispose();
        foreach (var style in Styles) style.Dispose();
    }
}
