using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace StyleBlazor.Jobs;

/// <summary>
/// Every job this process knows, by id, from submission until <see cref="EngineOptions.FinishedJobRetention"/> after it
/// ended; and the one place a job's state changes and the change is announced (<see cref="Record"/>).
/// </summary>
public sealed class JobRegistry(JobEvents events, IOptions<EngineOptions> options, TimeProvider time)
{
    readonly ConcurrentDictionary<string, StyleTransferJob> _jobs = new(StringComparer.Ordinal);

    /// <summary>The job, or null when it is unknown or forgotten (see <see cref="IJobFeed.SnapshotAsync"/> for what a caller may see).</summary>
    public StyleTransferJob? Find(string jobId) => _jobs.GetValueOrDefault(jobId);

    public IReadOnlyList<StyleTransferJob> OfOwner(string ownerId) => [.. _jobs.Values.Where(j => j.OwnerId == ownerId).OrderBy(j => j.CreatedAt)];

    public int Count => _jobs.Count;

    internal void Add(StyleTransferJob job) => _jobs[job.Id] = job;

    internal void Remove(StyleTransferJob job) => _jobs.TryRemove(job.Id, out _);

    /// <summary>
    /// Applies <paramref name="update"/> to the job and announces it to its watchers; false when it changed nothing
    /// (see <see cref="StyleTransferJob.Apply"/>).
    /// </summary>
    public bool Record(StyleTransferJob job, JobUpdate update) =>
        job.Apply(update, time.GetUtcNow(), (sequence, u) => events.Publish(job.Id, sequence, u));

    /// <summary>Ends a job and announces it; false when it had already ended.</summary>
    public bool End(StyleTransferJob job, JobState state, string? message, string? shareLink = null) =>
        Record(job, new JobUpdate.Ended(state, message, shareLink));

    /// <summary>Forgets jobs that ended longer ago than the retention (their result image goes with them).</summary>
    public int Prune()
    {
        var cutoff = time.GetUtcNow() - options.Value.FinishedJobRetention;
        int removed = 0;
        foreach (var job in _jobs.Values)
            if (job.EndedAt is { } ended && ended < cutoff && _jobs.TryRemove(job.Id, out _)) removed++;
        return removed;
    }
}
