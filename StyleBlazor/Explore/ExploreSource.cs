using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;

namespace StyleBlazor.Explore;

/// <summary>The pictures of a run the explorer can look at.</summary>
public enum PictureKind { Content, Style, Result }

/// <summary>
/// A run the explorer looks into, as it was when it was looked up: a job of this server (live or finished) or a stored
/// result reached by its share link.
/// </summary>
/// <param name="Key">What the explorer's cache knows the run by: <c>job:{id}</c> or <c>result:{id}</c>.</param>
/// <param name="State">Where the run is; Running while a job paints (its result is then the newest frame).</param>
/// <param name="LastLoss">The run's newest loss values (for its own share of each J_S^(l)); null before the first.</param>
/// <param name="ResultIteration">The iteration the result picture shows; null when there is none yet.</param>
/// <param name="FrameSize">The run's picture size (the content's aspect ratio).</param>
/// <param name="Open">Decodes one of the run's pictures (the caller disposes it); null when the run has none (yet).</param>
public sealed record ExploreSource(
    string Key,
    string Backbone,
    StyleTransferOptions Options,
    JobState State,
    LossRecord? LastLoss,
    int? ResultIteration,
    Size FrameSize,
    Func<PictureKind, CancellationToken, Task<Image<Rgb24>?>> Open)
{
    public bool IsRunning => !State.IsFinished();

    /// <summary>Which result picture <see cref="Open"/> gives: the newest frame changes while the job runs.</summary>
    public string ResultVersion => IsRunning ? $"frame-{ResultIteration}" : "final";
}

/// <summary>
/// The explorer's one way onto the torch threads: run short work with a backbone as soon as a thread can take it,
/// between two iterations of a running job rather than after it.
/// </summary>
public interface ITorchWork
{
    Task<T> RunAsync<T>(Func<IBackbone, T> work, string backbone, CancellationToken cancellationToken);
}

/// <summary>The explorer's view of this server's jobs.</summary>
public interface IJobPictures
{
    /// <summary>The job's run and pictures; null when the job is unknown (or its result was revoked or deleted).</summary>
    Task<ExploreSource?> FindJobAsync(string jobId, CancellationToken cancellationToken);
}
