using System.Runtime.CompilerServices;

namespace StyleBlazor.Jobs;

/// <summary>The jobs of one process (the default, one box): the in-process <see cref="JobQueue"/> and <see cref="JobRegistry"/>.</summary>
public sealed class LocalJobBoard(JobQueue queue, JobRegistry jobs) : IJobBoard
{
    readonly ConditionalWeakTable<StyleTransferJob, byte[]> _unstored = [];

    public int Capacity => queue.Capacity;
    public int MaxQueuedPerOwner => queue.MaxQueuedPerOwner;
    public int MaxQueuedPerAddress => queue.MaxQueuedPerAddress;

    public Task<EnqueueResult> EnqueueAsync(JobTicket ticket, CancellationToken cancellationToken = default)
    {
        var job = new StyleTransferJob(ticket);
        jobs.Prune();
        jobs.Add(job);
        var outcome = queue.TryEnqueue(job);
        if (outcome != EnqueueOutcome.Accepted) jobs.Remove(job);
        return Task.FromResult(new EnqueueResult(outcome, job.Position));
    }

    public Task<CancelOutcome> CancelAsync(string jobId, string? ownerId, string reason, CancellationToken cancellationToken = default)
    {
        var job = jobs.Find(jobId);
        var outcome = job is null ? CancelOutcome.NotFound
            : ownerId is not null && job.OwnerId != ownerId ? CancelOutcome.NotOwner
            : job.IsFinished ? CancelOutcome.AlreadyEnded
            : CancelOutcome.Cancelled;
        if (outcome == CancelOutcome.Cancelled)
        {
            // A waiting job ends here; a running one when its loop sees the token, within one iteration.
            job!.RequestCancel(reason);
            if (queue.TryRemove(job)) jobs.End(job, JobState.Cancelled, job.CancelReason);
        }
        return Task.FromResult(outcome);
    }

    public Task<IReadOnlyList<string>> UnfinishedJobsOfAsync(string ownerId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. jobs.OfOwner(ownerId).Where(j => !j.IsFinished).Select(j => j.Id)]);

    public Task<int> WaitingAsync(CancellationToken cancellationToken = default) => Task.FromResult(queue.Count);

    // Encoded once, on the thread pool, and kept with the job while the registry holds it.
    public async Task<byte[]?> UnstoredResultPngAsync(string jobId, CancellationToken cancellationToken = default) =>
        jobs.Find(jobId) is { IsFinished: true, ResultId: null, Result: { } result } job
            ? await Task.Run(() => _unstored.GetValue(job, _ => FrameEncoder.EncodePng(result.BestImage)), cancellationToken)
            : null;
}

/// <summary>The job loop's source in one process: the in-process queue; a job runs once (attempt 1).</summary>
public sealed class LocalJobSource(JobQueue queue, JobRegistry jobs) : IJobSource
{
    public async Task<JobLease> NextAsync(int slot, CancellationToken cancellationToken) =>
        new Lease(await queue.DequeueAsync(cancellationToken));

    public void Close()
    {
        foreach (var waiting in queue.Close())
            jobs.End(waiting, JobState.Interrupted, "The server shut down before this job started.");
    }

    sealed class Lease(StyleTransferJob job) : JobLease(job, attempt: 1)
    {
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
