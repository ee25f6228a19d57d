using System.Buffers.Text;
using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using StyleBlazor.Engine.Transfer;

namespace StyleBlazor.Jobs;

public enum JobState { Queued, Running, Completed, Failed, Cancelled, Interrupted }

/// <summary>Loss values of one iteration as watchers see them, with the pace at that moment.</summary>
public sealed record LossRecord(
    int Iteration,
    double Total,
    double Content,
    double Style,
    double TotalVariation,
    IReadOnlyDictionary<string, double> StyleLayers,
    double ElapsedSeconds,
    double IterationsPerSecond,
    double EtaSeconds);

/// <summary>An image as sent to watchers (JPEG or WebP bytes).</summary>
public sealed record EncodedFrame(int Iteration, int Width, int Height, string ContentType, byte[] Bytes);

/// <summary>
/// One style transfer from submission to its end. State changes go through the methods here (thread-safe); the job
/// owns its images once accepted and releases the inputs when it ends.
/// </summary>
public sealed class StyleTransferJob
{
    readonly Lock _gate = new();
    readonly List<LossRecord> _losses = [];
    readonly CancellationTokenSource _cancel = new();
    Image<Rgb24>? _content;
    IReadOnlyList<Image<Rgb24>>? _styles;

    public StyleTransferJob(string ownerId, Image<Rgb24> content, IReadOnlyList<Image<Rgb24>> styles,
        StyleTransferOptions options, string backbone, DateTimeOffset createdAt, string? clientAddress = null)
    {
        Id = NewId();
        OwnerId = ownerId;
        ClientAddress = clientAddress;
        _content = content;
        _styles = styles;
        Options = options;
        Backbone = backbone;
        CreatedAt = createdAt;
    }

    /// <summary>The submitting client's IP address, when known (for the per-address queue limit).</summary>
    public string? ClientAddress { get; }

    /// <summary>256 random bits, base64url: unguessable, safe in URLs and group names.</summary>
    public string Id { get; }

    /// <summary>The browser session that submitted the job; only it may cancel.</summary>
    public string OwnerId { get; }
    public StyleTransferOptions Options { get; }
    public string Backbone { get; }

    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }

    public JobState State { get; private set; } = JobState.Queued;

    /// <summary>1 = next to run; 0 when not waiting.</summary>
    public int Position { get; internal set; }
    public string? Error { get; private set; }
    public EncodedFrame? LatestFrame { get; private set; }

    /// <summary>The best image of a completed run (what the result link serves).</summary>
    public EncodedFrame? BestFrame { get; private set; }
    public TransferResult? Result { get; private set; }

    public bool IsFinished => State is JobState.Completed or JobState.Failed or JobState.Cancelled or JobState.Interrupted;

    /// <summary>Cancelled when the owner (or the owner-gone policy) asks this job to stop.</summary>
    public CancellationToken CancellationToken => _cancel.Token;

    /// <summary>Why the job was asked to stop, when it was.</summary>
    public string? CancelReason { get; private set; }

    public Image<Rgb24> Content => _content ?? throw new ObjectDisposedException(nameof(StyleTransferJob), "The job has ended; its inputs are released.");
    public IReadOnlyList<Image<Rgb24>> Styles => _styles ?? throw new ObjectDisposedException(nameof(StyleTransferJob), "The job has ended; its inputs are released.");

    public int LossCount { get { lock (_gate) return _losses.Count; } }

    /// <summary>A copy of the loss history so far, oldest first.</summary>
    public LossRecord[] LossHistory() { lock (_gate) return [.. _losses]; }

    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    internal void RequestCancel(string reason)
    {
        lock (_gate) CancelReason ??= reason;
        _cancel.Cancel();
    }

    internal bool TryStart(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (State != JobState.Queued) return false;
            State = JobState.Running;
            Position = 0;
            StartedAt = now;
            return true;
        }
    }

    internal void AddLoss(LossRecord record) { lock (_gate) _losses.Add(record); }

    internal void SetLatestFrame(EncodedFrame frame)
    {
        lock (_gate)
            if (LatestFrame is null || frame.Iteration >= LatestFrame.Iteration) LatestFrame = frame;
    }

    internal void Complete(TransferResult result, EncodedFrame best, DateTimeOffset now)
    {
        lock (_gate)
        {
            Result = result;
            BestFrame = best;
            if (LatestFrame is null || best.Iteration >= LatestFrame.Iteration) LatestFrame = best;
        }
        End(JobState.Completed, null, now);
    }

    /// <summary>
    /// Moves to a final state once; later calls are ignored. With <paramref name="onlyIfQueued"/> it ends the job only
    /// if no worker has taken it yet (so inputs are never released under a running transfer).
    /// Returns whether this call ended the job.
    /// </summary>
    internal bool End(JobState state, string? error, DateTimeOffset now, bool onlyIfQueued = false)
    {
        Image<Rgb24>? content;
        IReadOnlyList<Image<Rgb24>>? styles;
        lock (_gate)
        {
            if (IsFinished || (onlyIfQueued && State != JobState.Queued)) return false;
            State = state;
            Error = error;
            Position = 0;
            EndedAt = now;
            (content, styles, _content, _styles) = (_content, _styles, null, null);
        }
        content?.Dispose();
        foreach (var s in styles ?? []) s.Dispose();
        return true;
    }
}
