using Microsoft.AspNetCore.Components;
using StyleBlazor.Jobs;
using StyleBlazor.Studio;

namespace StyleBlazor.Components.Progression;

/// <summary>
/// A page that follows one job live: reads the job feed (<see cref="IStudioJobs.WatchAsync"/>), applies each update to a
/// <see cref="JobTimeline"/> on the renderer's dispatcher, and re-renders at most a few times a second (losses arrive
/// every iteration; the chart need not redraw that often), handing the newest frame to the canvas with each render.
/// </summary>
public abstract class JobViewBase : ComponentBase, IDisposable
{
    // Each render is a frame the browser lays out, paints and composites; on a machine it shares with the engine, 300 ms
    // rather than 150 gave the Studio run 3-4 % of its time back (docs/performance.md). A new picture goes to the canvas
    // with a render, not on its own, so that the browser draws both in one frame rather than two.
    static readonly TimeSpan MinRenderInterval = TimeSpan.FromMilliseconds(300);

    CancellationTokenSource? _following;
    DateTime _lastRender;
    JobUpdate.Frame? _frameToShow;
    bool _renderScheduled;
    bool _disposed;

    [Inject] protected IStudioJobs Jobs { get; set; } = default!;

    protected JobTimeline? Timeline { get; private set; }

    /// <summary>The canvas new frames go to; null while the page shows something else (e.g. the replay).</summary>
    protected ProgressionCanvas? LiveCanvas { get; set; }

    /// <summary>
    /// Starts following <paramref name="jobId"/>; keeps <paramref name="existing"/>'s frames when re-following. Completes
    /// once the job's snapshot is applied; false when the job is unknown (or its result was revoked).
    /// </summary>
    protected async Task<bool> FollowAsync(string jobId, JobTimeline? existing = null)
    {
        StopFollowing();
        var timeline = Timeline = existing ?? new JobTimeline(jobId);
        var following = _following = new CancellationTokenSource();
        var updates = Jobs.WatchAsync(jobId, following.Token).GetAsyncEnumerator(following.Token);
        try
        {
            if (!await updates.MoveNextAsync())
            {
                await updates.DisposeAsync();
                return false;
            }
        }
        catch (OperationCanceledException)
        {
            await updates.DisposeAsync();
            return false;
        }
        Apply(timeline, updates.Current);
        _ = ReadOnAsync(timeline, updates, following.Token);
        return true;
    }

    // The feed's buffer coalesces frames while this loop waits for the dispatcher, so a busy page gets the newest one.
    async Task ReadOnAsync(JobTimeline timeline, IAsyncEnumerator<JobUpdate> updates, CancellationToken cancellationToken)
    {
        try
        {
            while (await updates.MoveNextAsync())
            {
                var update = updates.Current;
                await InvokeAsync(() => Apply(timeline, update));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        catch (ObjectDisposedException) when (_disposed) { } // the circuit went away mid-update
        finally
        {
            await updates.DisposeAsync();
        }
    }

    protected void StopFollowing()
    {
        _following?.Cancel();
        _following?.Dispose();
        _following = null;
    }

    /// <summary>Called after an update changed the timeline (on the dispatcher).</summary>
    protected virtual void OnTimelineChanged(JobUpdate update) { }

    void Apply(JobTimeline timeline, JobUpdate update)
    {
        if (_disposed || !ReferenceEquals(timeline, Timeline)) return;
        var state = timeline.State;
        var frame = timeline.Apply(update);
        OnTimelineChanged(update);
        if (frame is not null) _frameToShow = frame;
        // The run's first picture is shown at once (the first frame is what a waiting user looks for).
        bool firstFrame = frame is not null && LiveCanvas is { HasFrame: false };
        if (firstFrame || timeline.State != state || update is JobUpdate.Snapshot or JobUpdate.Ended or JobUpdate.Started) Render();
        else RequestRender();
    }

    void Render()
    {
        _lastRender = DateTime.UtcNow;
        if (_frameToShow is { } frame) LiveCanvas?.Show(frame);
        _frameToShow = null;
        StateHasChanged();
    }

    void RequestRender()
    {
        var wait = MinRenderInterval - (DateTime.UtcNow - _lastRender);
        if (wait <= TimeSpan.Zero) Render();
        else if (!_renderScheduled)
        {
            _renderScheduled = true;
            _ = RenderLater(wait);
        }
    }

    async Task RenderLater(TimeSpan wait)
    {
        await Task.Delay(wait);
        await InvokeAsync(() =>
        {
            _renderScheduled = false;
            if (!_disposed) Render();
        });
    }

    public virtual void Dispose()
    {
        _disposed = true;
        StopFollowing();
        GC.SuppressFinalize(this);
    }
}
