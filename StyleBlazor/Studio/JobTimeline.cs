using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;

namespace StyleBlazor.Studio;

/// <summary>
/// The UI's picture of one job, built from its <see cref="JobUpdate"/>s: state, queue position, every iteration's losses
/// and the improved frames (for the replay). Not thread-safe: apply updates on the component's dispatcher
/// (<c>InvokeAsync</c>), which is where they are read too.
/// </summary>
public sealed class JobTimeline(string jobId)
{
    /// <summary>Frames kept for the replay and the GIF; the oldest improved frames are thinned out beyond it.</summary>
    public const int MaxFrames = 240;

    readonly List<LossRecord> _losses = [];
    readonly List<JobUpdate.Frame> _frames = [];

    public string JobId { get; } = jobId;
    public JobState State { get; private set; } = JobState.Queued;
    public int Position { get; private set; }
    public int Attempt { get; private set; }
    public StyleTransferOptions? Options { get; private set; }
    public string? Backbone { get; private set; }
    public string? Message { get; private set; }

    /// <summary>The stored result's permanent link (<c>/r/{token}</c>) once the job has ended with one; nothing replaces it.</summary>
    public string? ShareLink { get; private set; }
    public IReadOnlyList<LossRecord> Losses => _losses;
    public IReadOnlyList<JobUpdate.Frame> Frames => _frames;
    public JobUpdate.Frame? LatestFrame => _frames.Count > 0 ? _frames[^1] : null;
    public LossRecord? LastLoss => _losses.Count > 0 ? _losses[^1] : null;

    public int TotalIterations => Options?.Iterations ?? 0;

    /// <summary>Iterations done: the last reported iteration (iteration 0 is the initial image).</summary>
    public int IterationsDone => LastLoss?.Iteration ?? 0;

    public bool IsFinished => State.IsFinished();

    /// <summary>
    /// The run has reached its last iteration but the job has not ended: the result is being stored (encoding the PNG,
    /// the replay and the GIF can take seconds). Nothing can be cancelled any more.
    /// </summary>
    public bool IsSaving => State == JobState.Running && TotalIterations > 0 && IterationsDone >= TotalIterations;

    /// <summary>Applies one update; returns the frame it brought, if any, so the caller can draw it.</summary>
    public JobUpdate.Frame? Apply(JobUpdate update)
    {
        switch (update)
        {
            case JobUpdate.Snapshot s:
                // Following again (back from another page) keeps the frames already seen, unless the job restarted.
                if (s.Attempt != Attempt) _frames.Clear();
                (State, Position, Attempt, Options, Backbone, Message, ShareLink) = (s.State, s.Position, s.Attempt, s.Options, s.Backbone, s.Message, s.ShareLink);
                _losses.Clear();
                _losses.AddRange(s.History);
                return s.LatestFrame is { } latest && AddFrame(latest) ? latest : null;
            case JobUpdate.Queued q when !IsFinished:
                (State, Position) = (JobState.Queued, q.Position);
                return null;
            case JobUpdate.Started s when !IsFinished && s.Attempt > Attempt:
                if (Attempt > 0)
                {
                    // A restart from the beginning (its worker went away): this run's picture starts over.
                    _losses.Clear();
                    _frames.Clear();
                }
                (State, Position, Attempt) = (JobState.Running, 0, s.Attempt);
                return null;
            case JobUpdate.Progress p:
                if (State == JobState.Queued) State = JobState.Running;
                if (_losses.Count == 0 || p.Loss.Iteration > _losses[^1].Iteration) _losses.Add(p.Loss);
                return null;
            case JobUpdate.Frame f:
                if (State == JobState.Queued) State = JobState.Running;
                return AddFrame(f) ? f : null;
            case JobUpdate.Ended e:
                (State, Position, Message, ShareLink) = (e.State, 0, e.Message, e.ShareLink ?? ShareLink);
                return null;
            default:
                return null;
        }
    }

    bool AddFrame(JobUpdate.Frame frame)
    {
        if (_frames.Count > 0 && frame.Iteration <= _frames[^1].Iteration) return false;
        _frames.Add(frame);
        // Thin the middle rather than dropping the start: the replay should still show where the run began.
        if (_frames.Count > MaxFrames) _frames.RemoveAt(1 + (_frames.Count - 2) % (MaxFrames - 2));
        return true;
    }
}
