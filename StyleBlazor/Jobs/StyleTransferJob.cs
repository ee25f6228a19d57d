using System.Buffers.Text;
using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

/// <summary>
/// One style transfer from submission to its end, in this process. Its state changes only by <see cref="Apply"/>, one
/// <see cref="JobUpdate"/> at a time under the job's lock, each numbered and announced in that order, so a watcher can
/// join at any moment: <see cref="TakeSnapshot"/> gives everything up to one number, and the announcements after it are
/// exactly what the snapshot lacks. The job owns its images once accepted and releases them when it ends.
/// </summary>
public sealed class StyleTransferJob
{
    /// <summary>Frames kept for <c>/api/jobs/{id}/frames/{iteration}</c>: the newest few, so an event stream's links still work a moment later.</summary>
    public const int RecentFrames = 8;

    readonly Lock _gate = new();
    readonly List<LossRecord> _losses = [];
    readonly Queue<JobUpdate.Frame> _recentFrames = new();
    readonly CancellationTokenSource _cancel = new();
    Image<Rgb24>? _content;
    IReadOnlyList<Image<Rgb24>>? _styles;
    long _sequence;

    /// <summary>The job of <paramref name="ticket"/>, waiting; it owns the ticket's pictures from now on.</summary>
    public StyleTransferJob(JobTicket ticket)
    {
        Id = ticket.Id;
        Owner = ticket.Owner;
        _content = ticket.Content;
        _styles = ticket.Styles;
        Options = ticket.Options;
        Backbone = ticket.Backbone;
        CreatedAt = ticket.CreatedAt;
    }

    /// <summary>256 random bits, base64url: unguessable, so the id is the capability to watch the job.</summary>
    public string Id { get; }

    /// <summary>Who submitted the job; only this owner may cancel it.</summary>
    public Requester Owner { get; }
    public string OwnerId => Owner.OwnerId;

    public StyleTransferOptions Options { get; }
    public string Backbone { get; }

    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }

    public JobState State { get; private set; } = JobState.Queued;

    /// <summary>1 = next to run; 0 when not waiting.</summary>
    public int Position { get; private set; }

    /// <summary>How many times a worker has started it (a restart after a worker went away counts again).</summary>
    public int Attempt { get; private set; }

    /// <summary>Why the job ended, for anything but a plain completion.</summary>
    public string? Message { get; private set; }

    /// <summary>The stored result's permanent link (<c>/r/{token}</c>), once stored; nothing ever replaces it.</summary>
    public string? ShareLink { get; private set; }

    /// <summary>The stored result's id, to find this job when its owner revokes or deletes the result.</summary>
    public Guid? ResultId { get; private set; }

    public JobUpdate.Frame? LatestFrame { get { lock (_gate) return _recentFrames.LastOrDefault(); } }

    /// <summary>The finished run's best image, in memory (served when storing it failed).</summary>
    public TransferResult? Result { get; private set; }

    public bool IsFinished => State.IsFinished();

    /// <summary>Cancelled when the owner (or the owner-gone policy) asks this job to stop.</summary>
    public CancellationToken CancellationToken => _cancel.Token;

    /// <summary>Why the job was asked to stop, when it was.</summary>
    public string? CancelReason { get; private set; }

    public Image<Rgb24> Content => _content ?? throw new ObjectDisposedException(nameof(StyleTransferJob), "The job has ended; its inputs are released.");
    public IReadOnlyList<Image<Rgb24>> Styles => _styles ?? throw new ObjectDisposedException(nameof(StyleTransferJob), "The job has ended; its inputs are released.");

    public int LossCount { get { lock (_gate) return _losses.Count; } }

    /// <summary>A copy of the loss history so far, oldest first.</summary>
    public LossRecord[] LossHistory() { lock (_gate) return [.. _losses]; }

    /// <summary>One of the newest frames, by iteration; null when it is not (or no longer) kept.</summary>
    public JobUpdate.Frame? FrameAt(int iteration) { lock (_gate) return _recentFrames.FirstOrDefault(f => f.Iteration == iteration); }

    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Everything so far, and the number of the last update it includes.</summary>
    public JobUpdate.Snapshot TakeSnapshot(out long sequence)
    {
        lock (_gate)
        {
            sequence = _sequence;
            return new JobUpdate.Snapshot(Id, Backbone, Options, State, Position, Attempt, [.. _losses],
                _recentFrames.LastOrDefault(), Message, ShareLink, ResultId);
        }
    }

    internal void RequestCancel(string reason)
    {
        lock (_gate) CancelReason ??= reason;
        _cancel.Cancel();
    }

    internal void SetResult(TransferResult result) { lock (_gate) Result = result; }

    internal void SetStoredResult(Guid resultId, string shareLink)
    {
        lock (_gate) (ResultId, ShareLink) = (resultId, shareLink);
    }

    /// <summary>
    /// Applies <paramref name="update"/> if it changes anything, numbers it and calls <paramref name="announce"/> with it,
    /// all under the job's lock (so announcements arrive in the order the state changed; the callee must only hand off).
    /// Returns false for an update that changes nothing: a position change of a job no longer waiting, a frame older
    /// than the newest, a second end. An <see cref="JobUpdate.Ended"/> releases the job's input images.
    /// </summary>
    internal bool Apply(JobUpdate update, DateTimeOffset now, Action<long, JobUpdate> announce)
    {
        Image<Rgb24>? content = null;
        IReadOnlyList<Image<Rgb24>>? styles = null;
        lock (_gate)
        {
            switch (update)
            {
                case JobUpdate.Queued q when State == JobState.Queued && q.Position != Position:
                    Position = q.Position;
                    break;
                case JobUpdate.Started s when State is JobState.Queued or JobState.Running && s.Attempt > Attempt:
                    (State, Position, Attempt, StartedAt) = (JobState.Running, 0, s.Attempt, now);
                    // A restart runs from the beginning: what the last attempt painted is not this run's.
                    _losses.Clear();
                    _recentFrames.Clear();
                    break;
                case JobUpdate.Progress p when State == JobState.Running:
                    _losses.Add(p.Loss);
                    break;
                case JobUpdate.Frame f when !IsFinished && (_recentFrames.Count == 0 || f.Iteration > _recentFrames.Last().Iteration):
                    _recentFrames.Enqueue(f);
                    if (_recentFrames.Count > RecentFrames) _recentFrames.Dequeue();
                    break;
                case JobUpdate.Ended e when !IsFinished:
                    (State, Position, Message, EndedAt) = (e.State, 0, e.Message, now);
                    if (e.ShareLink is not null) ShareLink = e.ShareLink;
                    (content, styles, _content, _styles) = (_content, _styles, null, null);
                    break;
                default:
                    return false;
            }
            announce(++_sequence, update);
        }
        content?.Dispose();
        foreach (var s in styles ?? []) s.Dispose();
        return true;
    }
}
