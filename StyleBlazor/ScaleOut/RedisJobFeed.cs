using System.Runtime.CompilerServices;
using StackExchange.Redis;
using StyleBlazor.Jobs;
using StyleBlazor.Results;

namespace StyleBlazor.ScaleOut;

/// <summary>
/// Following a job that may run on any worker: subscribe to its channel first, then read its snapshot (with the number
/// of the last update in it) from Redis, then pass on what is newer, through the same per-watcher buffer as one process
/// uses. Frames stay coalesced per watcher, on the node that holds the watcher.
/// </summary>
public sealed class RedisJobFeed(RedisJobStore store, FrameStatistics statistics, IJobResultSink results, ILogger<RedisJobFeed> logger) : IJobFeed
{
    public async Task<JobUpdate.Snapshot?> SnapshotAsync(string jobId, CancellationToken cancellationToken = default) =>
        await store.SnapshotAsync(jobId) is { } found && !await IsWithdrawnAsync(found.Snapshot, cancellationToken) ? found.Snapshot : null;

    public Task<JobUpdate.Frame?> FrameAsync(string jobId, int iteration, CancellationToken cancellationToken = default) =>
        store.FrameAsync(jobId, iteration);

    async Task<bool> IsWithdrawnAsync(JobUpdate.Snapshot snapshot, CancellationToken cancellationToken) =>
        snapshot.ResultId is { } resultId && await results.IsWithdrawnAsync(resultId, cancellationToken);

    public async IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new WatcherBuffer(statistics);
        var subscription = await store.Subscriber.SubscribeAsync(store.Updates(jobId));
        subscription.OnMessage(message =>
        {
            try
            {
                var (sequence, update) = RedisJobStore.Parse(message.Message!);
                buffer.Add(sequence, update);
            }
            catch (Exception ex) { logger.LogWarning(ex, "An update of job {JobId} could not be read", jobId); }
        });
        try
        {
            if (await store.SnapshotAsync(jobId) is not { } found || await IsWithdrawnAsync(found.Snapshot, cancellationToken)) yield break;
            buffer.DropUpTo(found.Sequence);
            yield return found.Snapshot;
            if (found.Snapshot.IsFinished) yield break;
            while (true)
            {
                var update = await buffer.TakeAsync(cancellationToken);
                yield return update;
                if (update is JobUpdate.Ended) yield break;
            }
        }
        finally
        {
            await subscription.UnsubscribeAsync();
        }
    }
}
