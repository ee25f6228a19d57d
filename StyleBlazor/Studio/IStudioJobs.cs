using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Studio;

/// <summary>
/// What the studio pages need from the job service: the backbones on offer, submitting and cancelling a job, and a
/// live feed of one job. The service (Jobs/) is the one source of truth; this is the narrow view the UI depends on,
/// so components can be tested with a scripted feed.
/// </summary>
public interface IStudioJobs
{
    /// <summary>Backbones this machine can run; the first is the default. Empty when no engine is available.</summary>
    IReadOnlyList<BackboneInfo> Backbones { get; }

    /// <summary>Queues a job. The images in <paramref name="submission"/> are handed over: the job owns them from here on.</summary>
    SubmitResult Submit(StudioSubmission submission);

    /// <summary>Asks a job to stop; false when <paramref name="ownerId"/> does not own it or it has already ended.</summary>
    bool Cancel(string jobId, string ownerId);

    /// <summary>
    /// Follows one job. The first event delivered is a <see cref="JobSnapshotEvent"/> with the history so far (so a
    /// viewer who joins mid-run sees the whole run); later events may arrive on any thread. Null when the job is unknown.
    /// </summary>
    IDisposable? Watch(string jobId, Action<StudioJobEvent> onEvent);

    /// <summary>The finished job's best image as a lossless PNG; null when there is none (yet).</summary>
    Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default);
}

public sealed record StudioSubmission(string OwnerId, Image<Rgb24> Content, Image<Rgb24> Style, StyleTransferOptions Options, string Backbone);

/// <summary>Either the new job's id, or why it was refused (queue full, too many queued jobs…).</summary>
public sealed record SubmitResult(string? JobId, string? Refusal)
{
    public static SubmitResult Accepted(string jobId) => new(jobId, null);
    public static SubmitResult Refused(string why) => new(null, why);
}

/// <summary>Where a job is, as the studio shows it. Idle = no job yet.</summary>
public enum JobPhase { Idle, Queued, Running, Completed, Failed, Cancelled }

/// <summary>One iteration's losses: J (5), unweighted J_C (2) and J_S (4), each J_S^(l) (3), and the pace then.</summary>
public sealed record LossPoint(
    int Iteration,
    double Total,
    double Content,
    double Style,
    IReadOnlyDictionary<string, double> StyleLayers,
    double IterationsPerSecond,
    double EtaSeconds);

/// <summary>An improved image as encoded bytes (JPEG or WebP).</summary>
public sealed record FrameImage(int Iteration, int Width, int Height, string ContentType, byte[] Bytes);

public abstract record StudioJobEvent;

/// <summary>Everything known about a job at the moment a viewer starts watching.</summary>
public sealed record JobSnapshotEvent(
    string JobId,
    JobPhase Phase,
    int Position,
    StyleTransferOptions Options,
    string Backbone,
    IReadOnlyList<LossPoint> History,
    FrameImage? LatestFrame,
    string? Message,
    string? ResultLink) : StudioJobEvent;

/// <summary>The job waits; 1 = next to run.</summary>
public sealed record JobQueuedEvent(int Position) : StudioJobEvent;

public sealed record JobStartedEvent : StudioJobEvent;

public sealed record JobLossEvent(LossPoint Loss) : StudioJobEvent;

public sealed record JobFrameEvent(FrameImage Frame) : StudioJobEvent;

/// <summary>The job ended (Completed, Failed or Cancelled) with an optional message and a link to its result.</summary>
public sealed record JobEndedEvent(JobPhase Phase, string? Message, string? ResultLink) : StudioJobEvent;
