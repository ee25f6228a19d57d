using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Studio;

namespace StyleBlazor.Jobs;

/// <summary>
/// The Studio's narrow view (<see cref="IStudioJobs"/>) of the pipeline: the same submission, feed and results as the
/// hub and the API; and this node's engine, where it has one, to prepare a picked photo.
/// </summary>
public sealed class StudioJobs(JobSubmission submission, IJobFeed feed, JobResults results, BackboneHost? engine = null) : IStudioJobs
{
    public IBackboneCatalog? Backbones => submission.Backbones;

    public int MaxStyles => submission.MaxStyles;

    public async Task<SubmitResult> SubmitAsync(StudioSubmission request)
    {
        var result = submission.Admit(request.Requester, request.Styles.Count)
                     ?? await submission.SubmitAsync(new JobRequest(request.Requester, request.Content, request.Styles, request.Options, request.Backbone));
        if (result.Accepted) return SubmitResult.Accepted(result.JobId!);
        // The studio hands its images over either way.
        request.Content.Dispose();
        foreach (var style in request.Styles) style.Dispose();
        return SubmitResult.Refused(result.Message ?? result.Refusal.ToString());
    }

    public void PrepareContent(Image<Rgb24> content, StyleTransferOptions options, string backbone)
    {
        if (engine is null) content.Dispose(); // a web node: jobs run elsewhere
        else _ = engine.PrepareContentTargetsAsync(backbone, content, options); // logs its own failure
    }

    public async Task<bool> CancelAsync(string jobId, string ownerId) => await submission.CancelAsync(jobId, ownerId) == CancelOutcome.Cancelled;

    public IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, CancellationToken cancellationToken = default) => feed.WatchAsync(jobId, cancellationToken);

    public async Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default) =>
        await results.PngAsync(jobId, cancellationToken) is { } png ? await png.ReadAllBytesAsync(cancellationToken) : null;
}
