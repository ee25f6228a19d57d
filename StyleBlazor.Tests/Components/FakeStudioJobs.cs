using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Studio;

namespace StyleBlazor.Tests.Components;

/// <summary>A job service whose events the test sends: it records submissions and cancellations and replays a snapshot to each watcher.</summary>
public sealed class FakeStudioJobs : IStudioJobs
{
    public static readonly BackboneInfo Vgg19 = new("vgg19", "VGG19 (Keras ImageNet weights)",
    [
        new LayerInfo("block1_conv1", 64, 1), new LayerInfo("block1_conv2", 64, 1),
        new LayerInfo("block2_conv1", 128, 2), new LayerInfo("block3_conv1", 256, 4),
        new LayerInfo("block4_conv1", 512, 8), new LayerInfo("block5_conv1", 512, 16),
        new LayerInfo("block5_conv2", 512, 16),
    ], new StyleTransferOptions());

    public static readonly BackboneInfo Resnet18 = new("resnet18", "ResNet18 (embedded)",
        [new LayerInfo("stem", 64, 4, "conv1 + pool"), new LayerInfo("stage1", 64, 4), new LayerInfo("stage2", 128, 8), new LayerInfo("stage3", 256, 16)],
        new StyleTransferOptions
        {
            Iterations = 300, MaxSide = 384, ContentLayer = "stage3", RelativeLosses = true, CoarseIterations = 100,
            StyleLayers = [new("stem", 0.25), new("stage1", 0.25), new("stage2", 0.5)],
        });

    readonly Dictionary<string, List<Action<StudioJobEvent>>> _watchers = [];

    public IReadOnlyList<BackboneInfo> Backbones { get; set; } = [Vgg19, Resnet18];
    public List<StudioSubmission> Submissions { get; } = [];
    public List<(string JobId, string OwnerId)> Cancellations { get; } = [];

    /// <summary>What a new watcher of a job is told first; by default a freshly queued job.</summary>
    public Dictionary<string, JobSnapshotEvent> Snapshots { get; } = [];

    public string NextJobId { get; set; } = "job-1";
    public SubmitResult? NextResult { get; set; }
    public byte[]? ResultPng { get; set; }

    public SubmitResult Submit(StudioSubmission submission)
    {
        Submissions.Add(submission);
        if (NextResult is { } forced) return forced;
        Snapshots.TryAdd(NextJobId, new JobSnapshotEvent(NextJobId, JobPhase.Queued, 1, submission.Options, submission.Backbone, [], null, null, null));
        return SubmitResult.Accepted(NextJobId);
    }

    public bool Cancel(string jobId, string ownerId)
    {
        Cancellations.Add((jobId, ownerId));
        return true;
    }

    public IDisposable? Watch(string jobId, Action<StudioJobEvent> onEvent)
    {
        if (!Snapshots.TryGetValue(jobId, out var snapshot)) return null;
        if (!_watchers.TryGetValue(jobId, out var list)) _watchers[jobId] = list = [];
        list.Add(onEvent);
        onEvent(snapshot);
        return new Unsubscribe(() => list.Remove(onEvent));
    }

    public Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default) => Task.FromResult(ResultPng);

    /// <summary>Sends <paramref name="e"/> to everyone watching <paramref name="jobId"/>.</summary>
    public void Push(string jobId, StudioJobEvent e)
    {
        foreach (var watcher in _watchers.GetValueOrDefault(jobId, []).ToArray()) watcher(e);
    }

    public int WatcherCount(string jobId) => _watchers.GetValueOrDefault(jobId)?.Count ?? 0;

    sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
