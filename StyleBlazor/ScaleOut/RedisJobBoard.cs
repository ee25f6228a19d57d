using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StyleBlazor.Jobs;

namespace StyleBlazor.ScaleOut;

/// <summary>
/// The jobs of a deployment of several nodes, as a web node sees them: queued in Redis (<see cref="RedisJobStore"/>) for
/// any worker to take, with the queue's limits over all nodes. The owner-gone policy covers the jobs submitted through
/// this node (an owner's circuits stay on one node: the balancer's session affinity).
/// </summary>
public sealed class RedisJobBoard(RedisJobStore store, IOptions<EngineOptions> options) : IJobBoard
{
    readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _submittedHere = new(StringComparer.Ordinal);

    public int Capacity => options.Value.QueueCapacity;
    public int MaxQueuedPerOwner => options.Value.MaxQueuedPerOwner;
    public int MaxQueuedPerAddress => options.Value.MaxQueuedPerAddress;

    public async Task<EnqueueResult> EnqueueAsync(JobTicket ticket, CancellationToken cancellationToken = default)
    {
        var result = await store.EnqueueAsync(ticket, Capacity, MaxQueuedPerOwner, MaxQueuedPerAddress);
        if (result.Outcome != EnqueueOutcome.Accepted) return result;
        // In Redis now: this node keeps nothing of the pictures.
        ticket.DisposeImages();
        _submittedHere.GetOrAdd(ticket.Owner.OwnerId, _ => new())[ticket.Id] = 0;
        return result;
    }

    public Task<CancelOutcome> CancelAsync(string jobId, string? ownerId, string reason, CancellationToken cancellationToken = default) =>
        store.CancelAsync(jobId, ownerId, reason);

    public async Task<IReadOnlyList<string>> UnfinishedJobsOfAsync(string ownerId, CancellationToken cancellationToken = default)
    {
        if (!_submittedHere.TryGetValue(ownerId, out var ids)) return [];
        var unfinished = new List<string>();
        foreach (var id in ids.Keys)
        {
            if (await store.SnapshotAsync(id) is { Snapshot.IsFinished: false }) unfinished.Add(id);
            else ids.TryRemove(id, out _);
        }
        return unfinished;
    }

    public async Task<int> WaitingAsync(CancellationToken cancellationToken = default) => (int)await store.WaitingAsync();

    public Task<byte[]?> UnstoredResultPngAsync(string jobId, CancellationToken cancellationToken = default) => store.UnstoredPngAsync(jobId);
}
