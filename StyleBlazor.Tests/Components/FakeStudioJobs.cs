using System.Runtime.CompilerServices;
using System.Threading.Channels;
using StyleBlazor.Engine.Backbones;
using StyleBlazor.Engine.Transfer;
using StyleBlazor.Jobs;
using StyleBlazor.Studio;
using static TorchSharp.torch;

namespace StyleBlazor.Tests.Components;

/// <summary>
/// A job pipeline whose updates the test sends: it records submissions and cancellations, and each watcher's feed starts
/// with the job's snapshot and then carries what <see cref="Push"/> sends, as the real feed does.
/// </summary>
public sealed class FakeStudioJobs : IStudioJobs
{
    public static readonly BackboneInfo Vgg19 = new("vgg19", "VGG19 (Keras ImageNet weights)",
    [
        new LayerInfo("block1_conv1", 64, 1), new LayerInfo("block1_conv2", 64, 1),
        new LayerInfo("block2_conv1", 128, 2), new LayerInfo("block3_conv1", 256, 4),
        new LayerInfo("block4_conv1", 512, 8), new LayerInfo("block5_conv1", 512, 16),
        new LayerInfo("block5_conv2", 512, 16),
    ], new StyleTransferOptions()) { PoolingModes = [PoolingMode.Max, PoolingMode.Average] };

    public static readonly BackboneInfo Resnet18 = new("resnet18", "ResNet18 (embedded)",
        [new LayerInfo("stem", 64, 4, "conv1 + pool"), new LayerInfo("stage1", 64, 4), new LayerInfo("stage2", 128, 8), new LayerInfo("stage3", 256, 16)],
        new StyleTransferOptions
        {
            Iterations = 300, MaxSide = 384, ContentLayer = "stage3", RelativeLosses = true, CoarseIterations = 100,
            StyleLayers = [new("stem", 0.25), new("stage1", 0.25), new("stage2", 0.5)],
        });

    readonly Dictionary<string, List<ChannelWriter<JobUpdate>>> _watchers = [];

    /// <summary>The backbones on offer (the first is the default); null = no engine.</summary>
    public IReadOnlyList<BackboneInfo>? Available { get; set; } = [Vgg19, Resnet18];

    public IBackboneCatalog? Backbones => Available is { } list ? new ListedBackbones(list) : null;
    public int MaxStyles { get; set; } = 4;
    public List<StudioSubmission> Submissions { get; } = [];
    public List<(string JobId, string OwnerId)> Cancellations { get; } = [];

    /// <summary>What a new watcher of a job is told first; by default a freshly queued job.</summary>
    public Dictionary<string, JobUpdate.Snapshot> Snapshots { get; } = [];

    public string NextJobId { get; set; } = "job-1";
    public SubmitResult? NextResult { get; set; }
    public byte[]? ResultPng { get; set; }

    /// <summary>A snapshot of a job in <paramref name="state"/> (attempt 1 once it has started).</summary>
    public static JobUpdate.Snapshot Snapshot(string jobId, JobState state, StyleTransferOptions options, IReadOnlyList<LossRecord>? history = null,
        int position = 0, JobUpdate.Frame? latest = null, string? message = null, string? shareLink = null) =>
        new(jobId, "vgg19", options, state, position, state == JobState.Queued ? 0 : 1, history ?? [], latest, message, shareLink, null);

    /// <summary>What the Studio asked the engine to prepare: the photo's size, the options and the backbone.</summary>
    public List<(int Width, int Height, StyleTransferOptions Options, string Backbone)> Preparations { get; } = [];

    public void PrepareContent(SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> content, StyleTransferOptions options, string backbone)
    {
        Preparations.Add((content.Width, content.Height, options, backbone));
        content.Dispose();
    }

    public Task<SubmitResult> SubmitAsync(StudioSubmission submission)
    {
        Submissions.Add(submission);
        if (NextResult is { } forced) return Task.FromResult(forced);
        Snapshots.TryAdd(NextJobId, Snapshot(NextJobId, JobState.Queued, submission.Options, position: 1) with { Backbone = submission.Backbone });
        return Task.FromResult(SubmitResult.Accepted(NextJobId));
    }

    public Task<bool> CancelAsync(string jobId, string ownerId)
    {
        Cancellations.Add((jobId, ownerId));
        return Task.FromResult(true);
    }

    public async IAsyncEnumerable<JobUpdate> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!Snapshots.TryGetValue(jobId, out var snapshot)) yield break;
        var feed = Channel.CreateUnbounded<JobUpdate>();
        lock (_watchers)
        {
            if (!_watchers.TryGetValue(jobId, out var list)) _watchers[jobId] = list = [];
            list.Add(feed.Writer);
        }
        try
        {
            yield return snapshot;
            await foreach (var update in feed.Reader.ReadAllAsync(cancellationToken))
            {
                yield return update;
                if (update is JobUpdate.Ended) yield break;
            }
        }
        finally
        {
            lock (_watchers) _watchers[jobId].Remove(feed.Writer);
        }
    }

    public Task<byte[]?> ResultPngAsync(string jobId, CancellationToken cancellationToken = default) => Task.FromResult(ResultPng);

    /// <summary>Sends <paramref name="update"/> to everyone watching <paramref name="jobId"/>.</summary>
    public void Push(string jobId, JobUpdate update)
    {
        lock (_watchers)
            foreach (var watcher in _watchers.GetValueOrDefault(jobId, [])) watcher.TryWrite(update);
    }

    public int WatcherCount(string jobId) { lock (_watchers) return _watchers.GetValueOrDefault(jobId)?.Count ?? 0; }

    sealed class ListedBackbones(IReadOnlyList<BackboneInfo> available) : IBackboneCatalog
    {
        public IReadOnlyList<BackboneInfo> Available => available;
        public IBackbone Load(string name, Device device) => throw new NotSupportedException("The component tests load no backbone.");
    }
}
