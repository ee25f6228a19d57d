using StyleBlazor.Studio;
using Studio = StyleBlazor.Studio;

namespace StyleBlazor.Jobs;

/// <summary>
/// The studio's narrow view (<see cref="IStudioJobs"/>) of the job service: the same submission path as the hub, and
/// a feed built on <see cref="JobEvents"/>, so components and hub watchers see one source of truth.
/// </summary>
public sealed class StudioJobs(JobSubmission submission, JobRegistry jobs, JobEvents events) : IStudioJobs
{
    public IReadOnlyList<Engine.Backbones.BackboneInfo> Backbones => submission.Backbones;

    public SubmitResult Submit(StudioSubmission request)
    {
        var result = submission.Submit(new JobRequest(request.OwnerId, request.Content, [request.Style], request.Options, request.Backbone));
        if (result.Accepted) return SubmitResult.Accepted(result.Job!.Id);
        // The studio hands its images over either way.
        request.Content.Dispose();
        request.Style.Dispose();
        return SubmitResult.Refused(result.Message ?? result.Refusal.ToString());
    }

    public bool Cancel(string jobId, string ownerId) => submission.Cancel(jobId, ownerId);

    public IDisposable? Watch(string jobId, Action<StudioJobEvent> onEvent)
    {
        var job = jobs.Find(jobId);
        return job is null ? null : new Feed(job, events, onEvent);
    }

    public Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default) =>
        jobs.Find(jobId) is { State: JobState.Completed, Result: { } result }
            ? Task.Run(() => (byte[]?)FrameEncoder.EncodePng(result.BestImage), cancellationToken)
            : Task.FromResult<byte[]?>(null);

    /// <summary>
    /// One viewer's feed: subscribes first and holds live events back until the snapshot is delivered, then passes on
    /// only what the snapshot did not already contain, so nothing is missed or seen twice.
    /// </summary>
    sealed class Feed : IDisposable
    {
        readonly Lock _gate = new();
        readonly Action<StudioJobEvent> _onEvent;
        readonly List<JobEvent> _heldBack = [];
        readonly IDisposable _subscription;
        bool _snapshotSent, _started, _ended;
        int _lastIteration = -1, _lastFrameIteration = -1;

        public Feed(StyleTransferJob job, JobEvents events, Action<StudioJobEvent> onEvent)
        {
            _onEvent = onEvent;
            _subscription = events.Subscribe(job.Id, OnEvent);
            lock (_gate)
            {
                var history = job.LossHistory();
                var frame = job.LatestFrame;
                var state = job.State;
                _lastIteration = history.Length > 0 ? history[^1].Iteration : -1;
                _lastFrameIteration = frame?.Iteration ?? -1;
                _started = state != JobState.Queued;
                _ended = job.IsFinished;
                _onEvent(new JobSnapshotEvent(job.Id, PhaseOf(state), job.Position, job.Options, job.Backbone,
                    [.. history.Select(ToPoint)], frame is null ? null : ToImage(frame), job.Error,
                    state == JobState.Completed ? JobRegistry.ResultLink(job) : null));
                _snapshotSent = true;
                foreach (var e in _heldBack) Pass(e);
                _heldBack.Clear();
            }
        }

        void OnEvent(JobEvent e)
        {
            lock (_gate)
            {
                if (_snapshotSent) Pass(e);
                else _heldBack.Add(e);
            }
        }

        void Pass(JobEvent e)
        {
            switch (e)
            {
                case JobQueuedEvent q when !_started && !_ended:
                    _onEvent(new Studio.JobQueuedEvent(q.Position));
                    break;
                case JobStartedEvent when !_started:
                    _started = true;
                    _onEvent(new Studio.JobStartedEvent());
                    break;
                case JobProgressEvent p when p.Loss.Iteration > _lastIteration:
                    _lastIteration = p.Loss.Iteration;
                    _onEvent(new JobLossEvent(ToPoint(p.Loss)));
                    break;
                case JobFrameEvent f when f.Frame.Iteration > _lastFrameIteration:
                    _lastFrameIteration = f.Frame.Iteration;
                    _onEvent(new Studio.JobFrameEvent(ToImage(f.Frame)));
                    break;
                case JobEndedEvent end when !_ended:
                    _ended = true;
                    _onEvent(new Studio.JobEndedEvent(PhaseOf(end.State), end.Message, end.ResultLink));
                    break;
            }
        }

        public void Dispose() => _subscription.Dispose();
    }

    static JobPhase PhaseOf(JobState state) => state switch
    {
        JobState.Queued => JobPhase.Queued,
        JobState.Running => JobPhase.Running,
        JobState.Completed => JobPhase.Completed,
        JobState.Cancelled => JobPhase.Cancelled,
        _ => JobPhase.Failed, // Failed, and Interrupted by a shutdown (the message says which)
    };

    static LossPoint ToPoint(LossRecord r) =>
        new(r.Iteration, r.Total, r.Content, r.Style, r.StyleLayers, r.IterationsPerSecond, r.EtaSeconds);

    static FrameImage ToImage(EncodedFrame f) => new(f.Iteration, f.Width, f.Height, f.ContentType, f.Bytes);
}
