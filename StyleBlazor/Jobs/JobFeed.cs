using System.Runtime.CompilerServices;
using StyleBlazor.Results;

namespace StyleBlazor.Jobs;

/// <summary>The one way to follow a job: the Blazor components, the hub and the HTTP API's event stream all read it.</summary>
public interface IJobFeed
{
    /// <summary>
    /// A <see cref="JobUpdate.Snapshot"/> of everything so far, then each live update until <see cref="JobUpdate.Ended"/>
    /// (for a job that has ended: the snapshot alone). Nothing at all when the job is unknown, or its result was revoked.
    /// Each watcher has its own buffer: a slow reader gets the newest frame instead of a backlog, and every other update.
    /// </summary>
    IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Everything known about the job now; null when it is unknown, or its result was revoked or deleted.</summary>
    Task<JobUpdate.Snapshot?> SnapshotAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>One of the job's newest frames (the few an event stream may have named), or null.</summary>
    Task<JobUpdate.Frame?> FrameAsync(string jobId, int iteration, CancellationToken cancellationToken = default);
}

/// <summary>
/// The feed of the jobs this process runs or holds (<see cref="JobRegistry"/>, announced by <see cref="JobEvents"/>).
/// A job whose stored result its owner revoked or deleted is gone with the link: its watch page, its result URL and the
/// hub's watch all end there (a job still running has no stored result yet).
/// </summary>
public sealed class JobFeed(JobRegistry jobs, JobEvents events, FrameStatistics statistics, IJobResultSink results) : IJobFeed
{
    public async Task<JobUpdate.Snapshot?> SnapshotAsync(string jobId, CancellationToken cancellationToken = default) =>
        await FindAsync(jobId, cancellationToken) is { } job ? job.TakeSnapshot(out _) : null;

    public async Task<JobUpdate.Frame?> FrameAsync(string jobId, int iteration, CancellationToken cancellationToken = default) =>
        (await FindAsync(jobId, cancellationToken))?.FrameAt(iteration);

    async Task<StyleTransferJob?> FindAsync(string jobId, CancellationToken cancellationToken) =>
        jobs.Find(jobId) is { } job && !(job.ResultId is { } resultId && await results.IsWithdrawnAsync(resultId, cancellationToken)) ? job : null;

    public async IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (await FindAsync(jobId, cancellationToken) is not { } job) yield break;
        var buffer = new WatcherBuffer(statistics);
        // Subscribe before the snapshot, then drop what the snapshot already holds: updates are numbered under the
        // job's lock, which the snapshot takes too, so nothing is missed and nothing arrives twice.
        using var subscription = events.Subscribe(jobId, buffer.Add);
        var snapshot = job.TakeSnapshot(out var sequence);
        buffer.DropUpTo(sequence);
        yield return snapshot;
        if (snapshot.IsFinished) yield break;
        while (true)
        {
            var update = await buffer.TakeAsync(cancellationToken);
            yield return update;
            if (update is JobUpdate.Ended) yield break;
        }
    }
}

/// <summary>
/// What one watcher has still to read, in order. Bounded: a frame not yet read is dropped when a newer one arrives
/// (counted as coalesced), so it holds at most one frame; progress and the end are never dropped (a job's progress is
/// bounded by its iterations). Written on the announcing thread, read by the watcher's own loop.
/// </summary>
sealed class WatcherBuffer(FrameStatistics statistics)
{
    sealed class Slot(long sequence, JobUpdate? update)
    {
        public long Sequence { get; } = sequence;
        public JobUpdate? Update { get; set; } = update;
    }

    readonly Lock _gate = new();
    readonly Queue<Slot> _slots = new();
    Slot? _unreadFrame;
    TaskCompletionSource? _arrived;
    long _snapshotSequence = long.MinValue;

    public int Count { get { lock (_gate) return _slots.Count(s => s.Update is not null); } }

    public void Add(long sequence, JobUpdate update)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            // Redis delivers a message after the snapshot that already holds it when the read overtakes the channel.
            if (sequence <= _snapshotSequence) return;
            var slot = new Slot(sequence, update);
            if (update is JobUpdate.Frame)
            {
                if (_unreadFrame is { Update: not null } older)
                {
                    older.Update = null;
                    statistics.AddCoalesced();
                }
                _unreadFrame = slot;
            }
            _slots.Enqueue(slot);
            (wake, _arrived) = (_arrived, null);
        }
        wake?.TrySetResult();
    }

    /// <summary>
    /// Drops updates numbered up to <paramref name="sequence"/> (those a snapshot already contains), and any that arrive
    /// later.
    /// </summary>
    public void DropUpTo(long sequence)
    {
        lock (_gate)
        {
            _snapshotSequence = Math.Max(_snapshotSequence, sequence);
            while (_slots.TryPeek(out var first) && first.Sequence <= sequence)
            {
                _slots.Dequeue();
                if (ReferenceEquals(first, _unreadFrame)) _unreadFrame = null;
            }
        }
    }

    public async Task<JobUpdate> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                while (_slots.TryDequeue(out var slot))
                {
                    if (ReferenceEquals(slot, _unreadFrame)) _unreadFrame = null;
                    if (slot.Update is { } update) return update;
                }
                // Continuations run off the announcing thread (the torch thread must never run a watcher's loop).
                _arrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                arrived = _arrived.Task;
            }
            await arrived.WaitAsync(cancellationToken);
        }
    }
}
