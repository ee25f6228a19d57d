using Microsoft.AspNetCore.Components;
using StyleBlazor.Studio;

namespace StyleBlazor.Components.Progression;

/// <summary>
/// A page that follows one job live: subscribes through <see cref="IStudioJobs.Watch"/>, applies each event to a
/// <see cref="JobTimeline"/> on the renderer's dispatcher, hands new frames to the canvas and re-renders at most a few
/// times a second (losses arrive every iteration; the chart need not redraw that often).
/// </summary>
public abstract class JobViewBase : ComponentBase, IDisposable
{
    static readonly TimeSpan MinRenderInterval = TimeSpan.FromMilliseconds(150);

    IDisposable? _subscription;
    DateTime _lastRender;
    bool _renderScheduled;
    bool _disposed;

    [Inject] protected IStudioJobs Jobs { get; set; } = default!;

    protected JobTimeline? Timeline { get; private set; }

    /// <summary>The canvas new frames go to; null while the page shows something else (e.g. the replay).</summary>
    protected ProgressionCanvas? LiveCanvas { get; set; }

    /// <summary>Starts following <paramref name="jobId"/>; keeps <paramref name="existing"/>'s frames when re-following. False when the job is unknown.</summary>
    protected bool Follow(string jobId, JobTimeline? existing = null)
    {
        StopFollowing();
        Timeline = existing ?? new JobTimeline(jobId);
        var timeline = Timeline;
        _subscription = Jobs.Watch(jobId, e => _ = InvokeAsync(() => OnJobEvent(timeline, e)));
        return _subscription is not null;
    }

    protected void StopFollowing()
    {
        _subscription?.Dispose();
        _subscription = null;
    }

    /// <summary>Called after an event changed the timeline (on the dispatcher).</summary>
    protected virtual void OnTimelineChanged(StudioJobEvent e) { }

    async Task OnJobEvent(JobTimeline timeline, StudioJobEvent e)
    {
        if (_disposed || !ReferenceEquals(timeline, Timeline)) return;
        var phase = timeline.Phase;
        var frame = timeline.Apply(e);
        OnTimelineChanged(e);
        if (frame is not null && LiveCanvas is not null) LiveCanvas.Show(frame);
        if (timeline.Phase != phase || e is JobSnapshotEvent or JobEndedEvent) Render();
        else RequestRender();
        await Task.CompletedTask;
    }

    void Render()
    {
        _lastRender = DateTime.UtcNow;
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
