using System.Collections.Immutable;

namespace StyleBlazor.Jobs;

/// <summary>
/// This process's announcements of job updates, numbered per job (<see cref="StyleTransferJob.Apply"/>). The feed
/// (<see cref="JobFeed"/>) is its subscriber; handlers run on the announcing thread (for progress: the torch thread)
/// under the job's lock, so they must only hand work off and never block. A handler that throws is logged and affects
/// neither the job nor other handlers.
/// </summary>
public sealed class JobEvents(ILogger<JobEvents> logger)
{
    public delegate void Handler(long sequence, JobUpdate update);

    readonly Lock _gate = new();
    ImmutableDictionary<string, ImmutableArray<Handler>> _byJob = ImmutableDictionary<string, ImmutableArray<Handler>>.Empty;

    /// <summary>Updates of one job; dispose the result to stop.</summary>
    public IDisposable Subscribe(string jobId, Handler handler)
    {
        lock (_gate) _byJob = _byJob.SetItem(jobId, _byJob.GetValueOrDefault(jobId, []).Add(handler));
        return new Subscription(() =>
        {
            lock (_gate)
            {
                var left = _byJob.GetValueOrDefault(jobId, []).Remove(handler);
                _byJob = left.IsEmpty ? _byJob.Remove(jobId) : _byJob.SetItem(jobId, left);
            }
        });
    }

    /// <summary>Jobs with at least one subscriber (for diagnostics).</summary>
    public int WatchedJobs => _byJob.Count;

    internal void Publish(string jobId, long sequence, JobUpdate update)
    {
        // An immutable snapshot: publishing never takes the lock, and a handler may (un)subscribe while called.
        if (!_byJob.TryGetValue(jobId, out var handlers)) return;
        foreach (var handler in handlers)
        {
            try { handler(sequence, update); }
            catch (Exception ex) { logger.LogWarning(ex, "A job update handler failed on {Update}", update.GetType().Name); }
        }
    }

    sealed class Subscription(Action dispose) : IDisposable
    {
        Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
