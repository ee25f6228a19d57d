using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>
/// A request for a transfer. <paramref name="Options"/> null = the backbone's defaults; <paramref name="Backbone"/>
/// null = the default backbone. <paramref name="ClientAddress"/> and <paramref name="SessionId"/> (default: the owner) are
/// who asks, for the per-address and per-session limits. If the submission is accepted the job owns (and later disposes) the images;
/// if it is refused the caller still owns them.
/// </summary>
public sealed record JobRequest(
    string OwnerId,
    Image<Rgb24> Content,
    IReadOnlyList<Image<Rgb24>> Styles,
    StyleTransferOptions? Options = null,
    string? Backbone = null,
    string? ClientAddress = null,
    string? SessionId = null);

public enum SubmissionRefusal { None, InvalidRequest, UnknownBackbone, InvalidOptions, QueueFull, OwnerLimit, ShuttingDown, RateLimited }

/// <summary>The answer to a submission: the queued job, or why it was refused (a message a user can read).</summary>
public sealed record SubmissionResult(StyleTransferJob? Job, SubmissionRefusal Refusal, string? Message)
{
    public bool Accepted => Job is not null;

    public static SubmissionResult Accept(StyleTransferJob job) => new(job, SubmissionRefusal.None, null);
    public static SubmissionResult Refuse(SubmissionRefusal why, string message) => new(null, why, message);
}

/// <summary>The one way in for new jobs and cancellations, used by the Blazor UI and the hub alike.</summary>
public sealed class JobSubmission(
    JobQueue queue,
    JobRegistry jobs,
    IBackboneCatalog catalog,
    IOptions<EngineOptions> options,
    SubmissionRateLimiter rateLimiter,
    TimeProvider time)
{
    /// <summary>The backbones a request may name; the first is the default.</summary>
    public IReadOnlyList<BackboneInfo> Backbones => catalog.Available;

    /// <summary>The backbone a request without one gets, or null when none is available.</summary>
    public BackboneInfo? DefaultBackbone =>
        catalog.Available.FirstOrDefault(b => b.Name == options.Value.DefaultBackbone) ?? catalog.Available.FirstOrDefault();

    /// <summary>Validates, applies the limits and queues; never throws for a bad request or a full queue.</summary>
    public SubmissionResult Submit(JobRequest request)
    {
        var limits = options.Value;
        if (string.IsNullOrEmpty(request.OwnerId))
            return SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, "The request has no browser session.");
        if (rateLimiter.TryAcquire(request.SessionId ?? request.OwnerId, request.ClientAddress) is { } tooFast)
            return SubmissionResult.Refuse(SubmissionRefusal.RateLimited, tooFast);
        if (request.Styles.Count == 0)
            return SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, "At least one style image is needed.");

        var backbone = request.Backbone is { Length: > 0 } name
            ? catalog.Available.FirstOrDefault(b => b.Name == name)
            : DefaultBackbone;
        if (backbone is null)
            return SubmissionResult.Refuse(SubmissionRefusal.UnknownBackbone, request.Backbone is { Length: > 0 }
                ? $"Unknown backbone '{request.Backbone}'; available: {string.Join(", ", catalog.Available.Select(b => b.Name))}."
                : "No backbone is available on this server.");

        var transfer = request.Options ?? backbone.Defaults;
        var problem = transfer.Validate(backbone.Layers.Select(l => l.Name).ToArray());
        if (problem is null && transfer.Iterations > limits.MaxIterations)
            problem = $"This server runs at most {limits.MaxIterations} iterations per job (asked for {transfer.Iterations}).";
        if (problem is null && transfer.MaxSide > limits.MaxSide)
            problem = $"This server works at most at {limits.MaxSide} px (asked for {transfer.MaxSide}).";
        if (problem is null && transfer.StyleBlend.Count > 0 && transfer.StyleBlend.Count != request.Styles.Count)
            problem = $"{request.Styles.Count} style images need {request.Styles.Count} blend weights (got {transfer.StyleBlend.Count}).";
        if (problem is not null)
            return SubmissionResult.Refuse(SubmissionRefusal.InvalidOptions, problem);

        var job = new StyleTransferJob(request.OwnerId, request.Content, request.Styles, transfer, backbone.Name, time.GetUtcNow(), request.ClientAddress);
        jobs.Prune();
        jobs.Add(job);
        var outcome = queue.TryEnqueue(job);
        if (outcome == EnqueueOutcome.Accepted) return SubmissionResult.Accept(job);

        jobs.Remove(job);
        return outcome switch
        {
            EnqueueOutcome.OwnerLimit => SubmissionResult.Refuse(SubmissionRefusal.OwnerLimit,
                $"You already have {queue.MaxQueuedPerOwner} jobs waiting; wait for one to start or cancel one."),
            EnqueueOutcome.AddressLimit => SubmissionResult.Refuse(SubmissionRefusal.OwnerLimit,
                $"Your network address already has {queue.MaxQueuedPerAddress} jobs waiting; wait for one to start."),
            EnqueueOutcome.QueueFull => SubmissionResult.Refuse(SubmissionRefusal.QueueFull,
                $"The queue is full ({queue.Capacity} jobs waiting); try again in a little while."),
            _ => SubmissionResult.Refuse(SubmissionRefusal.ShuttingDown, "The server is shutting down."),
        };
    }

    /// <summary>
    /// Asks a job to stop on behalf of <paramref name="requesterId"/>: a waiting job ends at once, a running one within
    /// one iteration. False when the job is unknown, already finished, or not the requester's.
    /// </summary>
    public bool Cancel(string jobId, string? requesterId)
    {
        var job = jobs.Find(jobId);
        if (job is null || job.IsFinished || string.IsNullOrEmpty(requesterId) || job.OwnerId != requesterId) return false;
        Stop(job, "Cancelled by its owner.");
        return true;
    }

    /// <summary>Stops a job regardless of who asks (the owner-gone policy).</summary>
    internal void Stop(StyleTransferJob job, string reason)
    {
        job.RequestCancel(reason);
        if (queue.TryRemove(job)) jobs.Finish(job, JobState.Cancelled, job.CancelReason, onlyIfQueued: true);
    }
}
