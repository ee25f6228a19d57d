using StyleBlazor.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Results;

/// <summary>How the job that made a result ended. Only these end states produce a stored result.</summary>
public enum ResultOutcome { Completed, Cancelled, Interrupted }

/// <summary>
/// What the job service hands to <see cref="IJobResultSink"/> when a job ends with something to keep.
/// <see cref="Content"/> and <see cref="Styles"/> (every style picture, in the order of the blend weights) are the decoded
/// uploads, still owned by the caller: call the sink before the job releases them; only re-encoded copies are kept. <see cref="Frames"/> come from
/// a <see cref="ProgressionRecorder"/> (<see cref="IJobResultSink.CreateRecorder"/>); the final image closes the replay.
/// A job stores one result at most: storing again for the same <see cref="JobId"/> gives the stored one a new link.
/// </summary>
public sealed record NewResult(
    string? JobId,
    string OwnerId,
    ResultOutcome Outcome,
    string Backbone,
    StyleTransferOptions Options,
    RgbFrame FinalImage,
    int BestIteration,
    int IterationsRun,
    TimeSpan Elapsed,
    Image<Rgb24> Content,
    IReadOnlyList<Image<Rgb24>> Styles,
    IReadOnlyList<LossRecord> LossHistory,
    IReadOnlyList<ProgressionFrame> Frames);

/// <summary>A share link as handed out once; the store keeps only the SHA-256 of <see cref="Token"/>.</summary>
public sealed record ShareLink(Guid ResultId, string Token)
{
    public string Path => $"/r/{Token}";
}

/// <summary>The hook the job service calls when a job ends Completed (or Cancelled/Interrupted with frames).</summary>
public interface IJobResultSink
{
    /// <summary>A recorder for one job's improved frames, bounded by the progression settings.</summary>
    ProgressionRecorder CreateRecorder();

    /// <summary>
    /// Stores the result and returns its share link (the only time the token is known in clear). While the database or
    /// the data directory fails, tries again with back-off for <see cref="ResultsOptions.StoreRetryTime"/>; then throws.
    /// </summary>
    /// <exception cref="ResultStorageFullException">The result would pass <see cref="ResultsOptions.MaxStoredBytes"/> (not retried).</exception>
    Task<ShareLink> SaveAsync(NewResult result, CancellationToken cancellationToken = default);

    /// <summary>Whether the owner revoked or deleted the stored result since (its job's pages and picture go with it).</summary>
    Task<bool> IsWithdrawnAsync(Guid resultId, CancellationToken cancellationToken = default);
}

/// <summary>A result was not stored because the results' storage quota (<see cref="ResultsOptions.MaxStoredBytes"/>) is reached.</summary>
public sealed class ResultStorageFullException(long neededBytes, long usedBytes, long maxBytes)
    : Exception($"Storing {neededBytes} bytes would pass the results' quota of {maxBytes} bytes ({usedBytes} in use, after deleting expired results).")
{
    public long NeededBytes { get; } = neededBytes;
    public long UsedBytes { get; } = usedBytes;
    public long MaxBytes { get; } = maxBytes;
}
