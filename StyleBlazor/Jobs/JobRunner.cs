using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Results;

namespace StyleBlazor.Jobs;

/// <summary>
/// The queue loop (in the shape of ASP.NET Core's queued background-task sample): one loop per torch thread of the
/// <see cref="BackboneHost"/> takes the next job and runs it there, reports every iteration and improved frame, stores
/// the result and ends the job. A job's failure is recorded on the job and never stops the loop; at shutdown running
/// and waiting jobs end as Interrupted.
/// </summary>
public sealed class JobRunner(
    IJobSource source,
    JobRegistry jobs,
    BackboneHost host,
    FrameEncoder encoder,
    IJobResultSink results,
    IOptions<EngineOptions> options,
    TimeProvider time,
    ILogger<JobRunner> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, host.Slots).Select(slot => WorkAsync(slot, stoppingToken)));

    async Task WorkAsync(int slot, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            JobLease lease;
            try { lease = await source.NextAsync(slot, stoppingToken); }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException) { return; }

            await using (lease)
            {
                try { await RunAsync(lease, slot, stoppingToken); }
                catch (Exception ex)
                {
                    // RunAsync records failures itself; this is the last guard so that nothing escapes ExecuteAsync.
                    var errorId = ErrorId.New();
                    logger.LogError(ex, "Job {JobId} broke the worker loop (error {ErrorId})", lease.Job.Id, errorId);
                    jobs.End(lease.Job, JobState.Failed, FailedMessage(errorId));
                }
            }
            jobs.Prune();
        }
    }

    async Task RunAsync(JobLease lease, int slot, CancellationToken stoppingToken)
    {
        var job = lease.Job;
        if (!jobs.Record(job, new JobUpdate.Started(lease.Attempt))) return; // cancelled while a worker was picking it up
        logger.LogInformation("Job {JobId} started on torch thread {Slot} ({Backbone}, {Iterations} iterations, attempt {Attempt})",
            job.Id, slot, job.Backbone, job.Options.Iterations, lease.Attempt);

        using var timeout = new CancellationTokenSource(options.Value.JobTimeout, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, job.CancellationToken, timeout.Token);
        var recorder = results.CreateRecorder();
        var frames = new JobFramePump(job, encoder, jobs, time, logger, recorder.Add);
        try
        {
            var result = await host.RunAsync(slot, job.Backbone, (backbone, thread) => StyleTransfer.Run(
                backbone, job.Content, job.Styles, job.Options,
                progress =>
                {
                    OnProgress(job, progress, frames);
                    thread.RunWorkBetweenIterations();
                },
                frames.WantsFrame,
                stop.Token,
                host.ContentTargets));
            await frames.FlushAsync();
            job.SetResult(result);
            // The best image is the last word for watchers, unless they already have that very iteration.
            if (result.BestIteration > (job.LatestFrame?.Iteration ?? -1))
                jobs.Record(job, encoder.Encode(result.BestImage, result.BestIteration));
            var (stored, notStored) = await StoreAsync(job, ResultOutcome.Completed, result.BestImage, result.BestIteration, result.IterationsRun, result.Elapsed, recorder);
            jobs.End(job, JobState.Completed, notStored, stored?.Path);
            logger.LogInformation("Job {JobId} completed: best J {Loss} at iteration {Iteration}, {Reused} content targets kept from earlier jobs, in {Elapsed}",
                job.Id, result.BestLoss.Total, result.BestIteration, result.ContentTargetsReused, result.Elapsed);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested && !job.CancellationToken.IsCancellationRequested && lease.ResumesElsewhere)
        {
            // This node stops; another runs the job again from the start (its watchers see it restart).
            await frames.FlushAsync();
            logger.LogInformation("Job {JobId} handed back to the queue: this node is stopping", job.Id);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await frames.FlushAsync();
            // A stopped run that painted something keeps its best frame so far, like a finished one.
            var outcome = job.CancellationToken.IsCancellationRequested ? ResultOutcome.Cancelled
                : stoppingToken.IsCancellationRequested ? ResultOutcome.Interrupted : (ResultOutcome?)null;
            var (stored, _) = outcome is { } o && frames.LastSubmitted is { } last
                ? await StoreAsync(job, o, last.Frame, last.Iteration, job.LossCount, time.GetUtcNow() - (job.StartedAt ?? job.CreatedAt), recorder)
                : default;
            if (job.CancellationToken.IsCancellationRequested)
                jobs.End(job, JobState.Cancelled, job.CancelReason ?? "Cancelled.", stored?.Path);
            else if (stoppingToken.IsCancellationRequested)
                jobs.End(job, JobState.Interrupted, "The server shut down while this job was running.", stored?.Path);
            else
                jobs.End(job, JobState.Failed, $"The job ran longer than this server's limit of {options.Value.JobTimeout}.");
            logger.LogInformation("Job {JobId} stopped: {State} ({Reason})", job.Id, job.State, job.Message);
        }
        catch (Exception ex) when (IsOutOfMemory(ex))
        {
            // The run's dispose scopes have released its tensors by now; name a size that should fit (memory grows
            // with the square of the side, so half the side needs about a quarter).
            await frames.FlushAsync();
            int fits = Math.Max(16, job.Options.MaxSide / 2);
            logger.LogWarning(ex, "Job {JobId} ran out of memory at {Side} px", job.Id, job.Options.MaxSide);
            jobs.End(job, JobState.Failed, $"The server ran out of memory for this job at {job.Options.MaxSide} px; try {fits} px or smaller.");
        }
        catch (Exception ex)
        {
            // Every watcher of the job reads its end: the details (paths, library internals) go to the log only.
            await frames.FlushAsync();
            var errorId = ErrorId.New();
            logger.LogError(ex, "Job {JobId} failed (error {ErrorId})", job.Id, errorId);
            jobs.End(job, JobState.Failed, FailedMessage(errorId));
        }
    }

    internal static string FailedMessage(string errorId) =>
        $"The transfer failed on the server (error {errorId}). Try again; if it fails again, tell the server's operator this error id.";

    /// <summary>.NET's own, or libtorch's (surfaced by TorchSharp as an ExternalException saying "out of memory").</summary>
    internal static bool IsOutOfMemory(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is OutOfMemoryException
                || (ex is System.Runtime.InteropServices.ExternalException && ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)))
                return true;
        return false;
    }

    /// <summary>
    /// Stores the result for its share link; a storage fault (or a full store) is logged and never fails the job: it
    /// ends with what to tell its owner instead, and its picture stays downloadable from memory (JobResults).
    /// </summary>
    async Task<(ShareLink? Link, string? NotStored)> StoreAsync(StyleTransferJob job, ResultOutcome outcome, RgbFrame image, int bestIteration,
        int iterationsRun, TimeSpan elapsed, ProgressionRecorder recorder)
    {
        var kept = $"Download it now: the server keeps it for {Duration(options.Value.FinishedJobRetention)}.";
        try
        {
            var link = await results.SaveAsync(new NewResult(job.Id, job.OwnerId, outcome, job.Backbone, job.Options, image, bestIteration,
                iterationsRun, elapsed, job.Content, job.Styles, job.LossHistory(), recorder.Frames));
            job.SetStoredResult(link.ResultId, link.Path);
            return (link, null);
        }
        catch (ResultStorageFullException)
        {
            logger.LogWarning("Job {JobId} was not stored: the results' storage is full; its result stays reachable in memory only", job.Id);
            return (null, $"This server's storage for results is full, so this picture was not kept and has no share link. {kept}");
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {JobId} could not be stored; its result stays reachable in memory only", job.Id);
            return (null, $"The result could not be stored, so it has no share link. {kept}");
        }
    }

    static string Duration(TimeSpan span) => span.TotalHours >= 1
        ? FormattableString.Invariant($"{span.TotalHours:0.#} hour{(span.TotalHours == 1 ? "" : "s")}")
        : FormattableString.Invariant($"{Math.Max(1, span.TotalMinutes):0} minutes");

    // On the torch thread, once per iteration: record, announce, hand the frame off. Never blocks.
    void OnProgress(StyleTransferJob job, TransferProgress p, JobFramePump frames)
    {
        double seconds = p.Elapsed.TotalSeconds;
        double perSecond = p.Iteration > 0 && seconds > 0 ? p.Iteration / seconds : 0;
        // The engine's estimate, not iterations left at the mean pace: a coarse-to-fine run's first steps are many times
        // cheaper than its last, so that would promise half the real time.
        double? eta = p.Remaining?.TotalSeconds;
        var record = new LossRecord(p.Iteration, p.Loss.Total, p.Loss.Content, p.Loss.Style, p.Loss.TotalVariation,
            p.Loss.StyleLayers, seconds, perSecond, eta);
        jobs.Record(job, new JobUpdate.Progress(record));
        if (p.Frame is { } frame) frames.Submit(p.Iteration, frame);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        source.Close();
        await base.StopAsync(cancellationToken); // cancels running jobs (they end as Interrupted, or go back to the shared queue)
    }
}
