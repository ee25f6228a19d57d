using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>
/// A request for a transfer by <paramref name="Requester"/>. <paramref name="Options"/> null = the backbone's recipe;
/// <paramref name="Backbone"/> null = the default backbone. If the submission is accepted the job owns (and later
/// disposes) the images; if it is refused the caller still owns them.
/// </summary>
public sealed record JobRequest(
    Requester Requester,
    Image<Rgb24> Content,
    IReadOnlyList<Image<Rgb24>> Styles,
    StyleTransferOptions? Options = null,
    string? Backbone = null);

/// <summary>Why a submission was refused. Busy: the server was decoding as many pictures as it allows at once; try again soon.</summary>
public enum SubmissionRefusal { None, InvalidRequest, TooManyStyles, UnknownBackbone, InvalidOptions, QueueFull, QueueUnavailable, OwnerLimit, ShuttingDown, RateLimited, Busy }

/// <summary>
/// The answer to a submission: the queued job's id and place in line, or why it was refused (a message a user can read),
/// with the request field at fault when there is one (as the HTTP API names it) and, for a rate limit, when to try again.
/// </summary>
public sealed record SubmissionResult(string? JobId, int Position, SubmissionRefusal Refusal, string? Message, string? Field = null, TimeSpan? RetryAfter = null)
{
    public bool Accepted => JobId is not null;

    public static SubmissionResult Accept(string jobId, int position) => new(jobId, position, SubmissionRefusal.None, null);
    public static SubmissionResult Refuse(SubmissionRefusal why, string message, string? field = null, TimeSpan? retryAfter = null) =>
        new(null, 0, why, message, field, retryAfter);
}

/// <summary>
/// The one way in for new jobs and cancellations, for the Studio, the hub and the HTTP API alike. A submission is two
/// steps: <see cref="Admit"/> before any image is decoded (the rate limits and the number of styles: cheap checks that
/// keep a flood from costing the server decoding work), then <see cref="SubmitAsync"/> with the decoded images.
/// </summary>
public sealed class JobSubmission(
    IJobBoard board,
    IBackboneCatalog catalog,
    IOptions<EngineOptions> options,
    SubmissionRateLimiter rateLimiter,
    TimeProvider time)
{
    /// <summary>The backbones a request may name, and the default.</summary>
    public IBackboneCatalog Backbones => catalog;

    /// <summary>Style images one job may blend at most (<see cref="EngineOptions.MaxStyles"/>).</summary>
    public int MaxStyles => options.Value.MaxStyles;

    /// <summary>
    /// Takes one submission from the requester's rate budgets and checks the number of style images; null when the
    /// caller may go on to decode and <see cref="SubmitAsync"/>. Every attempt counts, so refused requests cannot probe the server.
    /// </summary>
    public SubmissionResult? Admit(Requester requester, int styleCount)
    {
        if (string.IsNullOrEmpty(requester.OwnerId))
            return SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, "The request has no browser session.");
        if (rateLimiter.TryAcquire(requester) is { } tooFast)
            return SubmissionResult.Refuse(SubmissionRefusal.RateLimited, tooFast.Message, retryAfter: tooFast.RetryAfter);
        return CheckStyleCount(styleCount);
    }

    SubmissionResult? CheckStyleCount(int styleCount) => styleCount switch
    {
        0 => SubmissionResult.Refuse(SubmissionRefusal.InvalidRequest, "At least one style image is needed.", "style"),
        _ when styleCount > MaxStyles => SubmissionResult.Refuse(SubmissionRefusal.TooManyStyles,
            $"A job blends at most {MaxStyles} style images (got {styleCount}).", "style"),
        _ => null,
    };

    /// <summary>
    /// Validates, applies the queue's limits and queues; never throws for a bad request, a full queue or a queue that
    /// cannot be reached. Call <see cref="Admit"/> first. Accepted: the images are the queue's; refused: still the caller's.
    /// </summary>
    public async Task<SubmissionResult> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var limits = options.Value;
        if (CheckStyleCount(request.Styles.Count) is { } styleProblem) return styleProblem;

        var backbone = catalog.Find(request.Backbone);
        if (backbone is null)
            return SubmissionResult.Refuse(SubmissionRefusal.UnknownBackbone, catalog.WhyNotFound(request.Backbone), "backbone");

        var transfer = request.Options ?? backbone.Defaults;
        var (problem, field) = (transfer.Validate(backbone.Layers.Select(l => l.Name).ToArray()), "options");
        if (problem is null && transfer.Iterations > limits.MaxIterations)
            (problem, field) = ($"This server runs at most {limits.MaxIterations} iterations per job (asked for {transfer.Iterations}).", "iterations");
        if (problem is null && transfer.MaxSide > limits.MaxSide)
            (problem, field) = ($"This server works at most at {limits.MaxSide} px (asked for {transfer.MaxSide}).", "size");
        if (problem is null && TransferSettingsRecipe.Fits(transfer, backbone, request.Styles.Count) is { } misfit)
            (problem, field) = (misfit.Message, misfit.Field);
        if (problem is not null)
            return SubmissionResult.Refuse(SubmissionRefusal.InvalidOptions, problem, field);

        var ticket = new JobTicket(StyleTransferJob.NewId(), request.Requester, backbone.Name, transfer, time.GetUtcNow(), request.Content, request.Styles);
        EnqueueResult queued;
        try { queued = await board.EnqueueAsync(ticket, cancellationToken); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            queued = new EnqueueResult(EnqueueOutcome.Unavailable);
        }
        return queued.Outcome switch
        {
            EnqueueOutcome.Accepted => SubmissionResult.Accept(ticket.Id, queued.Position),
            EnqueueOutcome.OwnerLimit => SubmissionResult.Refuse(SubmissionRefusal.OwnerLimit,
                $"You already have {board.MaxQueuedPerOwner} jobs waiting; wait for one to start or cancel one."),
            EnqueueOutcome.AddressLimit => SubmissionResult.Refuse(SubmissionRefusal.OwnerLimit,
                $"Your network address already has {board.MaxQueuedPerAddress} jobs waiting; wait for one to start."),
            EnqueueOutcome.QueueFull => SubmissionResult.Refuse(SubmissionRefusal.QueueFull,
                $"The queue is full ({board.Capacity} jobs waiting); try again in a little while."),
            EnqueueOutcome.Unavailable => SubmissionResult.Refuse(SubmissionRefusal.QueueUnavailable,
                "The queue is unavailable right now, so no job can be started; try again in a minute."),
            _ => SubmissionResult.Refuse(SubmissionRefusal.ShuttingDown, "The server is shutting down."),
        };
    }

    /// <summary>
    /// Asks <paramref name="ownerId"/>'s job to stop: a waiting job ends at once, a running one within one iteration.
    /// Someone else's job is <see cref="CancelOutcome.NotOwner"/>; one that cannot be reached, <see cref="CancelOutcome.Unavailable"/>.
    /// </summary>
    public async Task<CancelOutcome> CancelAsync(string jobId, string? ownerId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(ownerId)) return CancelOutcome.NotOwner;
        try { return await board.CancelAsync(jobId, ownerId, "Cancelled by its owner.", cancellationToken); }
        catch (Exception ex) when (ex is not OperationCanceledException) { return CancelOutcome.Unavailable; }
    }
}
