namespace StyleBlazor.Jobs;

public enum EnqueueOutcome { Accepted, QueueFull, OwnerLimit, AddressLimit, Closed, Unavailable }

/// <summary>A queued job's place (1 = next), or why it was not queued.</summary>
public sealed record EnqueueResult(EnqueueOutcome Outcome, int Position = 0);

public enum CancelOutcome { Cancelled, NotFound, NotOwner, AlreadyEnded, Unavailable }

/// <summary>
/// The jobs of this deployment as the web side sees them: where they wait, and stopping them. In one process
/// (<see cref="LocalJobBoard"/>, the default) or across nodes through Redis (<see cref="ScaleOut.RedisJobBoard"/>); the
/// feed (<see cref="IJobFeed"/>) is its reading side, the job source (<see cref="IJobSource"/>) its worker side.
/// </summary>
public interface IJobBoard
{
    /// <summary>Where the limits come from: the queue's capacity and its per-owner and per-address limits.</summary>
    int Capacity { get; }
    int MaxQueuedPerOwner { get; }
    int MaxQueuedPerAddress { get; }

    /// <summary>Queues a job, or says why not; never waits for room. Accepted: the board owns the ticket's pictures.</summary>
    Task<EnqueueResult> EnqueueAsync(JobTicket ticket, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks a job to stop on behalf of <paramref name="ownerId"/> (null: whoever asks, e.g. the owner-gone policy): a
    /// waiting job ends at once, a running one within one iteration on the worker that runs it.
    /// </summary>
    Task<CancelOutcome> CancelAsync(string jobId, string? ownerId, string reason, CancellationToken cancellationToken = default);

    /// <summary>The jobs <paramref name="ownerId"/> submitted through this node that have not ended (for the owner-gone policy).</summary>
    Task<IReadOnlyList<string>> UnfinishedJobsOfAsync(string ownerId, CancellationToken cancellationToken = default);

    /// <summary>Jobs waiting now, over every node.</summary>
    Task<int> WaitingAsync(CancellationToken cancellationToken = default);

    /// <summary>The PNG of a finished job whose result could not be stored (so it has no file to serve); null otherwise.</summary>
    Task<byte[]?> UnstoredResultPngAsync(string jobId, CancellationToken cancellationToken = default);
}
