using Microsoft.AspNetCore.SignalR;
using StyleBlazor.Jobs;

namespace StyleBlazor.Hubs;

/// <summary>
/// Relays <see cref="JobEvents"/> to hub watchers, one <see cref="WatcherOutbox"/> per connection and job, so each
/// client is coalesced at its own pace and a slow one never holds up the others (or the torch loop).
/// </summary>
public sealed class ProgressRelay : IDisposable
{
    readonly Lock _gate = new();
    readonly Dictionary<string, Dictionary<string, WatcherOutbox>> _watchers = new(StringComparer.Ordinal);
    readonly IHubContext<ProgressHub, IProgressClient> _hub;
    readonly FrameStatistics _statistics;
    readonly ILogger<ProgressRelay> _logger;
    readonly IDisposable _subscription;

    public ProgressRelay(JobEvents events, IHubContext<ProgressHub, IProgressClient> hub, FrameStatistics statistics, ILogger<ProgressRelay> logger)
    {
        _hub = hub;
        _statistics = statistics;
        _logger = logger;
        _subscription = events.SubscribeAll(OnEvent);
    }

    /// <summary>Connections watching a job that has not ended.</summary>
    public int WatcherCount { get { lock (_gate) return _watchers.Values.Sum(w => w.Count); } }

    /// <summary>
    /// Starts relaying <paramref name="job"/> to a connection: first its history and latest frame, then its state,
    /// then live messages. Taken under the same lock as live events, so nothing is missed or sent twice.
    /// </summary>
    public void Watch(string connectionId, StyleTransferJob job) =>
        Watch(connectionId, job, new WatcherOutbox(_hub.Clients.Client(connectionId), _statistics, _logger));

    internal void Watch(string connectionId, StyleTransferJob job, WatcherOutbox outbox)
    {
        lock (_gate)
        {
            if (_watchers.TryGetValue(job.Id, out var existing) && existing.ContainsKey(connectionId)) return;

            var history = job.LossHistory();
            outbox.LastIteration = history.Length > 0 ? history[^1].Iteration : -1;
            var entries = history.Select(LossEntry.From).ToArray();
            outbox.Post(c => c.History(entries));
            if (job.LatestFrame is { } frame)
            {
                outbox.LastFrameIteration = frame.Iteration;
                outbox.PostFrame(frame);
            }
            var state = job.State;
            if (state == JobState.Queued) outbox.Post(c => c.Queued(job.Position));
            else
            {
                outbox.StartedSent = true;
                if (state == JobState.Running) outbox.Post(c => c.Started());
            }
            if (job.IsFinished)
            {
                outbox.EndSent = true;
                outbox.Post(EndMessage(job.State, job.Error, job.State == JobState.Completed ? JobRegistry.ResultLink(job) : null));
                return; // nothing more will happen to it
            }
            if (existing is null) _watchers[job.Id] = existing = new(StringComparer.Ordinal);
            existing[connectionId] = outbox;
        }
    }

    public void Unwatch(string connectionId, string jobId)
    {
        lock (_gate)
        {
            if (!_watchers.TryGetValue(jobId, out var outboxes) || !outboxes.Remove(connectionId, out var outbox)) return;
            outbox.Close();
            if (outboxes.Count == 0) _watchers.Remove(jobId);
        }
    }

    public void Disconnected(string connectionId)
    {
        lock (_gate)
        {
            foreach (var (jobId, outboxes) in _watchers.ToArray())
            {
                if (!outboxes.Remove(connectionId, out var outbox)) continue;
                outbox.Close();
                if (outboxes.Count == 0) _watchers.Remove(jobId);
            }
        }
    }

    // Called on the publisher's thread (the torch thread for progress): only queues.
    void OnEvent(JobEvent e)
    {
        lock (_gate)
        {
            if (!_watchers.TryGetValue(e.Job.Id, out var outboxes)) return;
            foreach (var outbox in outboxes.Values) Relay(e, outbox);
            if (e is JobEndedEvent) _watchers.Remove(e.Job.Id);
        }
    }

    static void Relay(JobEvent e, WatcherOutbox outbox)
    {
        switch (e)
        {
            case JobQueuedEvent q when !outbox.StartedSent && !outbox.EndSent:
                outbox.Post(c => c.Queued(q.Position));
                break;
            case JobStartedEvent when !outbox.StartedSent:
                outbox.StartedSent = true;
                outbox.Post(c => c.Started());
                break;
            case JobProgressEvent p when p.Loss.Iteration > outbox.LastIteration:
                outbox.LastIteration = p.Loss.Iteration;
                var l = p.Loss;
                var perLayer = new Dictionary<string, double>(l.StyleLayers);
                outbox.Post(c => c.Progress(l.Iteration, l.Total, l.Content, l.Style, perLayer, l.ElapsedSeconds, l.IterationsPerSecond, l.EtaSeconds));
                break;
            case JobFrameEvent f when f.Frame.Iteration > outbox.LastFrameIteration:
                outbox.LastFrameIteration = f.Frame.Iteration;
                outbox.PostFrame(f.Frame);
                break;
            case JobEndedEvent end when !outbox.EndSent:
                outbox.EndSent = true;
                outbox.Post(EndMessage(end.State, end.Message, end.ResultLink));
                break;
        }
    }

    static Func<IProgressClient, Task> EndMessage(JobState state, string? message, string? resultLink) => state switch
    {
        JobState.Completed => c => c.Completed(resultLink ?? ""),
        JobState.Cancelled => c => c.Cancelled(),
        _ => c => c.Failed(message ?? state.ToString()),
    };

    public void Dispose() => _subscription.Dispose();
}
