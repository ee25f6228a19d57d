using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Studio;

/// <summary>
/// The UI's picture of one job, built from its events: phase, queue position, every iteration's losses and the
/// improved frames (for the replay). Not thread-safe: apply events on the component's dispatcher
/// (<c>InvokeAsync</c>), which is where they are read too.
/// </summary>
public sealed class JobTimeline(string jobId)
{
    /// <summary>Frames kept for the replay and the GIF; the oldest improved frames are thinned out beyond it.</summary>
    public const int MaxFrames = 240;

    readonly List<LossPoint> _losses = [];
    readonly List<FrameImage> _frames = [];

    public string JobId { get; } = jobId;
    public JobPhase Phase { get; private set; } = JobPhase.Queued;
    public int Position { get; private set; }
    public StyleTransferOptions? Options { get; private set; }
    public string? Backbone { get; private set; }
    public string? Message { get; private set; }
    public string? ResultLink { get; private set; }
    public IReadOnlyList<LossPoint> Losses => _losses;
    public IReadOnlyList<FrameImage> Frames => _frames;
    public FrameImage? LatestFrame => _frames.Count > 0 ? _frames[^1] : null;
    public LossPoint? LastLoss => _losses.Count > 0 ? _losses[^1] : null;

    public int TotalIterations => Options?.Iterations ?? 0;

    /// <summary>Iterations done: the last reported iteration (iteration 0 is the initial image).</summary>
    public int IterationsDone => LastLoss?.Iteration ?? 0;

    public bool IsFinished => Phase is JobPhase.Completed or JobPhase.Failed or JobPhase.Cancelled;

    /// <summary>Applies one event; returns the frame it brought, if any, so the caller can draw it.</summary>
    public FrameImage? Apply(StudioJobEvent e)
    {
        switch (e)
        {
            case JobSnapshotEvent s:
                (Phase, Position, Options, Backbone, Message, ResultLink) = (s.Phase, s.Position, s.Options, s.Backbone, s.Message, s.ResultLink);
                _losses.Clear();
                _losses.AddRange(s.History);
                if (s.LatestFrame is not null) AddFrame(s.LatestFrame);
                return s.LatestFrame;
            case JobQueuedEvent q when !IsFinished:
                (Phase, Position) = (JobPhase.Queued, q.Position);
                return null;
            case JobStartedEvent when !IsFinished:
                (Phase, Position) = (JobPhase.Running, 0);
                return null;
            case JobLossEvent l:
                if (Phase == JobPhase.Queued) Phase = JobPhase.Running;
                if (_losses.Count == 0 || l.Loss.Iteration > _losses[^1].Iteration) _losses.Add(l.Loss);
                return null;
            case JobFrameEvent f:
                if (Phase == JobPhase.Queued) Phase = JobPhase.Running;
                return AddFrame(f.Frame) ? f.Frame : null;
            case JobEndedEvent end:
                (Phase, Position, Message, ResultLink) = (end.Phase, 0, end.Message, end.ResultLink ?? ResultLink);
                return null;
            default:
                return null;
        }
    }

    bool AddFrame(FrameImage frame)
    {
        if (_frames.Count > 0 && frame.Iteration <= _frames[^1].Iteration) return false;
        _frames.Add(frame);
        // Thin the middle rather than dropping the start: the replay should still show where the run began.
        if (_frames.Count > MaxFrames) _frames.RemoveAt(1 + (_frames.Count - 2) % (MaxFrames - 2));
        return true;
    }
}
