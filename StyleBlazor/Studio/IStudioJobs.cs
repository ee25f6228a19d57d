using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;

namespace StyleBlazor.Studio;

/// <summary>
/// What the Studio and the Watch page need of the job pipeline: the backbones on offer, submitting and cancelling a
/// job, the job feed (<see cref="IJobFeed"/>) and a finished job's picture. The pipeline (Jobs/) is the one source of
/// truth; this narrow view lets components be tested with a scripted feed.
/// </summary>
public interface IStudioJobs
{
    /// <summary>Backbones this machine can run, and the default. Null when no engine is available.</summary>
    IBackboneCatalog? Backbones { get; }

    /// <summary>Style images one job may blend at most.</summary>
    int MaxStyles { get; }

    /// <summary>Queues a job. The images in <paramref name="submission"/> are handed over: the job owns them from here on.</summary>
    Task<SubmitResult> SubmitAsync(StudioSubmission submission);

    /// <summary>
    /// Lets the engine, when it is idle, make what a job of <paramref name="options"/> on <paramref name="content"/> needs
    /// of the photo alone (its content targets) while the user picks the rest. The picture is handed over.
    /// </summary>
    void PrepareContent(Image<Rgb24> content, StyleTransferOptions options, string backbone) => content.Dispose();

    /// <summary>Asks a job to stop; false when <paramref name="ownerId"/> does not own it or it has already ended.</summary>
    Task<bool> CancelAsync(string jobId, string ownerId);

    /// <inheritdoc cref="IJobFeed.WatchAsync"/>
    IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>The finished job's best image as a lossless PNG; null when there is none (yet).</summary>
    Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default);
}

/// <summary>A job the Studio submits for <paramref name="Requester"/>: decoded pictures (the Studio decoded them when they were picked).</summary>
public sealed record StudioSubmission(Requester Requester, Image<Rgb24> Content, IReadOnlyList<Image<Rgb24>> Styles,
    StyleTransferOptions Options, string Backbone);

/// <summary>Either the new job's id, or why it was refused (queue full, too many queued jobs…).</summary>
public sealed record SubmitResult(string? JobId, string? Refusal)
{
    public static SubmitResult Accepted(string jobId) => new(jobId, null);
    public static SubmitResult Refused(string why) => new(null, why);
}
