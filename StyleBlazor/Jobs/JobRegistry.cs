using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>
/// Every job the app knows, by id, from submission until <see cref="EngineOptions.FinishedJobRetention"/> after it
/// ended; and the one place a job is ended and that end announced.
/// </summary>
public sealed class JobRegistry(JobEvents events, IOptions<EngineOptions> options, TimeProvider time)
{
    readonly ConcurrentDictionary<string, StyleTransferJob> _jobs = new(StringComparer.Ordinal);

    public StyleTransferJob? Find(string jobId) => _jobs.GetValueOrDefault(jobId);

    public IReadOnlyList<StyleTransferJob> OfOwner(string ownerId) => [.. _jobs.Values.Where(j => j.OwnerId == ownerId).OrderBy(j => j.CreatedAt)];

    public int Count => _jobs.Count;

    internal void Add(StyleTransferJob job) => _jobs[job.Id] = job;

    internal void Remove(StyleTransferJob job) => _jobs.TryRemove(job.Id, out _);

    /// <summary>Forgets jobs that ended longer ago than the retention (their result image goes with them).</summary>
    public int Prune()
    {
        var cutoff = time.GetUtcNow() - options.Value.FinishedJobRetention;
        int removed = 0;
        foreach (var job in _jobs.Values)
            if (job.EndedAt is { } ended && ended < cutoff && _jobs.TryRemove(job.Id, out _)) removed++;
        return removed;
    }

    /// <summary>Ends a job (Failed, Cancelled or Interrupted) and announces it; false when it had already ended.</summary>
    internal bool Finish(StyleTransferJob job, JobState state, string? message, bool onlyIfQueued = false)
    {
        if (!job.End(state, message, time.GetUtcNow(), onlyIfQueued)) return false;
        events.Publish(new JobEndedEvent(job, state, message, null));
        return true;
    }

    internal void Complete(StyleTransferJob job, TransferResult result, EncodedFrame best)
    {
        job.Complete(result, best, time.GetUtcNow());
        events.Publish(new JobEndedEvent(job, JobState.Completed, null, ResultLink(job)));
    }

    /// <summary>Where a completed job's image is served (see the result endpoint).</summary>
    public static string ResultLink(StyleTransferJob job) => $"/api/jobs/{job.Id}/result";
}
