using System.Collections.Immutable;

namespace StyleBlazor.Jobs;

/// <summary>Something that happened to a job. Published after the job itself reflects it.</summary>
public abstract record JobEvent(StyleTransferJob Job);

/// <summary>The job is waiting; <paramref name="Position"/> 1 = next to run. Sent whenever the position changes.</summary>
public sealed record JobQueuedEvent(StyleTransferJob Job, int Position) : JobEvent(Job);

public sealed record JobStartedEvent(StyleTransferJob Job) : JobEvent(Job);

/// <summary>One iteration's losses (every iteration, never coalesced).</summary>
public sealed record JobProgressEvent(StyleTransferJob Job, LossRecord Loss) : JobEvent(Job);

/// <summary>A newer, better image, already encoded (rate-limited by <see cref="FrameOptions.MaxFramesPerSecond"/>).</summary>
public sealed record JobFrameEvent(StyleTransferJob Job, EncodedFrame Frame) : JobEvent(Job);

/// <summary>The job reached <paramref name="State"/> (Completed, Failed, Cancelled or Interrupted).</summary>
public sealed record JobEndedEvent(StyleTransferJob Job, JobState State, string? Message, string? ResultLink) : JobEvent(Job);

/// <summary>
/// The one source of job progress: Blazor components and the SignalR relay subscribe here. Handlers run on the
/// publishing thread (for progress: the torch thread), so they must only hand work off (<c>InvokeAsync</c>, a queue)
/// and never block; a handler that throws is logged and does not affect the job or other handlers.
/// </summary>
public sealed class JobEvents(ILogger<JobEvents> logger)
{
    readonly Lock _gate = new();
    ImmutableArray<Action<JobEvent>> _all = [];
    ImmutableDictionary<string, ImmutableArray<Action<JobEvent>>> _byJob = ImmutableDictionary<string, ImmutableArray<Action<JobEvent>>>.Empty;

    /// <summary>Events of one job; dispose the result to stop.</summary>
    public IDisposable Subscribe(string jobId, Action<JobEvent> handler)
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

    /// <summary>Events of every job; dispose the result to stop.</summary>
    public IDisposable SubscribeAll(Action<JobEvent> handler)
    {
        lock (_gate) _all = _all.Add(handler);
        return new Subscription(() => { lock (_gate) _all = _all.Remove(handler); });
    }

    internal void Publish(JobEvent e)
    {
        // Immutable snapshots: publishing never takes the lock, and a handler may (un)subscribe while called.
        foreach (var handler in _all) Invoke(handler, e);
        if (_byJob.TryGetValue(e.Job.Id, out var handlers))
            foreach (var handler in handlers) Invoke(handler, e);
    }

    void Invoke(Action<JobEvent> handler, JobEvent e)
    {
        try { handler(e); }
        catch (Exception ex) { logger.LogWarning(ex, "A job event handler failed on {Event}", e.GetType().Name); }
    }

    sealed class Subscription(Action dispose) : IDisposable
    {
        Action? _dispose = dispose;
        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
