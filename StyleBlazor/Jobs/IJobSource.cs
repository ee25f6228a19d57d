namespace StyleBlazor.Jobs;

/// <summary>
/// A job this node runs, held until its end is recorded: the job (registered in this node's <see cref="JobRegistry"/>,
/// so its updates reach watchers), and which attempt this is. Disposing it tells the queue the job is done with.
/// </summary>
public abstract class JobLease(StyleTransferJob job, int attempt) : IAsyncDisposable
{
    public StyleTransferJob Job { get; } = job;

    /// <summary>1 for the first run; more when a worker that ran it went away and this one starts it again.</summary>
    public int Attempt { get; } = attempt;

    /// <summary>
    /// True when a job this node stops at shutdown is run again by another node (the shared queue), so it must not be
    /// ended as Interrupted here; false in one process, where nobody else will run it.
    /// </summary>
    public virtual bool ResumesElsewhere => false;

    public abstract ValueTask DisposeAsync();
}

/// <summary>Where a worker's job loop takes its next job from: this process's queue, or the shared one (Redis).</summary>
public interface IJobSource
{
    /// <summary>Waits for the next job for torch thread <paramref name="slot"/> and leases it to this node.</summary>
    Task<JobLease> NextAsync(int slot, CancellationToken cancellationToken);

    /// <summary>Refuses new jobs and ends those still waiting here as Interrupted (at shutdown).</summary>
    void Close();
}
